/**
 * The simulators for bench/pipeline, in their own process (so their CPU is not Daifa's): WeChat Shop pushing to
 * Daifa, 1688 with the sandbox catalogue, sellers that ship at once, and a fixed latency on every API call.
 * Prints one JSON line {url, token} when ready.
 */
import { startSandbox } from '../sandbox/server.js';
import { seedSimulatorOffers } from '../sandbox/catalogue.js';
import { SANDBOX_1688_APP } from '../src/runtime/sandbox-bootstrap.js';

const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 0);
const daifaUrl = process.env.BENCH_DAIFA_URL!;
const sb = await startSandbox({
  push: { timeScale: 0, minCopies: 1, maxCopies: 1, maxReorderMs: 0, concurrency: 64 },
  api: {
    latencyMs,
    decodeDailyQuota: 100_000_000,
    callsPerMinute: process.env.BENCH_WECHAT_RPM ? Number(process.env.BENCH_WECHAT_RPM) : null,
  },
  alibaba: {
    latencyMs,
    autoShipAfterMs: 0,
    traceStepMs: null,
    qps: process.env.BENCH_1688_QPS ? Number(process.env.BENCH_1688_QPS) : null,
  },
});
sb.alibaba.addApp(SANDBOX_1688_APP.appKey, SANDBOX_1688_APP.appSecret);
seedSimulatorOffers(sb.alibaba, 100_000_000);
sb.alibaba.messageTarget = { url: `${daifaUrl}/webhooks/1688`, appSecret: SANDBOX_1688_APP.appSecret };
const t = sb.alibaba.issueToken('b2b-benchbuyer');
process.stdout.write(`${JSON.stringify({ url: sb.url, token: t })}\n`);
process.on('SIGTERM', () => void sb.close().then(() => process.exit(0)));
