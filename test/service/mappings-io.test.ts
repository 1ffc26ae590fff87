import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parseCsv } from '../../src/sourcing/csv.js';
import { upsertMapping } from '../../src/db/repositories/catalogue.js';
import { addOffer, addSupplier } from '../../src/sourcing/catalogue-admin.js';
import { MappingsIO } from '../../src/sourcing/mappings-io.js';
import { seedDaifaCatalogue } from '../../sandbox/catalogue.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

describe('mapping import and export (CSV, Excel)', () => {
  let t: TestDb;
  let io: MappingsIO;
  beforeEach(async () => {
    t = await createTestDb();
    io = new MappingsIO(t.db, { now: () => Date.now() });
    await t.db.kysely
      .insertInto('shops')
      .values(
        [1, 2].map((id) => ({
          id,
          shop_key: `k${id}`,
          name: `s${id}`,
          app_id: 'wx',
          app_secret_enc: 'x',
          push_token_enc: 'x',
          aes_key_enc: 'x',
          mode: 'live',
          is_sandbox: 0,
          poll_cursor_s: null,
          created_at: 0,
          updated_at: 0,
        })),
      )
      .execute();
    await seedDaifaCatalogue(t.db, 1, Date.now());
  });
  afterEach(async () => t.cleanup());

  const mappingsOf = async (shopId: number) =>
    await t.db.kysely
      .selectFrom('sku_mappings')
      .select(['product_id', 'sku_id', 'offer_ref', 'quantity_per_unit', 'bundle_key', 'priority', 'enabled'])
      .where('shop_id', '=', shopId)
      .orderBy('product_id')
      .orderBy('sku_id')
      .orderBy('offer_ref')
      .execute();

  it('CSV round-trip: exporting shop 1 and importing into shop 2 yields the same mappings', async () => {
    const csv = await io.exportCsv(1);
    expect(csv.startsWith('\uFEFF微信商品ID product_id')).toBe(true);
    const r = await io.importCsv(2, csv);
    expect(r.errors).toEqual([]);
    expect(r.imported).toBe((await mappingsOf(1)).length);
    expect(await mappingsOf(2)).toEqual(await mappingsOf(1));
  });

  it('xlsx round-trip', async () => {
    const xlsx = await io.exportXlsx(1);
    const r = await io.importXlsx(2, xlsx);
    expect(r.errors).toEqual([]);
    expect(await mappingsOf(2)).toEqual(await mappingsOf(1));
  });

  it('bad rows are reported by row and column while good rows are kept', async () => {
    const rows = parseCsv(await io.exportCsv(1));
    const good = rows[1]!;
    const broken = [
      rows[0]!,
      good,
      ['abc', good[1]!, good[2]!, good[3]!, good[4]!, '0', '', '0', '1'], // bad product id, bad quantity
      [good[0]!, good[1]!, '不存在的供应商', good[3]!, good[4]!, '1', '', '0', '1'],
      [good[0]!, good[1]!, good[2]!, '999999', good[4]!, '1', '', '0', '1'],
      [good[0]!, good[1]!, good[2]!, good[3]!, 'XYZ', '1', '', '0', 'maybe'],
    ];
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('x');
    for (const r of broken) ws.addRow(r);
    const res = await io.importXlsx(2, Buffer.from(await wb.xlsx.writeBuffer()));
    expect(res.imported).toBe(1);
    expect(res.errors).toEqual([
      { row: 3, column: '微信商品ID', message: '微信商品ID应为数字' },
      { row: 3, column: '每件对应数量', message: '每件对应数量至少为1' },
      { row: 4, column: '供应商(会员ID、邮箱、AppID或名称)', message: '供应商“不存在的供应商”不存在，请先添加' },
      { row: 5, column: '供应商商品ID', message: expect.stringContaining('没有商品 999999') },
      { row: 6, column: '启用', message: expect.any(String) },
    ]);
    expect(await mappingsOf(2)).toHaveLength(1);
  });

  it('direct and WeChat dropship suppliers round-trip too (their own offer codes, named by e-mail / AppID); a name two suppliers share is refused', async () => {
    const now = Date.now();
    const direct = await addSupplier(t.db, { kind: 'direct', name: '义乌小王', email: 'wang@example.com' }, now);
    const dropship = await addSupplier(t.db, { kind: 'wechat_dropship', name: '供货商A', dropshipAppId: 'wx1234567890abcdef' }, now);
    const offer = (supplierId: number, offerId: string, specId: string) =>
      addOffer(t.db, supplierId, { offerId, specId, title: '测试', unitPrice: 1000, stock: 10 }, now);
    const [a, b] = [await offer(direct, 'DS-001', '红色-L'), await offer(dropship, 'wxp_778', '')];
    for (const [i, offerRef] of [a, b].entries())
      await upsertMapping(
        t.db.kysely,
        {
          shopId: 1,
          productId: '900000001',
          skuId: String(900000010 + i),
          offerRef,
          quantityPerUnit: 1,
          bundleKey: null,
          priority: 0,
          enabled: 1,
        },
        now,
      );
    const csv = await io.exportCsv(1);
    expect(csv).toContain('wang@example.com');
    expect(csv).toContain('wx1234567890abcdef');
    const r = await io.importCsv(2, csv);
    expect(r.errors).toEqual([]);
    expect(await mappingsOf(2)).toEqual(await mappingsOf(1));

    // The same name for two suppliers: a row naming it cannot tell which — refused, naming what to write instead.
    await addSupplier(t.db, { kind: 'direct', name: '义乌小王', email: 'wang2@example.com' }, now);
    const header = parseCsv(csv)[0]!.join(',');
    const byName = await io.importCsv(2, `${header}\n900000001,900000010,义乌小王,DS-001,红色-L,1,,0,1\n`);
    expect(byName).toEqual({
      imported: 0,
      errors: [{ row: 2, column: '供应商(会员ID、邮箱、AppID或名称)', message: '有多个供应商叫“义乌小王”，请填写会员ID、邮箱或AppID' }],
    });
  });

  it('a file made with the earlier headers (1688商品ID, 供应商(会员ID或名称), no English keys) still imports', async () => {
    const rows = parseCsv(await io.exportCsv(1));
    const old = ['微信商品ID', '微信SKU ID', '供应商(会员ID或名称)', '1688商品ID', '规格ID'];
    const text = [old, ...rows.slice(1).map((r) => r.slice(0, 5))].map((r) => r.join(',')).join('\n');
    const r = await io.importCsv(2, text);
    expect(r.errors).toEqual([]);
    expect(r.imported).toBe(rows.length - 1);
  });

  it('a missing column or a file that is not a workbook is refused with nothing changed', async () => {
    expect((await io.importCsv(2, 'product_id,sku_id\n1,2\n')).errors[0]!.message).toContain('缺少列');
    expect((await io.importXlsx(2, Buffer.from('not a zip'))).errors[0]!.message).toContain('.xlsx');
    expect(await mappingsOf(2)).toEqual([]);
  });

  it('CSV parser handles quotes, commas and newlines in fields', () => {
    expect(parseCsv('a,"b,c","d ""e""\nf"\r\n1,2,3\n')).toEqual([
      ['a', 'b,c', 'd "e"\nf'],
      ['1', '2', '3'],
    ]);
  });
});
