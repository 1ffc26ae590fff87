import { mappingsForExport, offerOf, suppliersByKey, upsertMapping } from '../db/repositories/catalogue.js';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import type { Db } from '../db/dialect.js';
import type { Clock } from '../lib/clock.js';
import { parseCsv, toCsv, unFormulaSafe } from './csv.js';
import { checkZip } from '../lib/zip-guard.js';

/**
 * SKU ↔ supplier-offer mappings in and out as CSV and Excel. Import checks every row and reports problems by
 * row and column; the good rows are kept, all together in one transaction. A file over the limits (rows, columns,
 * cell length; for .xlsx also the unpacked size) is refused whole and changes nothing. Columns (Chinese header with
 * the English key):
 */
export const IMPORT_LIMITS = { rows: 5_000, columns: 30, cellChars: 500 };
export const MAPPING_COLUMNS = [
  { key: 'product_id', zh: '微信商品ID' },
  { key: 'sku_id', zh: '微信SKU ID' },
  { key: 'supplier', zh: '供应商(会员ID、邮箱、AppID或名称)', aliases: ['供应商(会员ID或名称)'] },
  { key: 'offer_id', zh: '供应商商品ID', aliases: ['1688商品ID'] },
  { key: 'spec_id', zh: '规格ID' },
  { key: 'quantity_per_unit', zh: '每件对应数量' },
  { key: 'bundle_key', zh: '组合键' },
  { key: 'priority', zh: '优先级' },
  { key: 'enabled', zh: '启用' },
] as const satisfies readonly { key: string; zh: string; aliases?: readonly string[] }[];
type Key = (typeof MAPPING_COLUMNS)[number]['key'];

const SUPPLIER_COLUMN = MAPPING_COLUMNS[2].zh;
const OFFER_COLUMN = MAPPING_COLUMNS[3].zh;

export interface RowError {
  row: number;
  column: string;
  message: string;
}

const rowSchema = z.object({
  product_id: z.string().regex(/^\d{1,20}$/, '微信商品ID应为数字'),
  sku_id: z.string().regex(/^\d{1,20}$/, 'SKU ID应为数字'),
  supplier: z.string().min(1, '供应商不能为空'),
  // As a supplier's offer is entered (src/sourcing/catalogue-admin.ts offerInput): 1688's ids are digits and 32-hex
  // specs, a direct or dropship supplier's are its own codes — the catalogue lookup below decides whether it exists.
  offer_id: z.string().regex(/^[0-9A-Za-z_-]{1,40}$/, '商品ID应为字母、数字、-或_（≤40）'),
  spec_id: z.string().max(64, '规格ID最多64字'),
  quantity_per_unit: z.coerce.number().int('每件对应数量应为整数').min(1, '每件对应数量至少为1').max(10_000),
  bundle_key: z.string().max(64),
  priority: z.coerce.number().int('优先级应为整数').min(-100).max(100),
  enabled: z.enum(['1', '0', 'true', 'false', '是', '否', 'yes', 'no']),
});

export class MappingsIO {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async exportRows(shopId: number): Promise<string[][]> {
    const rows = await mappingsForExport(this.db.kysely, shopId);
    return [
      MAPPING_COLUMNS.map((c) => `${c.zh} ${c.key}`),
      ...rows.map((r) => [
        r.product_id,
        r.sku_id,
        // The supplier by what identifies it on its route (unique there), its name only when it has none.
        r.member_id ?? r.email ?? r.dropship_appid ?? r.name,
        r.offer_id,
        r.spec_id,
        String(r.quantity_per_unit),
        r.bundle_key ?? '',
        String(r.priority),
        r.enabled ? '1' : '0',
      ]),
    ];
  }

  async exportCsv(shopId: number): Promise<string> {
    return toCsv(await this.exportRows(shopId));
  }

  async exportXlsx(shopId: number): Promise<Buffer> {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('商品映射');
    for (const r of await this.exportRows(shopId)) ws.addRow(r);
    ws.getRow(1).font = { bold: true };
    ws.columns.forEach((c) => (c.width = 22));
    return Buffer.from(await wb.xlsx.writeBuffer());
  }

  async importCsv(shopId: number, text: string) {
    // A rough count first: a huge file is refused before it is parsed.
    if (text.length > IMPORT_LIMITS.rows * IMPORT_LIMITS.columns * 40) return refused(`文件过大 / file too large`);
    return this.importRows(shopId, parseCsv(text));
  }

  async importXlsx(shopId: number, data: Buffer) {
    // Inflated (capped) before the spreadsheet library sees it: a zip bomb is refused without using the memory.
    const zip = checkZip(data);
    if (!zip.ok) return refused(zip.reason);
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(data as never);
    } catch {
      return { imported: 0, errors: [{ row: 0, column: '', message: '不是有效的 .xlsx 文件 / not a valid .xlsx file' }] };
    }
    const ws = wb.worksheets[0];
    const rows: string[][] = [];
    ws?.eachRow({ includeEmpty: false }, (row) => {
      const values = (row.values as unknown[]).slice(1);
      rows.push(
        values.map((v) =>
          v === null || v === undefined
            ? ''
            : typeof v === 'object' && v && 'text' in v
              ? String((v as { text: unknown }).text)
              : String(v),
        ),
      );
    });
    return this.importRows(shopId, rows);
  }

  /** Header row first (Chinese or English names, any order). Returns how many rows were kept and every problem. */
  async importRows(shopId: number, rows: string[][]): Promise<{ imported: number; errors: RowError[] }> {
    if (rows.length - 1 > IMPORT_LIMITS.rows)
      return refused(`行数超过 ${IMPORT_LIMITS.rows} 行，请分批导入 / more than ${IMPORT_LIMITS.rows} rows`);
    const wide = rows.findIndex((r) => r.length > IMPORT_LIMITS.columns || r.some((c) => c.length > IMPORT_LIMITS.cellChars));
    if (wide >= 0)
      return refused(
        `第 ${wide + 1} 行列数过多或单元格过长（≤ ${IMPORT_LIMITS.columns} 列，每格 ≤ ${IMPORT_LIMITS.cellChars} 字）/ row ${wide + 1} too wide`,
        wide + 1,
      );
    const errors: RowError[] = [];
    const header = rows[0] ?? [];
    const index = new Map<Key, number>();
    header.forEach((h, i) => {
      const col = MAPPING_COLUMNS.find(
        (c) => h.includes(c.key) || h.trim() === c.zh || ('aliases' in c && (c.aliases as readonly string[]).includes(h.trim())),
      );
      if (col) index.set(col.key, i);
    });
    const missing = MAPPING_COLUMNS.filter(
      (c) => !index.has(c.key) && !['bundle_key', 'priority', 'enabled', 'spec_id', 'quantity_per_unit'].includes(c.key),
    );
    if (missing.length)
      return { imported: 0, errors: missing.map((c) => ({ row: 1, column: c.zh, message: `缺少列 ${c.zh} (${c.key})` })) };
    const now = this.clock.now();
    // One transaction: the good rows are kept together or not at all (a crash half-way leaves nothing half-imported).
    return this.db.kysely.transaction().execute(async (k) => {
      let imported = 0;
      for (let r = 1; r < rows.length; r++) {
        const raw = Object.fromEntries(MAPPING_COLUMNS.map((c) => [c.key, unFormulaSafe((rows[r]![index.get(c.key) ?? -1] ?? '').trim())]));
        const values = {
          ...raw,
          quantity_per_unit: raw.quantity_per_unit || '1',
          priority: raw.priority || '0',
          enabled: raw.enabled || '1',
        };
        const parsed = rowSchema.safeParse(values);
        if (!parsed.success) {
          for (const i of parsed.error.issues)
            errors.push({
              row: r + 1,
              column: MAPPING_COLUMNS.find((c) => c.key === i.path[0])?.zh ?? String(i.path[0]),
              message: i.message,
            });
          continue;
        }
        const v = parsed.data;
        const found = await suppliersByKey(k, v.supplier);
        const supplier = found.length === 1 ? found[0] : undefined;
        if (!supplier) {
          errors.push({
            row: r + 1,
            column: SUPPLIER_COLUMN,
            message: found.length ? `有多个供应商叫“${v.supplier}”，请填写会员ID、邮箱或AppID` : `供应商“${v.supplier}”不存在，请先添加`,
          });
          continue;
        }
        const offer = await offerOf(k, supplier.id, v.offer_id, v.spec_id);
        if (!offer) {
          errors.push({
            row: r + 1,
            column: OFFER_COLUMN,
            message: `该供应商没有商品 ${v.offer_id}${v.spec_id ? ` 规格 ${v.spec_id}` : ''}`,
          });
          continue;
        }
        const enabled = ['1', 'true', '是', 'yes'].includes(v.enabled) ? 1 : 0;
        await upsertMapping(
          k,
          {
            shopId,
            productId: v.product_id,
            skuId: v.sku_id,
            offerRef: offer.id,
            quantityPerUnit: v.quantity_per_unit,
            bundleKey: v.bundle_key || null,
            priority: v.priority,
            enabled,
          },
          now,
        );
        imported++;
      }
      return { imported, errors };
    });
  }
}

const refused = (message: string, row = 0) => ({ imported: 0, errors: [{ row, column: '', message }] as RowError[] });
