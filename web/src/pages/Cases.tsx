import { useContext, useState } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Segmented, Select, Space, Spin, Tag, Typography } from 'antd';
import { ageText, api } from '../api';
import { CaseActions, type CaseRow } from '../CaseActions';
import { caseKindLabels, label, LangContext, resolutionLabel, useT } from '../i18n';
import { Section, type User } from '../ui';

/** 异常 inbox: open cases oldest first, handled ones newest first, by kind, in pages; cards so it works on a 375-px phone. */
export default function Cases({ user }: { user: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const [kind, setKind] = useState<string>();
  const [state, setState] = useState('Open');
  const [shopId, setShopId] = useState<number>();
  const [cursors, setCursors] = useState<string[]>([]);
  const q = new URLSearchParams({ state, limit: '100' });
  if (kind) q.set('kind', kind);
  if (shopId) q.set('shopId', String(shopId));
  if (cursors.length) q.set('cursor', cursors[cursors.length - 1]!);
  const { data } = useQuery({ queryKey: ['cases', q.toString()], queryFn: () => api('GET', `/api/cases?${q}`) });
  // A new filter starts at the first page.
  const refilter = <T,>(set: (v: T) => void) => (v: T) => {
    setCursors([]);
    set(v);
  };
  const stats = useQuery({ queryKey: ['stats', shopId], queryFn: () => api('GET', shopId ? `/api/stats?shopId=${shopId}` : '/api/stats') });
  const shops = useQuery({ queryKey: ['shops'], queryFn: () => api('GET', '/api/shops') });
  const byKind: Record<string, number> = stats.data?.openCases.byKind ?? {};
  return (
    <Section title={`${t('Open cases')} ${stats.data?.openCases.total ?? ''}`}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Segmented value={state} onChange={(v) => refilter(setState)(v as string)} options={[{ value: 'Open', label: lang === 'zh' ? '待处理' : 'Open' }, { value: 'Resolved', label: lang === 'zh' ? '已处理' : 'Resolved' }, { value: 'Dismissed', label: lang === 'zh' ? '已忽略' : 'Dismissed' }]} />
        {(shops.data?.shops ?? []).length > 1 && <Select aria-label={t('Shop')} placeholder={t('Shop')} allowClear style={{ width: 180 }} value={shopId} onChange={refilter(setShopId)} options={(shops.data?.shops ?? []).map((s: any) => ({ value: s.id, label: s.name }))} />}
        <Select aria-label={t('Kind')} placeholder={t('Kind')} allowClear style={{ width: 220 }} value={kind} onChange={refilter(setKind)} options={Object.keys(caseKindLabels).map((k) => ({ value: k, label: `${label(caseKindLabels, k, lang)}${byKind[k] ? ` (${byKind[k]})` : ''}` }))} />
      </Space>
      {!data ? <Spin /> : data.cases.length === 0 ? <Empty description={t('Nothing waiting')} /> : (
        <Space direction="vertical" style={{ width: '100%' }}>
          {data.cases.map((c: CaseRow & { created_at: number; resolution?: string }) => (
            <Card key={c.id} size="small" data-testid={`case-${c.id}`} title={<Space wrap><Tag color="orange">{label(caseKindLabels, c.kind, lang)}</Tag><span>#{c.id}</span></Space>} extra={<Typography.Text type="secondary">{t('Age')} {ageText(c.created_at, lang)}</Typography.Text>}>
              <Typography.Paragraph style={{ marginBottom: 8 }}>{c.message}</Typography.Paragraph>
              {c.shop_order_id && <Typography.Paragraph><Link to={`/orders/${c.shop_order_id}`}>{t('Order detail')} #{c.shop_order_id}</Link></Typography.Paragraph>}
              {c.resolution && <Typography.Paragraph type="secondary">→ {resolutionLabel(c.resolution, lang)}</Typography.Paragraph>}
              <CaseActions c={c} user={user} />
            </Card>
          ))}
        </Space>
      )}
      {(cursors.length > 0 || data?.nextCursor) && (
        <Space style={{ marginTop: 12 }}>
          <Button disabled={!cursors.length} onClick={() => setCursors([])}>{t('First page')}</Button>
          <Button disabled={!data?.nextCursor} onClick={() => setCursors([...cursors, data.nextCursor])}>{t('Next page')}</Button>
        </Space>
      )}
    </Section>
  );
}
