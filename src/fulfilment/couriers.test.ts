import { describe, expect, it } from 'vitest';
import { mapCourier, plausibleWaybill } from './couriers.js';

describe('courier mapping (1688 names → WeChat delivery_id)', () => {
  it('reads the bracketed code, the name, or the company number', () => {
    expect(mapCourier('中通快递(ZTO)')).toEqual({ deliveryId: 'ZTO', known: true });
    expect(mapCourier('圆通速递')).toEqual({ deliveryId: 'YTO', known: true });
    expect(mapCourier('中通快运')).toEqual({ deliveryId: 'ZTOKY', known: true });
    expect(mapCourier('韵达快递（YUNDA）')).toEqual({ deliveryId: 'YUNDA', known: true });
    expect(mapCourier('顺丰速运')).toEqual({ deliveryId: 'SF', known: true });
    expect(mapCourier('邮政EMS')).toEqual({ deliveryId: 'EMS', known: true });
    expect(mapCourier('某某', 'JD')).toEqual({ deliveryId: 'JD', known: true });
  });
  it('an unknown courier is OTHER and not known', () => {
    expect(mapCourier('城东同城快递', 'LOCAL')).toEqual({ deliveryId: 'OTHER', known: false });
  });
  it('tracking numbers are checked for a plausible shape', () => {
    expect(plausibleWaybill('SF', 'SF1234567890123')).toBe(true);
    expect(plausibleWaybill('SF', '1234567890123')).toBe(false);
    expect(plausibleWaybill('ZTO', '78123456789012')).toBe(true);
    expect(plausibleWaybill('ZTO', 'abc')).toBe(false);
    expect(plausibleWaybill('ZTO', '请稍后补单号')).toBe(false);
  });
});
