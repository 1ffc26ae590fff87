import { useContext, useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, App, Button, Checkbox, Form, Input, InputNumber, Modal, Select, Space, Steps, Tag, TimePicker, Typography } from 'antd';
import { DataTable } from '../DataTable';
import dayjs from 'dayjs';
import { api, time } from '../api';
import { alertEventLabels, channelLabels, label, LangContext, useT } from '../i18n';
import { can, Section, useAction, type User } from '../ui';

export default function Settings({ user }: { user: User }) {
  const t = useT();
  const owner = can(user, 'owner');
  const shops = useQuery({ queryKey: ['shops'], queryFn: () => api('GET', '/api/shops') });
  const [shopId, setShopId] = useState<number>();
  useEffect(() => {
    if (!shopId && shops.data?.shops?.length) setShopId(shops.data.shops[0].id);
  }, [shops.data, shopId]);
  return (
    <div>
      <ShopsSection owner={owner} shops={shops.data?.shops ?? []} />
      <AccountsSection />
      <Section
        title={t('Shop')}
        extra={
          <Select
            aria-label={t('Shop')}
            style={{ width: 220 }}
            value={shopId}
            onChange={setShopId}
            options={(shops.data?.shops ?? []).map((s: any) => ({ value: s.id, label: s.name }))}
          />
        }
      >
        {shopId && <LimitsForm key={`l${shopId}`} shopId={shopId} owner={owner} />}
        {shopId && <WeightsForm key={`w${shopId}`} shopId={shopId} owner={owner} />}
        {shopId && <AlertsForm key={`a${shopId}`} shopId={shopId} owner={owner} />}
      </Section>
      {owner && <UsersSection me={user.username} />}
      <TokensSection />
    </div>
  );
}

function ShopsSection({ owner, shops }: { owner: boolean; shops: any[] }) {
  const t = useT();
  const act = useAction();
  const { message } = App.useApp();
  const [step, setStep] = useState(-1);
  const [created, setCreated] = useState<{ shop: any; webhookUrl: string }>();
  const [test, setTest] = useState<{ ok: boolean; message: string }>();
  return (
    <Section
      title={t('Shops')}
      extra={
        owner &&
        step < 0 && (
          <Button
            onClick={() => {
              setStep(0);
              setCreated(undefined);
              setTest(undefined);
            }}
          >
            {t('Add shop')}
          </Button>
        )
      }
    >
      <DataTable
        rowKey="id"
        size="small"
        pagination={false}
        scroll={{ x: 600 }}
        dataSource={shops}
        columns={[
          { title: '#', dataIndex: 'id' },
          {
            title: t('Shop'),
            dataIndex: 'name',
            render: (v: string, r: any) => (
              <span>
                {v} {r.isSandbox && <Tag color="purple">sandbox</Tag>}
              </span>
            ),
          },
          { title: 'AppID', dataIndex: 'appId' },
          {
            title: t('Webhook URL'),
            dataIndex: 'webhookPath',
            render: (v: string) => (
              <code>
                {location.origin}
                {v}
              </code>
            ),
          },
          {
            title: t('Mode'),
            dataIndex: 'mode',
            render: (v: string, r: any) =>
              owner ? (
                <Select
                  aria-label={t('Mode')}
                  size="small"
                  value={v}
                  style={{ width: 170 }}
                  onChange={(mode) =>
                    // Switching mode changes what happens to every new order: asked first, with the consequence.
                    Modal.confirm({
                      title:
                        mode === 'live' ? `切换为正式模式？/ Switch ${r.name} to live?` : `切换为影子模式？/ Switch ${r.name} to shadow?`,
                      content:
                        mode === 'live'
                          ? '新订单将真实地向供应商下单并付款。/ New orders will be placed with suppliers and paid for real.'
                          : '新订单只记录不下单：供应商不会收到订单，买家的订单不会发货。/ New orders are recorded only: no supplier order, nothing ships.',
                      okText: mode === 'live' ? '切换为正式 / Go live' : '切换为影子 / Shadow',
                      cancelText: '返回 / Back',
                      onOk: () => act.mutateAsync({ method: 'PUT', path: `/api/shops/${r.id}/mode`, body: { mode }, ok: t('Saved') }),
                    })
                  }
                  options={[
                    { value: 'live', label: t('Live') },
                    { value: 'shadow', label: t('Shadow') },
                  ]}
                />
              ) : (
                v
              ),
          },
        ]}
      />
      {step >= 0 && (
        <div style={{ marginTop: 16, maxWidth: 640 }}>
          <Steps
            size="small"
            current={step}
            items={[{ title: 'AppID / Secret' }, { title: t('Webhook URL') }, { title: 'Test' }]}
            style={{ marginBottom: 16 }}
          />
          {step === 0 && (
            <Form
              layout="vertical"
              onFinish={async (v) => {
                try {
                  setCreated(await api('POST', '/api/shops', v));
                  setStep(1);
                } catch (e) {
                  void message.error((e as Error).message, 6);
                }
              }}
            >
              <Form.Item name="name" label={t('Shop')} rules={[{ required: true }]}>
                <Input />
              </Form.Item>
              <Form.Item name="appId" label="AppID" rules={[{ required: true }]}>
                <Input placeholder="wx0123456789abcdef" />
              </Form.Item>
              <Form.Item name="appSecret" label="AppSecret" rules={[{ required: true }]}>
                <Input.Password />
              </Form.Item>
              <Form.Item name="pushToken" label="Token" rules={[{ required: true }]}>
                <Input />
              </Form.Item>
              <Form.Item name="encodingAesKey" label="EncodingAESKey" rules={[{ required: true, len: 43 }]}>
                <Input />
              </Form.Item>
              <Space>
                <Button type="primary" htmlType="submit">
                  {t('Submit')}
                </Button>
                <Button onClick={() => setStep(-1)}>{t('Cancel')}</Button>
              </Space>
            </Form>
          )}
          {step === 1 && created && (
            <div>
              <Typography.Paragraph>
                微信小店后台 → 消息推送：URL / Token / EncodingAESKey，安全模式，JSON。Add this URL in the WeChat Shop backend (secure mode,
                JSON):
              </Typography.Paragraph>
              <Typography.Paragraph copyable code>
                {created.webhookUrl}
              </Typography.Paragraph>
              <Button
                type="primary"
                onClick={async () => {
                  setTest(await api('POST', `/api/shops/${created.shop.id}/test`, {}));
                  setStep(2);
                }}
              >
                Test
              </Button>
            </div>
          )}
          {step === 2 && test && (
            <Space direction="vertical">
              <Alert type={test.ok ? 'success' : 'error'} message={test.message} />
              <Button onClick={() => setStep(-1)}>OK</Button>
            </Space>
          )}
        </div>
      )}
    </Section>
  );
}

function AccountsSection() {
  const t = useT();
  const { data } = useQuery({ queryKey: ['alibaba-accounts'], queryFn: () => api('GET', '/api/alibaba/accounts') });
  return (
    <Section title={t('1688 accounts')}>
      <DataTable
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={data?.accounts ?? []}
        columns={[
          { title: 'AppKey', dataIndex: 'app_key' },
          { title: 'Member', dataIndex: 'member_id' },
          {
            title: t('Refresh token expires'),
            dataIndex: 'refresh_expires_at',
            render: (v: number) => (
              <span>
                {time(v)} {v - Date.now() < 14 * 86_400_000 && <Tag color="red">!</Tag>}
              </span>
            ),
          },
        ]}
      />
      <ConnectAlibaba />
    </Section>
  );
}

/** 1688 OAuth: open the authorisation page, then paste the code it returns (valid two minutes). */
function ConnectAlibaba() {
  const t = useT();
  const act = useAction();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [url, setUrl] = useState<string>();
  return (
    <Form
      form={form}
      layout="vertical"
      style={{ marginTop: 12, maxWidth: 560 }}
      onFinish={async (v) => {
        await act.mutateAsync({ method: 'POST', path: '/api/alibaba/connect', body: v, ok: t('Saved') });
        setUrl(undefined);
        form.resetFields();
      }}
    >
      <Typography.Title level={5}>连接 1688 账号 / connect a 1688 account</Typography.Title>
      <Form.Item name="appKey" label="AppKey" rules={[{ required: true }]}>
        <Input />
      </Form.Item>
      <Form.Item name="appSecret" label="AppSecret" rules={[{ required: true }]}>
        <Input.Password />
      </Form.Item>
      <Form.Item name="redirectUri" label="Redirect URI" rules={[{ required: true, type: 'url' }]}>
        <Input placeholder="https://daifa.example.cn/oauth/1688" />
      </Form.Item>
      <Button
        onClick={async () => {
          try {
            const v = await form.validateFields(['appKey', 'redirectUri']);
            const r = await api(
              'GET',
              `/api/alibaba/authorize-url?appKey=${encodeURIComponent(v.appKey)}&redirectUri=${encodeURIComponent(v.redirectUri)}`,
            );
            setUrl(r.url);
          } catch (e) {
            if (e instanceof Error) void message.error(e.message);
          }
        }}
      >
        1. 获取授权链接 / authorisation link
      </Button>
      {url && (
        <Typography.Paragraph copyable={{ text: url }} style={{ marginTop: 8 }}>
          <a href={url} target="_blank" rel="noreferrer">
            {url}
          </a>
        </Typography.Paragraph>
      )}
      {url && (
        <>
          <Form.Item name="code" label="2. 授权码 / code" rules={[{ required: true }]} style={{ marginTop: 8 }}>
            <Input />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            3. 连接 / connect
          </Button>
        </>
      )}
    </Form>
  );
}

function LimitsForm({ shopId, owner }: { shopId: number; owner: boolean }) {
  const t = useT();
  const act = useAction();
  const { data } = useQuery({ queryKey: ['limits', shopId], queryFn: () => api('GET', `/api/shops/${shopId}/payment-limits`) });
  if (!data) return null;
  const hours = data.payHours ? [dayjs(`2000-01-01T${data.payHours.from}`), dayjs(`2000-01-01T${data.payHours.to}`)] : null;
  return (
    // Money is typed in yuan (元) like everywhere a person types it, and sent in fen: a limit typed in fen invited 100× mistakes.
    <Form
      layout="vertical"
      disabled={!owner}
      initialValues={{
        ...data,
        maxPerOrder: toYuan(data.maxPerOrder),
        maxPerDay: toYuan(data.maxPerDay),
        minMargin: toYuan(data.minMargin),
        approvalAbove: toYuan(data.approvalAbove),
        autoAcceptRise: toYuan(data.autoAcceptRise ?? 0),
        payHours: hours,
      }}
      onFinish={(v) =>
        act.mutate({
          method: 'PUT',
          path: `/api/shops/${shopId}/payment-limits`,
          body: {
            maxPerOrder: toFen(v.maxPerOrder),
            maxPerDay: toFen(v.maxPerDay),
            minMargin: toFen(v.minMargin),
            approvalAbove: toFen(v.approvalAbove),
            autoAcceptRise: toFen(v.autoAcceptRise ?? 0),
            payHours: v.payHours ? { from: v.payHours[0].format('HH:mm'), to: v.payHours[1].format('HH:mm') } : null,
            method1688: v.method1688,
          },
          ok: t('Saved'),
        })
      }
    >
      <Typography.Title level={5}>{t('Payment guardrails')}</Typography.Title>
      <Space wrap>
        <Form.Item name="maxPerOrder" label={t('Max per order (yuan)')} rules={[{ required: true }]}>
          <InputNumber min={0.01} step={1} precision={2} prefix="¥" />
        </Form.Item>
        <Form.Item name="maxPerDay" label={t('Max per day (yuan)')} rules={[{ required: true }]}>
          <InputNumber min={0.01} step={100} precision={2} prefix="¥" />
        </Form.Item>
        <Form.Item name="minMargin" label={t('Min margin (yuan)')} rules={[{ required: true }]}>
          <InputNumber step={1} precision={2} prefix="¥" />
        </Form.Item>
        <Form.Item name="approvalAbove" label={t('Approval above (yuan)')} rules={[{ required: true }]}>
          <InputNumber min={0} step={10} precision={2} prefix="¥" />
        </Form.Item>
        <Form.Item
          name="autoAcceptRise"
          label={t('Accept price rises up to (yuan)')}
          tooltip={t('A supplier price rise up to this amount is accepted by itself while the margin clears the floor; 0: always ask')}
        >
          <InputNumber min={0} step={1} precision={2} prefix="¥" />
        </Form.Item>
        <Form.Item name="payHours" label={<span>付款时段 / paying hours</span>}>
          <TimePicker.RangePicker format="HH:mm" order={false} />
        </Form.Item>
        <Form.Item name="method1688" label="1688">
          <Select
            style={{ width: 150 }}
            options={[
              { value: 'protocol', label: '免密支付 protocol' },
              { value: 'link', label: '付款链接 link' },
            ]}
          />
        </Form.Item>
      </Space>
      {owner && (
        <Form.Item>
          <Button htmlType="submit" type="primary">
            {t('Save')}
          </Button>
        </Form.Item>
      )}
    </Form>
  );
}

const toYuan = (fen: number | undefined) => (typeof fen === 'number' ? fen / 100 : undefined);
const toFen = (yuan: number) => Math.round(Number(yuan) * 100);

function WeightsForm({ shopId, owner }: { shopId: number; owner: boolean }) {
  const t = useT();
  const act = useAction();
  const { data } = useQuery({ queryKey: ['weights', shopId], queryFn: () => api('GET', `/api/shops/${shopId}/scoring-weights`) });
  if (!data) return null;
  return (
    <Form
      layout="vertical"
      disabled={!owner}
      initialValues={data}
      onFinish={(v) => act.mutate({ method: 'PUT', path: `/api/shops/${shopId}/scoring-weights`, body: v, ok: t('Saved') })}
    >
      <Typography.Title level={5}>{t('Scoring weights')}</Typography.Title>
      <Space wrap>
        {(['cost', 'reliability', 'speed', 'reputation'] as const).map((k) => (
          <Form.Item key={k} name={k} label={t(k[0]!.toUpperCase() + k.slice(1))} rules={[{ required: true }]}>
            <InputNumber min={0} max={100} step={0.05} />
          </Form.Item>
        ))}
      </Space>
      {owner && (
        <Form.Item>
          <Button htmlType="submit" type="primary">
            {t('Save')}
          </Button>
        </Form.Item>
      )}
    </Form>
  );
}

/** 提醒规则: where alerts go (WeCom group, SMS, e-mail), quiet hours, the digest, and which event goes where. */
function AlertsForm({ shopId, owner }: { shopId: number; owner: boolean }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const act = useAction();
  const [form] = Form.useForm();
  const { data } = useQuery({ queryKey: ['alerts', shopId], queryFn: () => api('GET', `/api/shops/${shopId}/alerts`) });
  const catalog = useQuery({ queryKey: ['alerts-catalog'], queryFn: () => api('GET', '/api/alerts/catalog') });
  if (!data || !catalog.data) return null;
  const { events, channels, defaults } = catalog.data as { events: string[]; channels: string[]; defaults: Record<string, string[]> };
  const initial = {
    language: data.language ?? 'zh',
    webhookUrl: data.wecom?.webhookUrl,
    phones: data.sms?.phones ?? [],
    emails: data.email?.to ?? [],
    quietStart: data.quietHours?.start,
    quietEnd: data.quietHours?.end,
    digestAt: data.digestAt,
    routes: Object.fromEntries(events.map((e) => [e, data.routes?.[e] ?? defaults[e] ?? []])),
  };
  const hhmm = { pattern: /^([01]\d|2[0-3]):[0-5]\d$/, message: lang === 'zh' ? '时间格式 HH:MM' : 'time as HH:MM' };
  const save = (v: typeof initial) =>
    act.mutate({
      method: 'PUT',
      path: `/api/shops/${shopId}/alerts`,
      ok: t('Saved'),
      body: {
        language: v.language,
        ...(v.webhookUrl ? { wecom: { webhookUrl: v.webhookUrl } } : {}),
        ...(v.phones?.length ? { sms: { phones: v.phones } } : {}),
        ...(v.emails?.length ? { email: { to: v.emails } } : {}),
        ...(v.quietStart && v.quietEnd ? { quietHours: { start: v.quietStart, end: v.quietEnd } } : {}),
        ...(v.digestAt ? { digestAt: v.digestAt } : {}),
        routes: v.routes,
      },
    });
  return (
    <div>
      <Typography.Title level={5}>{t('Notification rules')}</Typography.Title>
      <Form form={form} layout="vertical" disabled={!owner} initialValues={initial} onFinish={save} key={shopId}>
        <Space wrap align="start">
          <Form.Item
            name="webhookUrl"
            label={lang === 'zh' ? '企业微信群机器人 Webhook' : 'WeCom group bot webhook'}
            rules={[{ type: 'url' }]}
            style={{ minWidth: 360 }}
          >
            <Input placeholder="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…" />
          </Form.Item>
          <Form.Item name="phones" label={lang === 'zh' ? '短信手机号' : 'SMS phones'} style={{ minWidth: 240 }}>
            <Select mode="tags" tokenSeparators={[',', ' ']} open={false} suffixIcon={null} placeholder="13800138000" />
          </Form.Item>
          <Form.Item name="emails" label={lang === 'zh' ? '邮件地址' : 'E-mail addresses'} style={{ minWidth: 240 }}>
            <Select mode="tags" tokenSeparators={[',', ' ']} open={false} suffixIcon={null} placeholder="boss@example.com" />
          </Form.Item>
        </Space>
        <Space wrap align="start">
          <Form.Item name="quietStart" label={lang === 'zh' ? '免打扰开始（北京时间）' : 'Quiet hours from (China time)'} rules={[hhmm]}>
            <Input placeholder="22:00" style={{ width: 120 }} />
          </Form.Item>
          <Form.Item name="quietEnd" label={lang === 'zh' ? '免打扰结束' : 'Quiet hours until'} rules={[hhmm]}>
            <Input placeholder="08:00" style={{ width: 120 }} />
          </Form.Item>
          <Form.Item name="digestAt" label={lang === 'zh' ? '每日汇总时间' : 'Daily digest at'} rules={[hhmm]}>
            <Input placeholder="08:00" style={{ width: 120 }} />
          </Form.Item>
          <Form.Item name="language" label={lang === 'zh' ? '提醒语言' : 'Alert language'}>
            <Select
              style={{ width: 120 }}
              options={[
                { value: 'zh', label: '中文' },
                { value: 'en', label: 'English' },
              ]}
            />
          </Form.Item>
        </Space>
        <DataTable
          size="small"
          pagination={false}
          rowKey="event"
          dataSource={events.map((e) => ({ event: e }))}
          columns={[
            { title: lang === 'zh' ? '事件' : 'Event', dataIndex: 'event', render: (e: string) => label(alertEventLabels, e, lang) },
            {
              title: lang === 'zh' ? '发送到' : 'Send to',
              dataIndex: 'event',
              key: 'to',
              render: (e: string) => (
                <Form.Item name={['routes', e]} style={{ marginBottom: 0 }}>
                  <Checkbox.Group
                    aria-label={label(alertEventLabels, e, lang)}
                    options={channels.map((c) => ({ value: c, label: label(channelLabels, c, lang) }))}
                  />
                </Form.Item>
              ),
            },
          ]}
        />
        {owner && (
          <Button style={{ marginTop: 8 }} type="primary" htmlType="submit">
            {t('Save')}
          </Button>
        )}
      </Form>
    </div>
  );
}

function UsersSection({ me }: { me: string }) {
  const t = useT();
  const act = useAction();
  const { data } = useQuery({ queryKey: ['users'], queryFn: () => api('GET', '/api/users') });
  const [form] = Form.useForm();
  const roles = [
    { value: 'viewer', label: t('Viewer') },
    { value: 'operator', label: t('Operator') },
    { value: 'owner', label: t('Owner') },
  ];
  return (
    <Section title={t('Users')}>
      <DataTable
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={data?.users ?? []}
        columns={[
          { title: t('Username'), dataIndex: 'username' },
          {
            title: t('Role'),
            dataIndex: 'role',
            render: (v: string, r: any) => (
              <Select
                aria-label={t('Role')}
                size="small"
                disabled={r.username === me}
                value={v}
                style={{ width: 120 }}
                options={roles}
                onChange={(role) => act.mutate({ method: 'PATCH', path: `/api/users/${r.id}`, body: { role }, ok: t('Saved') })}
              />
            ),
          },
          {
            title: t('Disabled'),
            dataIndex: 'disabled',
            render: (v: number, r: any) => (
              <Button
                size="small"
                disabled={r.username === me}
                onClick={() =>
                  v
                    ? act.mutate({ method: 'PATCH', path: `/api/users/${r.id}`, body: { disabled: false }, ok: t('Saved') })
                    : Modal.confirm({
                        title: `停用 ${r.username}？/ Disable ${r.username}?`,
                        content:
                          '该用户将不能登录，已登录的页面立即退出（API 令牌一并失效）。/ They can no longer sign in; their open sessions end (API tokens stop working).',
                        okText: '停用 / Disable',
                        okButtonProps: { danger: true },
                        cancelText: '返回 / Back',
                        onOk: () =>
                          act.mutateAsync({ method: 'PATCH', path: `/api/users/${r.id}`, body: { disabled: true }, ok: t('Saved') }),
                      })
                }
              >
                {v ? '启用 enable' : '停用 disable'}
              </Button>
            ),
          },
          {
            title: t('API tokens'),
            key: 'tokens',
            render: (_: unknown, r: any) => (
              <Button
                size="small"
                aria-label={`${t('Revoke all tokens')} ${r.username}`}
                onClick={() =>
                  Modal.confirm({
                    title: `${t('Revoke all tokens')} ${r.username}？`,
                    content:
                      '此用户的所有 API 令牌立即失效，使用它们的脚本会停止工作。/ Every API token of this user stops working at once; scripts using them stop.',
                    okText: t('Revoke'),
                    okButtonProps: { danger: true },
                    cancelText: '返回 / Back',
                    onOk: () => act.mutateAsync({ method: 'DELETE', path: `/api/users/${r.id}/tokens`, ok: t('Revoked') }),
                  })
                }
              >
                {t('Revoke all tokens')}
              </Button>
            ),
          },
        ]}
      />
      <Form
        form={form}
        layout="inline"
        style={{ marginTop: 12 }}
        onFinish={async (v) => {
          await act.mutateAsync({ method: 'POST', path: '/api/users', body: v, ok: t('Saved') });
          form.resetFields();
        }}
      >
        <Form.Item name="username" label={t('Username')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item name="password" label={t('Password')} rules={[{ required: true, min: 8 }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="role" label={t('Role')} initialValue="operator">
          <Select style={{ width: 120 }} options={roles} />
        </Form.Item>
        <Button htmlType="submit">{t('Add user')}</Button>
      </Form>
    </Section>
  );
}

/** One's own API tokens (scripts, an ERP): which exist, when each was last used, and revoking one. */
function TokensSection() {
  const t = useT();
  const act = useAction();
  const { data } = useQuery({ queryKey: ['my-tokens'], queryFn: () => api('GET', '/api/me/tokens') });
  return (
    <Section title={t('My API tokens')}>
      <DataTable
        rowKey="id"
        size="small"
        pagination={false}
        data-testid="my-tokens"
        dataSource={data?.tokens ?? []}
        locale={{ emptyText: t('No API tokens') }}
        columns={[
          { title: t('Token name'), dataIndex: 'name' },
          { title: t('Created at'), dataIndex: 'createdAt', render: (v: number) => time(v) },
          { title: t('Last used'), dataIndex: 'lastUsedAt', render: (v: number | null) => (v ? time(v) : '—') },
          {
            title: '',
            key: 'revoke',
            render: (_: unknown, r: any) => (
              <Button
                size="small"
                danger
                aria-label={`${t('Revoke')} ${r.name}`}
                onClick={() =>
                  Modal.confirm({
                    title: `${t('Revoke')} ${r.name}？`,
                    content: '使用此令牌的脚本会立即停止工作。/ A script using this token stops at once.',
                    okText: t('Revoke'),
                    okButtonProps: { danger: true },
                    cancelText: '返回 / Back',
                    onOk: () => act.mutateAsync({ method: 'DELETE', path: `/api/me/tokens/${r.id}`, ok: t('Revoked') }),
                  })
                }
              >
                {t('Revoke')}
              </Button>
            ),
          },
        ]}
      />
    </Section>
  );
}
