import { describe, expect, it } from 'vitest';
import { parseJsonLossless, parseJsonLosslessSlow } from './lossless-json.js';

describe('parseJsonLossless', () => {
  const cases = [
    '{"order_id":3705115058471208704,"n":1}',
    '{"orderId":-3705115058471208704}',
    '[9007199254740991, 9007199254740992, 9007199254740993]',
    '{"s":"digits 3705115058471208704 inside a string","t":"\\"quoted\\" 12345678901234567890","id":12345678901234567890}',
    '{"f":1.2345678901234567890,"e":1e-12345678901234567,"g":12345678901234567e3,"h":-0.5}',
    '{"a":[{"b":{"c":[1234567890123456789,"x\\\\",4444444444444444444]}}],"ok":true,"nil":null}',
    '{"k\\"12345678901234567890":1}',
    '{"esc":"\\\\","next":98765432109876543210}',
    '"just a string"',
    '42',
    '{"small":123,"neg":-5,"float":3.25}',
  ];
  it.each(cases)('agrees with the full lossless parser: %s', (text) => {
    expect(parseJsonLossless(text)).toEqual(parseJsonLosslessSlow(text));
  });

  it('keeps 19-digit ids exact and small numbers as numbers', () => {
    expect(parseJsonLossless('{"id":3705115058471208704,"qty":2,"price":1.5}')).toEqual({ id: '3705115058471208704', qty: 2, price: 1.5 });
  });

  it('rejects what is not JSON', () => {
    expect(() => parseJsonLossless('{"a":1')).toThrow();
    expect(() => parseJsonLossless('<html>502</html>')).toThrow();
  });
});
