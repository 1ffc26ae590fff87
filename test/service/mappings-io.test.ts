import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { parseCsv } from '../../src/sourcing/csv.js';
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
      { row: 4, column: '供应商(会员ID或名称)', message: '供应商“不存在的供应商”不存在，请先添加' },
      { row: 5, column: '1688商品ID', message: expect.stringContaining('没有商品 999999') },
      { row: 6, column: '规格ID', message: '规格ID应为32位十六进制或留空' },
      { row: 6, column: '启用', message: expect.any(String) },
    ]);
    expect(await mappingsOf(2)).toHaveLength(1);
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
