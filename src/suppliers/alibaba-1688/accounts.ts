import type { AdaptiveRateLimiter } from '../../lib/rate-limiter.js';
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
    /** One pace for all of this install's 1688 calls (the gateway limits per app). */
    private readonly limiter?: AdaptiveRateLimiter,
  ) {}

  async add(input: {
    appKey: string;
    appSecret: string;
    accessToken: string;
    refreshToken?: string;
    accessExpiresAt: number;
    refreshExpiresAt?: number;
    memberId?: string;
  }): Promise<number> {
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
    this.secrets = undefined;
    return row.id;
  }

  /**
   * A client with the stored token as it is — never refreshed, nothing written — for `daifa doctor --deep`, which
   * must change nothing. Undefined when no account is connected.
   */
  async probeClient(
    onAnswer: (api: string, body: Record<string, unknown>) => void,
  ): Promise<{ client: Alibaba1688Client; memberId: string | null; expiresAt: number } | undefined> {
    const acct = await this.db.kysely
      .selectFrom('supplier_accounts')
      .selectAll()
      .where('kind', '=', '1688')
      .orderBy('id')
      .executeTakeFirst();
    if (!acct || !acct.access_token_enc) return undefined;
    const client = new Alibaba1688Client(
      { appKey: acct.app_key, appSecret: this.box.open(acct.app_secret_enc), accessToken: this.box.open(acct.access_token_enc) },
      { baseUrl: this.baseUrl, log: this.log, now: this.now, onAnswer },
    );
    return { client, memberId: acct.member_id, expiresAt: acct.access_expires_at ?? 0 };
  }

  /** The first connected account as stored (tokens sealed): the sandbox re-registers it with its simulator. */
  async stored() {
    return this.db.kysely.selectFrom('supplier_accounts').selectAll().where('kind', '=', '1688').executeTakeFirst();
  }

  /** The connected 1688 accounts (never a token). */
  async list() {
    return this.db.kysely
      .selectFrom('supplier_accounts')
      .select(['id', 'app_key', 'member_id', 'access_expires_at', 'refresh_expires_at', 'updated_at'])
      .execute();
  }

  async client(): Promise<Alibaba1688Client> {
    const now = this.now();
    if (this.cached && now < this.cached.expiresAt - 5 * 60_000) return this.cached.client;
    const acct = await this.db.kysely
      .selectFrom('supplier_accounts')
      .selectAll()
      .where('kind', '=', '1688')
      .orderBy('id')
      .executeTakeFirst();
    if (!acct || !acct.access_token_enc)
      throw new DaifaError('CONFIG', '尚未连接 1688 账号 / no 1688 account connected', { retryable: false });
    const appSecret = this.box.open(acct.app_secret_enc);
    let accessToken = this.box.open(acct.access_token_enc);
    let expiresAt = acct.access_expires_at ?? 0;
    if (now >= expiresAt - 5 * 60_000 && acct.refresh_token_enc) {
      const refreshed = await this.refresh(acct.app_key, appSecret, this.box.open(acct.refresh_token_enc));
      accessToken = refreshed.accessToken;
      expiresAt = now + refreshed.expiresIn * 1000;
      await this.db.kysely
        .updateTable('supplier_accounts')
        .set({ access_token_enc: this.box.seal(accessToken), access_expires_at: expiresAt, updated_at: now })
        .where('id', '=', acct.id)
        .execute();
      this.log.info({ account: acct.id }, '1688 access token refreshed');
    }
    const refreshToken = acct.refresh_token_enc ? this.box.open(acct.refresh_token_enc) : undefined;
    const client = new Alibaba1688Client(
      { appKey: acct.app_key, appSecret, accessToken },
      {
        baseUrl: this.baseUrl,
        log: this.log,
        now: this.now,
        limiter: this.limiter,
        onUnauthorized: async () => {
          if (!refreshToken)
            throw new DaifaError('CONFIG', '1688 授权已失效且无法刷新，请重新授权 / 1688 authorisation expired', { retryable: false });
          const r = await this.refresh(acct.app_key, appSecret, refreshToken);
          const at = this.now() + r.expiresIn * 1000;
          await this.db.kysely
            .updateTable('supplier_accounts')
            .set({ access_token_enc: this.box.seal(r.accessToken), access_expires_at: at, updated_at: this.now() })
            .where('id', '=', acct.id)
            .execute();
          this.log.info({ account: acct.id }, '1688 access token refreshed after 401');
          return r.accessToken;
        },
      },
    );
    this.cached = { id: acct.id, client, expiresAt };
    return client;
  }

  /** The app secrets of the connected 1688 apps: a pushed message is genuine if it is signed with one of them. */
  async appSecrets(reload = false): Promise<string[]> {
    // Asked on every pushed message: read and unsealed once per process (again after an account is added, or when
    // a message matches none — another process may have connected an app).
    if (!this.secrets || reload) {
      const rows = await this.db.kysely.selectFrom('supplier_accounts').select('app_secret_enc').where('kind', '=', '1688').execute();
      this.secrets = rows.map((r) => this.box.open(r.app_secret_enc));
    }
    return this.secrets;
  }
  private secrets?: string[];

  /** OAuth step 3: exchange the authorization code (valid 2 minutes) for tokens and store them sealed. */
  async connect(input: { appKey: string; appSecret: string; code: string; redirectUri: string }): Promise<number> {
    const res = await fetch(`${this.baseUrl}/openapi/http/1/system.oauth2/getToken/${input.appKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        need_refresh_token: 'true',
        client_id: input.appKey,
        client_secret: input.appSecret,
        redirect_uri: input.redirectUri,
        code: input.code,
      }).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const b = (await res.json().catch(() => ({}))) as Record<string, string>;
    if (!res.ok || !b.access_token)
      throw new DaifaError('VALIDATION', `1688 授权失败 / authorisation failed: ${b.error_description ?? res.status}`);
    const now = this.now();
    return this.add({
      appKey: input.appKey,
      appSecret: input.appSecret,
      accessToken: b.access_token,
      refreshToken: b.refresh_token,
      accessExpiresAt: now + Number(b.expires_in ?? 36000) * 1000,
      refreshExpiresAt: parse1688Time(b.refresh_token_timeout),
      memberId: b.memberId,
    });
  }

  /** Accounts whose refresh token lapses within `withinMs` (the merchant must re-authorise before then). */
  async expiring(withinMs: number): Promise<{ id: number; memberId: string | null; expiresAt: number }[]> {
    const rows = await this.db.kysely
      .selectFrom('supplier_accounts')
      .select(['id', 'member_id', 'refresh_expires_at'])
      .where('kind', '=', '1688')
      .where('refresh_expires_at', 'is not', null)
      .where('refresh_expires_at', '<', this.now() + withinMs)
      .execute();
    return rows.map((r) => ({ id: r.id, memberId: r.member_id, expiresAt: r.refresh_expires_at! }));
  }

  /** Forget the cached token (after a 401) so the next call refreshes. */
  invalidate(): void {
    if (this.cached) this.cached.expiresAt = 0;
  }

  private async refresh(appKey: string, appSecret: string, refreshToken: string): Promise<{ accessToken: string; expiresIn: number }> {
    const res = await fetch(`${this.baseUrl}/openapi/param2/1/system.oauth2/getToken/${appKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: appKey,
        client_secret: appSecret,
        refresh_token: refreshToken,
      }).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: string | number;
      error_description?: string;
    };
    if (!res.ok || !body.access_token)
      throw new DaifaError(
        'UPSTREAM_UNAVAILABLE',
        `1688 授权刷新失败，请重新授权 / refresh failed: ${body.error_description ?? res.status}`,
        { retryable: false },
      );
    return { accessToken: body.access_token, expiresIn: Number(body.expires_in ?? 36000) };
  }
}

/** 1688 times: "yyyyMMddHHmmss+0800" (or with milliseconds, 17 digits) → epoch ms. */
export function parse1688Time(v: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?([+-]\d{4})$/.exec(v ?? '');
  if (!m) return undefined;
  const tz = m[8]!;
  const offsetMin = (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)));
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7] : 0) - offsetMin * 60_000;
}
