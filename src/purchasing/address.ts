import { createHash } from 'node:crypto';
import { isMasked, type Address } from '../domain/address.js';
import { PermanentJobError } from '../jobs/worker.js';
import type { AddressParam } from '../suppliers/alibaba-1688/client.js';

/** Salted digests of each address field as sent, so a read-back can be compared without keeping plaintext. */
export function digestAddress(salt: string, a: Partial<AddressParam>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['fullName', 'mobile', 'phone', 'address', 'provinceText', 'cityText', 'areaText'] as const) {
    const v = (a[k] ?? '').trim();
    if (v) out[k] = createHash('sha256').update(`${salt}:${k}:${v}`).digest('hex').slice(0, 24);
  }
  return out;
}

/** Refuse any masked value: a masked address must never reach a supplier (every route calls this last). */
export function assertDeliverable(a: AddressParam): void {
  for (const [k, v] of Object.entries(a)) {
    if (typeof v === 'string' && isMasked(v))
      throw new PermanentJobError(`收货信息 ${k} 仍是脱敏数据，拒绝发送给供应商 / masked ${k} refused`);
  }
  if (!a.fullName || !(a.mobile || a.phone) || !a.address) throw new PermanentJobError('收货信息不完整，拒绝下单 / incomplete receiver');
}

/** The receiver as the thread keeps it (masked, as order/get returned it). */
export const maskedAddressText = (m: Address): string =>
  `  收货人：${m.userName}\n  电话：${m.telNumber}\n  地址：${m.provinceName}${m.cityName}${m.countyName} ${m.detailInfo}`;

export function toAddressParam(a: Address): AddressParam {
  const virtual = a.useTelNumber && a.virtualTelNumber ? a.virtualTelNumber : undefined;
  const [number] = (virtual ?? a.telNumber).split('-');
  return {
    fullName: a.userName,
    mobile: number,
    // A privacy number is only reachable with its extension: keep "number-extension" whole.
    phone: virtual,
    postCode: a.postalCode || '000000',
    provinceText: a.provinceName,
    cityText: a.cityName,
    areaText: a.countyName,
    townText: '',
    address: [a.detailInfo, a.houseNumber].filter(Boolean).join(' ').slice(0, 200),
  };
}
