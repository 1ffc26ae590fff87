import { lazy, Suspense, useContext } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Card, Col, Empty, List, Row, Spin, Statistic, Tag } from 'antd';
import { ageText, api, yuan } from '../api';
import { caseKindLabels, label, LangContext, orderStateLabels, useT } from '../i18n';
import { Section } from '../ui';

const DailyChart = lazy(() => import('./DailyChart'));

export default function Overview() {
  const t = useT();
  const { lang } = useContext(LangContext);
  const { data } = useQuery({ queryKey: ['overview'], queryFn: () => api('GET', '/api/overview') });
  if (!data) return <Spin />;
  return (
    <div>
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        {[
          ["Today's paid orders", data.paidToday, undefined],
          ["Today's revenue", yuan(data.money.revenue)],
          // Cost counts what is still owed to suppliers, not only what was paid; orders with no supplier order yet
          // are shown apart (待采购) instead of as pure profit.
          [
            "Today's cost",
            yuan(data.money.cost),
            lang === 'zh'
              ? `已付 ${yuan(data.money.paidCost)} + 待付 ${yuan(data.money.pendingCost)}`
              : `paid ${yuan(data.money.paidCost)} + owed ${yuan(data.money.pendingCost)}`,
          ],
          // Says how it is computed, so the four cards add up: 收入 − 采购成本 − 退款 − 待采购 = 预估利润.
          [
            'Estimated profit today',
            yuan(data.money.profit),
            [
              data.money.refunds
                ? lang === 'zh'
                  ? `已减退款 ${yuan(data.money.refunds)}`
                  : `less refunds ${yuan(data.money.refunds)}`
                : '',
              data.money.unsourced.orders
                ? lang === 'zh'
                  ? `不含待采购 ${data.money.unsourced.orders} 单（${yuan(data.money.unsourced.revenue)}）`
                  : `excluding ${data.money.unsourced.orders} orders not yet sourced (${yuan(data.money.unsourced.revenue)})`
                : '',
            ]
              .filter(Boolean)
              .join(lang === 'zh' ? '；' : '; ') || undefined,
          ],
        ].map(([k, v, note]) => (
          <Col xs={12} md={6} key={k as string}>
            <Card>
              <Statistic title={t(k as string)} value={v as string} />
              {note && (
                <div data-testid={`note-${k as string}`} style={{ color: '#595959', fontSize: 12, marginTop: 4 }}>
                  {note as string}
                </div>
              )}
            </Card>
          </Col>
        ))}
      </Row>
      <Section title={lang === 'zh' ? '待办' : 'To do'}>
        {/* Each count opens the list it counts (the same filter the list shows). */}
        <div data-testid="todo" style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }}>
          {(
            [
              ['needsReview', lang === 'zh' ? '待审核订单' : 'Orders to review'],
              ['awaitingBuyer', lang === 'zh' ? '待买家答复' : 'Awaiting a buyer'],
              ['priceChanged', lang === 'zh' ? '采购价变化' : 'Price changes'],
              ['approvals', lang === 'zh' ? '待审批付款' : 'Payments to approve'],
              ['deadlineRisk', lang === 'zh' ? '发货超时风险' : 'Deadlines at risk'],
              ['refundFailed', lang === 'zh' ? '退款失败' : 'Refunds refused'],
            ] as const
          ).map(([key, text]) => {
            const item = data.todo[key];
            return (
              <Link key={key} to={item.link} data-todo={key}>
                <Tag color={item.count ? 'orange' : 'default'} style={{ fontSize: 14, padding: '4px 10px' }}>
                  {text} <b>{item.count}</b>
                  {key === 'approvals' && item.count ? ` · ${yuan(item.total)}` : ''}
                </Tag>
              </Link>
            );
          })}
        </div>
      </Section>
      <Section title={t('Pipeline')}>
        <div data-testid="pipeline" style={{ display: 'flex', flexWrap: 'wrap', gap: 8 }}>
          {Object.keys(orderStateLabels).map((s) => (
            <Link key={s} to={`/orders?state=${s}`}>
              <Tag
                color={s === 'NeedsReview' ? 'orange' : s === 'Cancelled' ? 'default' : 'green'}
                style={{ fontSize: 14, padding: '4px 10px' }}
                data-state={s}
              >
                {label(orderStateLabels, s, lang)} <b>{data.pipeline[s] ?? 0}</b>
              </Tag>
            </Link>
          ))}
        </div>
      </Section>
      <Row gutter={16}>
        <Col xs={24} lg={12}>
          <Section title={`${t('Cases waiting')} (${data.openCases.total})`} extra={<Link to="/cases">{t('Cases')} →</Link>}>
            <CaseList rows={data.casesWaiting} lang={lang} empty={t('Nothing waiting')} />
          </Section>
        </Col>
        <Col xs={24} lg={12}>
          <Section title={t('Deadlines at risk')}>
            <CaseList
              rows={data.deadlinesAtRisk.map((c: any) => ({ ...c, kind: 'DEADLINE_AT_RISK' }))}
              lang={lang}
              empty={t('Nothing waiting')}
            />
          </Section>
        </Col>
      </Row>
      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        <Col xs={12}>
          <Card>
            <Statistic
              title={t('Failed alerts')}
              value={data.failedAlerts}
              valueStyle={{ color: data.failedAlerts ? '#cf1322' : undefined }}
            />
          </Card>
        </Col>
        <Col xs={12}>
          <Card>
            <Statistic title={t('Dead jobs')} value={data.deadJobs} valueStyle={{ color: data.deadJobs ? '#cf1322' : undefined }} />
          </Card>
        </Col>
      </Row>
      <Section title={t('Orders and profit per day')}>
        <Suspense fallback={<Spin />}>
          <DailyChart rows={data.chart} lang={lang} />
        </Suspense>
      </Section>
    </div>
  );
}

function CaseList({ rows, lang, empty }: { rows: any[]; lang: 'zh' | 'en'; empty: string }) {
  if (!rows.length) return <Empty description={empty} image={Empty.PRESENTED_IMAGE_SIMPLE} />;
  return (
    <List
      size="small"
      dataSource={rows}
      renderItem={(c: any) => (
        <List.Item extra={<span style={{ color: '#595959' }}>{ageText(c.created_at, lang)}</span>}>
          <List.Item.Meta
            title={<Link to={c.shop_order_id ? `/orders/${c.shop_order_id}` : '/cases'}>{label(caseKindLabels, c.kind, lang)}</Link>}
            description={c.message}
          />
        </List.Item>
      )}
    />
  );
}
