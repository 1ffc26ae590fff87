import type { Logger } from 'pino';
import type { Db } from '../../db/dialect.js';
import { DaifaError } from '../../lib/errors.js';
import type { SecretBox } from '../../security/secrets.js';
import { Alibaba1688Client } from './client.js';

/**
 * The merchant's 1688 buyer account: app key/secret and OAuth tokens sealed at rest. Access tokens live 10 h and
 * are refreshed with the refresh token (grant_type=refresh_token); the refresh token's own expiry comes from
 * `refresh_token_timeout` and is watched (alert before it lapses).
 */
export class Alibaba1688Accounts {
  private cached?: { id: number; client: Alibaba1688Client; expiresAt: number };

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly baseUrl: string,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  async add(input: { appKey: string; appSecret: string; accessToken: string; refreshToken?: string; accessExpiresAt: number; refreshExpiresAt?: number; memberId?: string }): Promise<number> {
    const t = this.now();
    const row = await this.db.kysely
      .insertInto('supplier_accounts')
      .values({
        kind: '1688',
        app_key: input.appKey,
        app_secret_enc: this.box.seal(input.appSecret),
        access_token_enc: this.box.seal(input.accessToken),
        access_expires_at: input.accessExpiresAt,
        refresh_token_enc: input.refreshToken ? this.box.seal(input.refreshToken) : null,
        refresh_expires_at: input.refreshExpiresAt ?? null,
        member_id: input.memberId ?? null,
        created_at: t,
        updated_at: t,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    this.cached = undefined;
    return row.id;
  }

  async client(): Promise<Alibaba1688Client> {
    const now = this.now();
    if (this.cached && now < this.cached.expiresAt - 5 * 60_000) return this.cached.client;
    const acct = await this.db.kysely.selectFrom('supplier_accounts').selectAll().where('kind', '=', '1688').orderBy('id').executeTakeFirst();
    if (!acct || !acct.access_token_enc) throw new DaifaError('CONFIG', '尚未连接 1688 账号 / no 1688 account connected', { retryable: false });
    const appSecret = this.box.open(acct.app_secret_enc);
    let accessToken = this.box.open(acct.access_token_enc);
    let expiresAt = acct.access_expires_at ?? 0;
    if (now >= expiresAt - 5 * 60_000 && acct.refresh_token_enc) {
      const refreshed = await this.refresh(acct.app_key, appSecret, this.box.open(acct.refresh_token_enc));
      accessToken = refreshed.accessToken;
      expiresAt = now + refreshed.expiresIn * 1000;
      await this.db.kysely.updateTable('supplier_accounts').set({ access_token_enc: this.box.seal(accessToken), access_expires_at: expiresAt, updated_at: now }).where('id', '=', acct.id).execute();
      this.log.info({ account: acct.id }, '1688 access token refreshed');
    }
    const client = new Alibaba1688Client({ appKey: acct.app_key, appSecret, accessToken }, { baseUrl: this.baseUrl, log: this.log, now: this.now });
    this.cached = { id: acct.id, client, expiresAt };
    return client;
  }

  /** Forget the cached token (after a 401) so the next call refreshes. */
  invalidate(): void {
    if (this.cached) this.cached.expiresAt = 0;
  }

  private async refresh(appKey: string, appSecret: string, refreshToken: string): Promise<{ accessToken: string; expiresIn: number }> {
    const res = await fetch(`${this.baseUrl}/openapi/param2/1/system.oauth2/getToken/${appKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: appKey, client_secret: appSecret, refresh_token: refreshToken }).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: string | number; error_description?: string };
    if (!res.ok || !body.access_token) throw new DaifaError('UPSTREAM_UNAVAILABLE', `1688 授权刷新失败，请重新授权 / refresh failed: ${body.error_description ?? res.status}`, { retryable: false });
    return { accessToken: body.access_token, expiresIn: Number(body.expires_in ?? 36000) };
  }
}
