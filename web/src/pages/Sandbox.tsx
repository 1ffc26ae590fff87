import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Form, InputNumber, List, Slider, Space, Spin, Typography } from 'antd';
import { api, time } from '../api';
import { useT } from '../i18n';
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
  const { data, error } = useQuery({ queryKey: ['sandbox'], queryFn: () => api('GET', '/api/sandbox') });
  if (error) return <Alert type="info" message={(error as Error).message} />;
  if (!data) return <Spin />;
  const edit = can(user, 'operator');
  return (
    <div>
      <Section title={t('Sandbox')} extra={edit && (
        <Space>
          <Button type="primary" onClick={() => act.mutate({ method: 'POST', path: '/api/sandbox/orders', body: { count: 5 }, ok: t('Generated') })}>{t('Generate orders now')} ×5</Button>
        </Space>
      )}>
        <Typography.Paragraph>
          {data.orders} · {data.simulatorUrl}
        </Typography.Paragraph>
        {data.controls && (
          <Form layout="vertical" disabled={!edit} initialValues={data.controls} onFinish={(v) => act.mutate({ method: 'PUT', path: '/api/sandbox/controls', body: v, ok: t('Saved') })}>
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
            {edit && <Button htmlType="submit" type="primary">{t('Save')}</Button>}
          </Form>
        )}
      </Section>
      <Section title={t('Fault knobs')}>
        <Form layout="vertical" disabled={!edit} initialValues={data.faults} onFinish={(v) => act.mutate({ method: 'PUT', path: '/api/sandbox/faults', body: v, ok: t('Saved') })}>
          <Space wrap>
            {rate('lateRate', t('Late rate'))}
            {rate('stockOutAfterPayRate', t('Stock-out after pay rate'))}
            {rate('splitShipRate', t('Split-ship rate'))}
            {rate('lostResponseRate', t('Lost answer rate'))}
            {rate('payResponseLostRate', t('Pay answer lost rate'))}
            <Form.Item name="priceRiseFen" label={t('Price rise (fen)')}><InputNumber min={0} max={100000} /></Form.Item>
            <Form.Item name="latencyMs" label={t('Latency (ms)')}><InputNumber min={0} max={10000} /></Form.Item>
          </Space>
          {edit && <div><Button htmlType="submit" type="primary">{t('Save')}</Button></div>}
        </Form>
      </Section>
      <Section title="WeCom / SMS">
        <List size="small" dataSource={[...(data.wecomMessages ?? [])].reverse().slice(0, 20)} renderItem={(m: any) => <List.Item>{time(m.at)} {typeof m.content === 'string' ? m.content : JSON.stringify(m.body ?? m).slice(0, 200)}</List.Item>} />
      </Section>
    </div>
  );
}
