import { useQuery } from '@tanstack/react-query';
import { useContext } from 'react';
import { Alert, Button, Form, InputNumber, List, Segmented, Slider, Space, Spin, Typography } from 'antd';
import { api, time } from '../api';
import { LangContext, useT } from '../i18n';
import { can, Section, useAction, type User } from '../ui';

const rate = (name: string, label: string) => (
  <Form.Item key={name} name={name} label={label}>
    <Slider min={0} max={1} step={0.05} style={{ width: 220 }} ariaLabelForHandle={label} />
  </Form.Item>
);

/** 沙箱: rehearse before going live — order rate, scenario mix, faults on the 1688 side. */
export default function Sandbox({ user }: { user: User }) {
  const t = useT();
  const act = useAction();
  const { lang } = useContext(LangContext);
  const zh = lang === 'zh';
  const { data, error } = useQuery({ queryKey: ['sandbox'], queryFn: () => api('GET', '/api/sandbox'), refetchInterval: 5_000 });
  if (error) return <Alert type="info" message={(error as Error).message} />;
  if (!data) return <Spin />;
  const edit = can(user, 'operator');
  return (
    <div>
      <Section
        title={t('Sandbox')}
        extra={
          edit && (
            <Space>
              <Button
                type="primary"
                onClick={() => act.mutate({ method: 'POST', path: '/api/sandbox/orders', body: { count: 5 }, ok: t('Generated') })}
              >
                {t('Generate orders now')} ×5
              </Button>
            </Space>
          )
        }
      >
        <Typography.Paragraph>
          {data.orders} · {data.simulatorUrl}
        </Typography.Paragraph>
        {data.controls && (
          <Form
            layout="vertical"
            disabled={!edit}
            initialValues={data.controls}
            onFinish={(v) => act.mutate({ method: 'PUT', path: '/api/sandbox/controls', body: v, ok: t('Saved') })}
          >
            <Form.Item name="ordersPerMinute" label={t('Orders per minute')}>
              <InputNumber min={0} max={600} />
            </Form.Item>
            {/* Time made short: new orders must ship within these hours (WeChat: 48), so late suppliers, deadline
                risks and negotiations show within minutes. */}
            <Form.Item name="shipByHours" label={t('Ship-by hours for new orders')}>
              <InputNumber min={1} max={240} />
            </Form.Item>
            <Typography.Title level={5}>{t('Scenario mix')}</Typography.Title>
            <Space wrap>
              {rate('requestRate', t('Special-request rate'))}
              {rate('multiLineRate', t('Multi-line rate'))}
              {rate('virtualNumberRate', t('Privacy-number rate'))}
              {rate('refundRate', t('Refund rate'))}
            </Space>
            {edit && (
              <Button htmlType="submit" type="primary">
                {t('Save')}
              </Button>
            )}
          </Form>
        )}
      </Section>
      {data.clock && (
        // 沙箱时间: Daifa and the simulated platforms share this clock; faster or ahead, deadlines and retries come sooner.
        <Section title={zh ? '沙箱时间' : 'Sandbox time'}>
          <Typography.Paragraph data-testid="sandbox-clock">
            {time(data.clock.now)}
            {data.clock.offsetMs >= 60_000 && (
              <>
                {' '}
                ·{' '}
                {zh
                  ? `比真实时间快 ${(data.clock.offsetMs / 3_600_000).toFixed(1)} 小时`
                  : `${(data.clock.offsetMs / 3_600_000).toFixed(1)} h ahead of real time`}
              </>
            )}
            {' · '}
            {zh ? `倍速 ×${data.clock.rate}` : `rate ×${data.clock.rate}`}
          </Typography.Paragraph>
          {edit && (
            <Space wrap>
              <Segmented
                aria-label={zh ? '时间倍速' : 'Time rate'}
                value={data.clock.rate}
                onChange={(v) => act.mutate({ method: 'PUT', path: '/api/sandbox/clock', body: { rate: Number(v) }, ok: t('Saved') })}
                options={[1, 60, 360, 1440].map((r) => ({ value: r, label: r === 1 ? (zh ? '正常' : 'real') : `×${r}` }))}
              />
              {[1, 6, 24].map((h) => (
                <Button
                  key={h}
                  onClick={() => act.mutate({ method: 'PUT', path: '/api/sandbox/clock', body: { advanceHours: h }, ok: t('Saved') })}
                >
                  {zh ? `快进 ${h} 小时` : `Forward ${h} h`}
                </Button>
              ))}
            </Space>
          )}
          <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
            {zh
              ? '×60 时真实 1 分钟 = 沙箱 1 小时：发货时限、供应商延迟、重试和超时提醒随之提前；时间只会向前走。'
              : 'At ×60 one real minute is one sandbox hour: ship-by deadlines, late sellers, retries and reminders come sooner; time only moves forward.'}
          </Typography.Paragraph>
        </Section>
      )}
      <Section title={t('Fault knobs')}>
        <Form
          layout="vertical"
          disabled={!edit}
          initialValues={{ ...data.faults, priceRiseYuan: (data.faults.priceRiseFen ?? 0) / 100 }}
          onFinish={({ priceRiseYuan, ...v }) =>
            act.mutate({
              method: 'PUT',
              path: '/api/sandbox/faults',
              body: { ...v, priceRiseFen: Math.round((priceRiseYuan ?? 0) * 100) },
              ok: t('Saved'),
            })
          }
        >
          <Space wrap>
            {rate('lateRate', t('Late rate'))}
            {rate('stockOutAfterPayRate', t('Stock-out after pay rate'))}
            {rate('splitShipRate', t('Split-ship rate'))}
            {rate('lostResponseRate', t('Lost answer rate'))}
            {rate('payResponseLostRate', t('Pay answer lost rate'))}
            <Form.Item name="priceRiseYuan" label={t('Price rise (yuan)')}>
              <InputNumber min={0} max={1000} step={0.5} precision={2} />
            </Form.Item>
            <Form.Item name="latencyMs" label={t('Latency (ms)')}>
              <InputNumber min={0} max={10000} />
            </Form.Item>
          </Space>
          {edit && (
            <div>
              <Button htmlType="submit" type="primary">
                {t('Save')}
              </Button>
            </div>
          )}
        </Form>
      </Section>
      <Section title="WeCom / SMS">
        <List
          size="small"
          dataSource={[...(data.wecomMessages ?? [])].reverse().slice(0, 20)}
          renderItem={(m: any) => (
            <List.Item>
              {time(m.at)} {typeof m.content === 'string' ? m.content : JSON.stringify(m.body ?? m).slice(0, 200)}
            </List.Item>
          )}
        />
      </Section>
    </div>
  );
}
