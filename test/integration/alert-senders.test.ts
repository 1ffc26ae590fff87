import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaifaError } from '../../src/lib/errors.js';
import { EmailSender, TencentSmsSender, WeComSender } from '../../src/notify/senders.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';

/** Each sender against its twin over real protocols on loopback, including signature and error paths. */
describe('alert senders against their twins', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ push: { enabled: false } });
  });
  afterAll(async () => sb.close());
  const err = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e) => e as DaifaError,
    );

  it('WeCom robot: markdown delivered; 20/min per robot then 45009 (retry after the minute); 93000 for a bad key is permanent', async () => {
    const wecom = new WeComSender({ hosts: [], allowPrivate: true });
    const url = `${sb.url}/cgi-bin/webhook/send?key=robot-a`;
    await wecom.send(url, { title: '新订单 ¥59.90', body: '订单号：3705115058471208928' });
    expect(sb.wecom.messages.at(-1)).toMatchObject({ key: 'robot-a', msgtype: 'markdown' });
    expect(sb.wecom.messages.at(-1)!.content).toContain('**新订单 ¥59.90**');
    for (let i = 1; i < 20; i++) await wecom.send(url, { title: `t${i}`, body: '' });
    const limited = await err(wecom.send(url, { title: 'one too many', body: '' }));
    expect(limited?.retryable).toBe(true);
    expect(limited?.retryAfterMs).toBe(60_000);
    sb.wecom.acceptAnyKey = false;
    const bad = await err(wecom.send(`${sb.url}/cgi-bin/webhook/send?key=unknown`, { title: 'x', body: '' }));
    expect(bad?.retryable).toBe(false);
    expect(bad?.message).toContain('93000');
    sb.wecom.acceptAnyKey = true;
  });

  it('Tencent SMS: TC3-signed SendSms accepted; wrong key, unknown id, unapproved template refused; per-number limits retry later', async () => {
    const good = new TencentSmsSender(sb.smsConfig);
    await good.send('13800138000', { title: '发货超时风险 3705115058471208928', body: 'ignored by the template' });
    expect(sb.sms.messages.at(-1)).toMatchObject({ phone: '+8613800138000', templateId: sb.smsConfig.templateId });
    expect(sb.sms.messages.at(-1)!.params[0]).toHaveLength(20);

    const wrongKey = await err(
      new TencentSmsSender({ ...sb.smsConfig, secretKey: 'not-the-key' }).send('13800138001', { title: 'x', body: '' }),
    );
    expect(wrongKey?.details).toEqual({ code: 'AuthFailure.SignatureFailure' });
    expect(wrongKey?.retryable).toBe(false);
    const unknownId = await err(
      new TencentSmsSender({ ...sb.smsConfig, secretId: 'AKIDnobody' }).send('13800138001', { title: 'x', body: '' }),
    );
    expect(unknownId?.details).toEqual({ code: 'AuthFailure.SecretIdNotFound' });
    const template = await err(new TencentSmsSender({ ...sb.smsConfig, templateId: '999' }).send('13800138001', { title: 'x', body: '' }));
    expect(template?.details).toEqual({ code: 'FailedOperation.TemplateIncorrectOrUnapproved' });
    expect(template?.retryable).toBe(false);

    const again = await err(good.send('13800138000', { title: 'second within 30 s', body: '' }));
    expect(again?.details).toEqual({ code: 'LimitExceeded.PhoneNumberThirtySecondLimit' });
    expect(again?.retryable).toBe(true);
    expect(again?.retryAfterMs).toBe(30_000);
    const badPhone = await err(good.send('12345', { title: 'x', body: '' }));
    expect(badPhone?.details).toEqual({ code: 'InvalidParameterValue.IncorrectPhoneNumber' });
  });

  it('e-mail over SMTP: Chinese subject and body arrive; a refused login is permanent; a dead server is retryable', async () => {
    const mail = new EmailSender(sb.smtpUrl, 'Daifa <daifa@example.com>');
    await mail.send('boss@example.com', { title: '每日汇总 2026-11-26', body: '今日订单：Confirmed 12' });
    const got = sb.smtp.messages.at(-1)!;
    expect(got.to).toEqual(['boss@example.com']);
    expect(got.subject).toBe('每日汇总 2026-11-26');
    expect(got.text).toContain('今日订单：Confirmed 12');

    sb.smtp.requireAuth = { user: 'u', pass: 'right' };
    const refused = await err(
      new EmailSender(sb.smtpUrl.replace('smtp://', 'smtp://u:wrong@'), 'd@example.com').send('a@example.com', { title: 't', body: 'b' }),
    );
    expect(refused?.retryable).toBe(false);
    await new EmailSender(sb.smtpUrl.replace('smtp://', 'smtp://u:right@'), 'd@example.com').send('a@example.com', {
      title: 'ok',
      body: 'b',
    });
    sb.smtp.requireAuth = undefined;
    const down = await err(new EmailSender('smtp://127.0.0.1:1', 'd@example.com').send('a@example.com', { title: 't', body: 'b' }));
    expect(down?.retryable).toBe(true);
  });
});
