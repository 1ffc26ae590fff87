import { inflateRawSync } from 'node:zlib';

/**
 * An uploaded .xlsx is a zip archive: a 1 MB file can unpack to gigabytes (a "zip bomb") inside the spreadsheet
 * library before anything can look at its rows. This reads the archive's directory and really inflates every entry,
 * with the output capped, before the file is handed on — so the limit holds even when the directory lies about
 * sizes. Anything it cannot account for (ZIP64, encryption, other methods) is refused.
 */
export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
}

export const XLSX_LIMITS: ZipLimits = { maxEntries: 200, maxTotalBytes: 30 * 1024 * 1024 };

export function checkZip(
  data: Buffer,
  limits: ZipLimits = XLSX_LIMITS,
): { ok: true; unpackedBytes: number } | { ok: false; reason: string } {
  const eocd = findEocd(data);
  if (eocd < 0) return { ok: false, reason: '不是有效的 .xlsx 文件（不是 zip 压缩包）/ not a valid .xlsx file (not a zip archive)' };
  const entries = data.readUInt16LE(eocd + 10);
  const dirSize = data.readUInt32LE(eocd + 12);
  const dirOffset = data.readUInt32LE(eocd + 16);
  if (entries === 0xffff || dirOffset === 0xffffffff) return { ok: false, reason: '不支持 ZIP64 / ZIP64 is not supported' };
  if (entries > limits.maxEntries) return { ok: false, reason: `文件内条目过多（${entries} > ${limits.maxEntries}）/ too many entries` };
  if (dirOffset + dirSize > data.length) return { ok: false, reason: 'zip 目录损坏 / broken zip directory' };
  let p = dirOffset;
  let total = 0;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > data.length || data.readUInt32LE(p) !== 0x02014b50) return { ok: false, reason: 'zip 目录损坏 / broken zip directory' };
    const flags = data.readUInt16LE(p + 8);
    const compression = data.readUInt16LE(p + 10);
    const compressed = data.readUInt32LE(p + 20);
    const nameLen = data.readUInt16LE(p + 28);
    const extraLen = data.readUInt16LE(p + 30);
    const commentLen = data.readUInt16LE(p + 32);
    const local = data.readUInt32LE(p + 42);
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 0x1) return { ok: false, reason: '加密的文件 / encrypted entries are not supported' };
    if (local + 30 > data.length || data.readUInt32LE(local) !== 0x04034b50)
      return { ok: false, reason: 'zip 条目损坏 / broken zip entry' };
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    if (start + compressed > data.length) return { ok: false, reason: 'zip 条目损坏 / broken zip entry' };
    const body = data.subarray(start, start + compressed);
    const budget = limits.maxTotalBytes - total;
    if (compression === 0) total += body.length;
    else if (compression === 8) {
      try {
        total += inflateRawSync(body, { maxOutputLength: Math.max(1, budget) }).length;
      } catch (err) {
        const tooBig =
          (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|too large/i.test((err as Error).message);
        return {
          ok: false,
          reason: tooBig
            ? `解压后超过 ${limits.maxTotalBytes / 1024 / 1024} MB / unpacks to more than the limit`
            : 'zip 条目无法解压 / an entry cannot be inflated',
        };
      }
    } else return { ok: false, reason: `不支持的压缩方式 ${compression} / unsupported compression` };
    if (total > limits.maxTotalBytes)
      return { ok: false, reason: `解压后超过 ${limits.maxTotalBytes / 1024 / 1024} MB / unpacks to more than the limit` };
  }
  return { ok: true, unpackedBytes: total };
}

function findEocd(data: Buffer): number {
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 65_535); i--) if (data.readUInt32LE(i) === 0x06054b50) return i;
  return -1;
}
