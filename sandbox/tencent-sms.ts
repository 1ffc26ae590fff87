import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { tc3Sign } from '../src/notify/tc3.js';

/**
 * Twin of Tencent Cloud SMS (API 3.0 SendSms, 2021-01-11). It verifies the TC3-HMAC-SHA256 signature
 * exactly as the cloud does (AuthFailure.*), the app, sign and template (FailedOperation.*), the phone
 * numbers, and the per-number frequency limits (LimitExceeded.PhoneNumber…), and keeps what it accepted.
 */
export const SANDBOX_SMS = {
  secretId: 'AKIDsandboxDaifa000000000000000000',
  secretKey: 'sandbox-sms-secret-key-000000000',
  sdkAppId: '1400000001',
  signName: 'Daifa沙箱',
  templateId: '1000001',
};

export interface SmsRecord {
  phone: string;
  params: string[];
  templateId: string;
  signName: string;
  at: number;
}

export class TencentSmsTwin {
  readonly messages: SmsRecord[] = [];
  readonly rejected: Record<string, number> = {};
  limits = [
    { code: 'LimitExceeded.PhoneNumberThirtySecondLimit', windowMs: 30_000, max: 1 },
    { code: 'LimitExceeded.PhoneNumberOneHourLimit', windowMs: 3_600_000, max: 5 },
    { code: 'LimitExceeded.PhoneNumberDailyLimit', windowMs: 86_400_000, max: 10 },
  ];
  private secrets = new Map([[SANDBOX_SMS.secretId, SANDBOX_SMS.secretKey]]);

  private fail(code: string, message: string) {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
    return { Response: { Error: { Code: code, Message: message }, RequestId: randomUUID() } };
  }

  register(app: FastifyInstance): void {
    app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
      scope.post('/tencent-sms/', async (req) => {
        const raw = String(req.body ?? '');
        const h = req.headers;
        const auth = String(h.authorization ?? '');
        const m =
          /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/sms\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(
            auth,
          );
        if (!m) return this.fail('AuthFailure.InvalidAuthorization', 'Authorization header malformed');
        const secretKey = this.secrets.get(m[1]!);
        if (!secretKey) return this.fail('AuthFailure.SecretIdNotFound', 'SecretId not found');
        const timestamp = Number(h['x-tc-timestamp']);
        if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300)
          return this.fail('AuthFailure.SignatureExpire', 'signature expired');
        const expected = tc3Sign({
          secretId: m[1]!,
          secretKey,
          service: 'sms',
          host: String(h.host),
          contentType: String(h['content-type']),
          payload: raw,
          timestamp,
        });
        if (expected.signature !== m[3] || expected.date !== m[2])
          return this.fail('AuthFailure.SignatureFailure', 'signature verification failed');
        if (h['x-tc-action'] !== 'SendSms' || h['x-tc-version'] !== '2021-01-11')
          return this.fail('InvalidAction', 'action or version not supported');
        let b: Record<string, any>;
        try {
          b = JSON.parse(raw);
        } catch {
          return this.fail('InvalidParameter', 'body is not JSON');
        }
        if (b.SmsSdkAppId !== SANDBOX_SMS.sdkAppId) return this.fail('FailedOperation.SmsSdkAppIdVerifyFail', 'SdkAppId not found');
        if (b.SignName !== SANDBOX_SMS.signName)
          return this.fail('FailedOperation.SignatureIncorrectOrUnapproved', 'sign name not approved');
        if (b.TemplateId !== SANDBOX_SMS.templateId)
          return this.fail('FailedOperation.TemplateIncorrectOrUnapproved', 'template not approved');
        const now = Date.now();
        const SendStatusSet = (Array.isArray(b.PhoneNumberSet) ? b.PhoneNumberSet : []).map((phone: string) => {
          const status = (Code: string, Message: string) => ({
            SerialNo: randomUUID(),
            PhoneNumber: phone,
            Fee: Code === 'Ok' ? 1 : 0,
            SessionContext: '',
            Code,
            Message,
            IsoCode: 'CN',
          });
          if (!/^\+861[3-9]\d{9}$/.test(phone)) {
            this.rejected['InvalidParameterValue.IncorrectPhoneNumber'] =
              (this.rejected['InvalidParameterValue.IncorrectPhoneNumber'] ?? 0) + 1;
            return status('InvalidParameterValue.IncorrectPhoneNumber', 'invalid phone number');
          }
          for (const l of this.limits) {
            if (this.messages.filter((x) => x.phone === phone && now - x.at < l.windowMs).length >= l.max) {
              this.rejected[l.code] = (this.rejected[l.code] ?? 0) + 1;
              return status(l.code, 'frequency limit');
            }
          }
          this.messages.push({ phone, params: b.TemplateParamSet ?? [], templateId: b.TemplateId, signName: b.SignName, at: now });
          return status('Ok', 'send success');
        });
        return { Response: { SendStatusSet, RequestId: randomUUID() } };
      });
    });
    app.get('/sandbox/sms/messages', async () => ({ messages: this.messages, rejected: this.rejected }));
  }
}
