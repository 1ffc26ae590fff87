import { describe, expect, it } from 'vitest';
import { aopSignature, messageSignature } from './signing.js';

describe('1688 _aop_signature', () => {
  it('official vector: param2/1/system/currentTime/1000000 with b=2&a=1, secret test123', () => {
    expect(aopSignature('param2/1/system/currentTime/1000000', { b: '2', a: '1' }, 'test123')).toBe(
      '33E54F4F7B989E3E0E912D3FBD2F1A03CA7CCE88',
    );
  });

  it('buyerView vector: access_token is signed, and "_" sorts before lower-case letters', () => {
    const params = {
      access_token: 'f14da3b8-b0b1-4f73-a5de-9bed637e0188',
      webSite: '1688',
      orderId: '58218860983545941',
      _aop_timestamp: '1700000000000',
    };
    expect(aopSignature('param2/1/com.alibaba.trade/alibaba.trade.get.buyerView/1000000', params, 'test123')).toBe(
      '838FACA0994C55C3E1AFD04403B3E942B7A8E4C4',
    );
  });

  it('sorts the concatenated key+value strings (official rule), not the keys', () => {
    expect(aopSignature('param2/1/system/currentTime/1000000', { a: 'z', ab: '1' }, 'test123')).toBe(
      '8455C1445CD6FD189617EBA7A8A5C98E78786564',
    );
  });

  it('message push signature over "message" + JSON', () => {
    const msg =
      '{"bizKey":"167539019420540000","data":{"buyerMemberId":"b2b-665170100","currentStatus":"waitsellersend","msgSendTime":"2018-05-30 19:34:27","orderId":167539019420540000,"sellerMemberId":"b2b-1676547900b7bb3"},"gmtBorn":1586227869437,"msgId":7565094247,"type":"ORDER_BUYER_VIEW_ORDER_PAY","userInfo":"b2b-665170100"}';
    expect(messageSignature(msg, 'test123')).toBe('7CF4C346DC8C7C02D19B567ED7172295C6213C5D');
  });
});
