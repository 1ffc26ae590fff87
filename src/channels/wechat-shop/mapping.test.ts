import { describe, expect, it } from 'vitest';
import { parseJsonLossless } from '../../lib/lossless-json.js';
import { mapDropshipPackages, mapShipments } from './mapping.js';

/** The official order/get example (reference §3, SKIT ModelSamples), with a 代发单 and an e-waybill code added. */
const ORDER = `{
  "order_id": "37423523451235145", "status": 20,
  "order_detail": {
    "product_infos": [
      {"product_id": "234245", "sku_id": "23424", "sku_cnt": 10, "on_aftersale_sku_cnt": 10, "finish_aftersale_sku_cnt": 0},
      {"product_id": 234246, "sku_id": 98765432109876543210, "sku_cnt": 2, "on_aftersale_sku_cnt": 0, "finish_aftersale_sku_cnt": "2",
       "dropship_info": {"ds_order_id": 3700000000000000001}}
    ],
    "delivery_info": {
      "delivery_product_info": [{"waybill_id": "134654612313", "delivery_id": "STO", "delivery_name": "申通快递", "delivery_time": 1620738080,
        "deliver_type": 1, "product_infos": [{"product_id": "234245", "sku_id": "23424", "product_cnt": 1}]}],
      "ewaybill_order_code": "EWB-CIPHER"
    }
  },
  "aftersale_detail": {"aftersale_order_list": [{"aftersale_order_id": "1234", "status": 13}], "on_aftersale_order_cnt": 1}
}`;

describe('order/get → shipments (the only place its delivery fields are read)', () => {
  it('reads parcels, per-line after-sales, 代发单 ids (big integers kept exact) and the e-waybill code', () => {
    const s = mapShipments(parseJsonLossless(ORDER) as Record<string, unknown>);
    expect(s.packages).toEqual([
      {
        waybillId: '134654612313',
        deliveryId: 'STO',
        deliveryName: '申通快递',
        deliveryTime: 1620738080,
        products: [{ skuId: '23424', count: 1 }],
      },
    ]);
    expect(s.products).toEqual([
      { productId: '234245', skuId: '23424', onAftersaleCnt: 10, finishAftersaleCnt: 0 },
      {
        productId: '234246',
        skuId: '98765432109876543210',
        onAftersaleCnt: 0,
        finishAftersaleCnt: 2,
        dropshipOrderId: '3700000000000000001',
      },
    ]);
    expect(s.onAftersaleOrderCnt).toBe(1);
    expect(s.ewaybillOrderCode).toBe('EWB-CIPHER');
  });

  it('an order with nothing shipped, or fields missing, reads as empty rather than failing', () => {
    expect(mapShipments({})).toEqual({ packages: [], products: [], onAftersaleOrderCnt: 0, ewaybillOrderCode: '' });
    expect(mapShipments({ order_detail: { delivery_info: { delivery_product_info: [{ waybill_id: 'W1' }] } } }).packages).toEqual([
      { waybillId: 'W1', deliveryId: '', deliveryName: '', deliveryTime: 0, products: [] },
    ]);
  });

  it('dropship/get [U]: parcels are found wherever the answer puts them; those without a waybill are left out', () => {
    const parcel = { waybill_id: 'SF1', delivery_id: 'SF', product_infos: [{ sku_id: '1', product_cnt: 2 }] };
    const expected = [{ waybillId: 'SF1', deliveryId: 'SF', deliveryName: '', deliveryTime: 0, products: [{ skuId: '1', count: 2 }] }];
    expect(
      mapDropshipPackages({ dropship_order_detail: { delivery_info: { delivery_product_info: [parcel, { delivery_id: 'X' }] } } }),
    ).toEqual(expected);
    expect(mapDropshipPackages({ delivery_info: { delivery_product_info: [parcel] } })).toEqual(expected);
    expect(mapDropshipPackages({ dropship_order_detail: { delivery_product_info: [parcel] } })).toEqual(expected);
    expect(mapDropshipPackages({})).toEqual([]);
  });
});
