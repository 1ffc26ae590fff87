import { systemClock, type Clock } from '../src/lib/clock.js';

/**
 * The time the simulated platforms live in. Real time unless `npm start` sets it to the sandbox clock Daifa also
 * runs on (沙箱时间: fast-forward and a rate), so both sides agree on order times, ship-by deadlines, token expiry and
 * signed timestamps. Rate limits (QPS, the 1-second order-update interval) stay on real time on both sides.
 */
export const simTime: { clock: Clock } = { clock: systemClock };

export const simNow = (): number => simTime.clock.now();
