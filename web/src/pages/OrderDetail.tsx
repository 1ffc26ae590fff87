import { useContext, useState } from 'react';
import { useParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Checkbox, Descriptions, Form, Input, Modal, Select, Space, Spin, Tag, Timeline, Typography } from 'antd';
import { DataTable } from '../DataTable';
import { api, time, timeS, yuan } from '../api';
import { CaseActions, RefundReasonFields } from '../CaseActions';
import {
  actorLabel,
  caseKindLabels,
  eventLabel,
  label,
  type Lang,
  LangContext,
  ledgerKindLabels,
  orderStateLabels,
  paymentStatusLabels,
  payMethodLabels,
  poStateLabels,
  resolutionLabel,
  traceLabels,
  useT,
} from '../i18n';
import { can, Section, useAction, type User } from '../ui';

export default function OrderDetail({ user }: { user: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const { id } = useParams();
  const { data: o, error } = useQuery({ queryKey: ['order', id], queryFn: () => api('GET', `/api/orders/${id}`) });
  if (error) return <Alert type="error" message={(error as Error).message} />;
  if (!o) return <Spin />;
  return (
    <div>
      <Section title={`${t('Order detail')} ${o.wxOrderId}`} extra={<Tag color="green">{label(orderStateLabels, o.state, lang)}</Tag>}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('Amount')}>{yuan(o.amounts.orderPrice)}</Descriptions.Item>
          <Descriptions.Item label={t('Paid at')}>{timeS(o.times.paid)}</Descriptions.Item>
          <Descriptions.Item label={t('Profit')}>{yuan(o.ledger.profit)}</Descriptions.Item>
        </Descriptions>
        {o.state === 'NeedsReview' && can(user, 'operator') && (
          <ReviewBox id={o.id} reasons={o.reviewReasons} amount={o.amounts.orderPrice} buyerNotes={o.buyerNotes} lines={o.lines} />
        )}
      </Section>
      <Section
        title={t('Lines')}
        extra={can(user, 'operator') && !['Shipped', 'Completed', 'Cancelled'].includes(o.state) && <RefundBox order={o} />}
      >
        <DataTable
          rowKey="lineNo"
          size="small"
          pagination={false}
          scroll={{ x: 600 }}
          dataSource={o.lines}
          columns={[
            { title: '#', dataIndex: 'lineNo' },
            { title: lang === 'zh' ? '商品' : 'Product', dataIndex: 'title' },
            {
              title: lang === 'zh' ? '规格' : 'Spec',
              dataIndex: 'skuAttrs',
              render: (a: any[]) => a.map((x) => `${x.key}:${x.value}`).join(' / '),
            },
            {
              title: lang === 'zh' ? '数量' : 'Qty',
              dataIndex: 'quantity',
              render: (q: number, l: any) => (
                <Space>
                  {q}
                  {l.finishAftersale > 0 && <Tag>{lang === 'zh' ? `已退 ${l.finishAftersale}` : `${l.finishAftersale} refunded`}</Tag>}
                  {l.withdrawn > l.finishAftersale && <Tag color="orange">{lang === 'zh' ? '退款中' : 'Refunding'}</Tag>}
                </Space>
              ),
            },
            { title: t('Amount'), dataIndex: 'paidAmount', render: yuan },
            { title: lang === 'zh' ? '最晚发货' : 'Ship by', dataIndex: 'deliveryDeadline', render: timeS },
          ]}
        />
      </Section>
      <Section title={t('Address')}>
        <AddressBox order={o} user={user} />
        <Descriptions size="small" column={1} style={{ marginTop: 12 }}>
          <Descriptions.Item label={t('Buyer notes')}>{o.buyerNotes || '—'}</Descriptions.Item>
          <Descriptions.Item label={t('Special requests')}>
            {o.specialRequestsText ? o.specialRequestsText.split('；').map((r: string) => <Tag key={r}>{r}</Tag>) : '—'}
          </Descriptions.Item>
        </Descriptions>
      </Section>
      {o.cases.length > 0 && (
        <Section title={t('Cases')}>
          {o.cases.map((c: any) => (
            <div key={c.id} style={{ borderBottom: '1px solid #f0f0f0', padding: '8px 0' }}>
              <Space wrap>
                <Tag color={c.state === 'Open' ? 'orange' : 'default'}>{label(caseKindLabels, c.kind, lang)}</Tag>
                <span>{c.message}</span>
                {c.resolution && <Typography.Text type="secondary">→ {resolutionLabel(c.resolution, lang)}</Typography.Text>}
              </Space>
              <div style={{ marginTop: 6 }}>
                <CaseActions c={{ ...c, shop_order_id: o.id }} user={user} purchaseOrderId={c.purchaseOrderId ?? o.purchaseOrders[0]?.id} />
              </div>
            </div>
          ))}
        </Section>
      )}
      <Section title={t('Supplier decision')}>
        {o.decisions.map((d: any, i: number) => (
          <div key={i} style={{ marginBottom: 12 }}>
            <Typography.Paragraph>
              #{d.lineNo} {d.reason}
            </Typography.Paragraph>
            <DataTable
              rowKey={(r: any) => r.key ?? `${r.supplierId}-${r.offerRef}`}
              size="small"
              pagination={false}
              scroll={{ x: 700 }}
              dataSource={d.candidates}
              columns={[
                { title: t('Supplier'), dataIndex: 'supplierName' },
                { title: lang === 'zh' ? '总分' : 'Score', dataIndex: 'score', render: (v: number) => v?.toFixed(3) },
                { title: t('Cost'), render: (_: unknown, r: any) => r.components?.cost?.toFixed(2) },
                { title: t('Reliability'), render: (_: unknown, r: any) => r.components?.reliability?.toFixed(2) },
                { title: t('Speed'), render: (_: unknown, r: any) => r.components?.speed?.toFixed(2) },
                { title: t('Reputation'), render: (_: unknown, r: any) => r.components?.reputation?.toFixed(2) },
                { title: lang === 'zh' ? '排除原因' : 'Blockers', dataIndex: 'blockers', render: (b: string[]) => (b ?? []).join('；') },
              ]}
            />
          </div>
        ))}
      </Section>
      <Section title={t('Purchase orders')}>
        {o.purchaseOrders.map((p: any) => (
          <div key={p.id} style={{ marginBottom: 16 }}>
            <Descriptions
              size="small"
              column={{ xs: 1, md: 3 }}
              title={
                <Space>
                  <span>#{p.id}</span>
                  <Tag>{label(poStateLabels, p.state, lang)}</Tag>
                  <span>{p.supplier}</span>
                </Space>
              }
            >
              <Descriptions.Item label={t('Route')}>{p.route}</Descriptions.Item>
              <Descriptions.Item label={t('Supplier order')}>{p.supplierOrderId ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('Read-back check')}>
                {yuan(p.expectedAmount)} / {yuan(p.supplierAmount)}{' '}
                {p.supplierAmount !== null &&
                  (Number(p.supplierAmount) === Number(p.expectedAmount) ? <Tag color="green">OK</Tag> : <Tag color="red">≠</Tag>)}
              </Descriptions.Item>
            </Descriptions>
            <Messages poId={p.id} />
          </div>
        ))}
      </Section>
      <Section title={t('Payments')}>
        <DataTable
          rowKey="id"
          size="small"
          pagination={false}
          scroll={{ x: 700 }}
          dataSource={o.payments}
          columns={[
            { title: '#', dataIndex: 'id' },
            { title: lang === 'zh' ? '方式' : 'Method', dataIndex: 'method', render: (v: string) => label(payMethodLabels, v, lang) },
            { title: t('Amount'), dataIndex: 'amount', render: yuan },
            { title: t('State'), dataIndex: 'status', render: (v: string) => label(paymentStatusLabels, v, lang) },
            { title: t('Paid at'), dataIndex: 'paid_at', render: time },
            {
              title: t('Vouchers'),
              dataIndex: 'vouchers',
              render: (vs: any[]) =>
                vs.map((v) => (
                  <a key={v.id} href={`/api/vouchers/${v.id}`}>
                    {v.file_name}
                  </a>
                )),
            },
          ]}
        />
      </Section>
      <Section title={t('Packages')}>
        {o.packages.length === 0
          ? '—'
          : o.packages.map((k: any) => (
              <div key={k.id} style={{ marginBottom: 12 }}>
                <Space wrap>
                  <b>{k.courier}</b> <code>{k.waybill}</code> <Tag>{k.deliveryId}</Tag> {k.anomaly && <Tag color="red">{k.anomaly}</Tag>}
                  {o.deliveries.some((d: any) => d.waybill === k.waybill && d.status === 'Sent') && (
                    <Tag color="green">{t('Sent to WeChat')}</Tag>
                  )}
                </Space>
                <Timeline
                  style={{ marginTop: 8 }}
                  items={k.trace.map((e: any) => ({ children: `${time(e.at)} ${label(traceLabels, e.status, lang)} ${e.remark ?? ''}` }))}
                />
              </div>
            ))}
      </Section>
      <Section title={t('Ledger')}>
        <DataTable
          rowKey={(_r, i) => String(i)}
          size="small"
          pagination={false}
          dataSource={o.ledger.entries}
          columns={[
            { title: t('Day'), dataIndex: 'day' },
            { title: t('Kind'), dataIndex: 'kind', render: (v: string) => label(ledgerKindLabels, v, lang) },
            { title: t('Amount'), dataIndex: 'amount', render: yuan },
            { title: t('Note'), dataIndex: 'note' },
          ]}
        />
      </Section>
      <Section title={t('History')}>
        <Timeline
          items={o.history.map((e: any) => ({
            color: e.event.includes('fail') ? 'red' : 'green',
            children: (
              <span title={e.event}>
                {time(e.at)} <b>{eventLabel(e.event, lang)}</b> {e.from ? `${stateWord(e.from, lang)} → ${stateWord(e.to, lang)}` : ''}{' '}
                <Typography.Text type="secondary">{actorLabel(e.actor, lang)}</Typography.Text> {e.note}
              </span>
            ),
          }))}
        />
      </Section>
    </div>
  );
}

/**
 * 审核: the two ways out of a review, each saying what it does before it does it. "确认" orders what the buyer bought,
 * as bought — when the buyer's note asks for something else, the person must say they checked it. "取消订单并退款"
 * cancels the order and refunds the buyer on WeChat Shop: never one click (in Chinese UIs 取消 reads as "close").
 */
function ReviewBox({
  id,
  reasons,
  amount,
  buyerNotes,
  lines,
}: {
  id: number;
  reasons: { code: string; message: string }[];
  amount: number;
  buyerNotes?: string;
  lines: any[];
}) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const act = useAction();
  const [form] = Form.useForm();
  const noteAsks = reasons.some((r) => r.code === 'BUYER_NOTE_UNPARSED' || r.code.startsWith('SPECIAL_REQUEST'));
  const submit = (decision: 'confirm' | 'cancel') =>
    form
      .validateFields()
      .then((v) => act.mutate({ method: 'POST', path: `/api/orders/${id}/review`, body: { decision, note: v.note }, ok: t('Saved') }));
  const attrText = (attrs: { key: string; value: string }[]) => attrs.map((a) => a.value).join(' / ') || '—';
  // Lines the buyer could have meant another spec of: the same product has other specs with a supplier.
  const changeable = lines.filter((l) => (l.specOptions ?? []).length > 1);
  const [specOpen, setSpecOpen] = useState(false);
  const [chosen, setChosen] = useState<Record<number, string>>({});
  const [specNote, setSpecNote] = useState('');
  const changeSpec = () =>
    form.validateFields().then((v) => {
      setSpecNote(v.note);
      setChosen({});
      setSpecOpen(true);
    });
  const specChanges = Object.entries(chosen)
    .filter(([lineNo, sku]) => lines.find((l) => l.lineNo === Number(lineNo))?.skuId !== sku)
    .map(([lineNo, skuId]) => ({ lineNo: Number(lineNo), skuId }));
  const specModal = (
    <Modal
      open={specOpen}
      title={lang === 'zh' ? '按买家留言改规格后下单' : 'Change the spec as the buyer asked, then order'}
      okText={lang === 'zh' ? '改规格并下单' : 'Change and order'}
      cancelText={lang === 'zh' ? '返回' : 'Back'}
      okButtonProps={{ disabled: !specChanges.length }}
      onCancel={() => setSpecOpen(false)}
      onOk={() =>
        act
          .mutateAsync({
            method: 'POST',
            path: `/api/orders/${id}/review`,
            body: { decision: 'confirm', note: specNote, specChanges },
            ok: t('Saved'),
          })
          .then(() => setSpecOpen(false))
      }
    >
      {buyerNotes && (
        <p>
          {lang === 'zh' ? '买家留言：' : 'Buyer note: '}“{buyerNotes}”
        </p>
      )}
      {changeable.map((l) => (
        <div key={l.lineNo} style={{ marginBottom: 8 }}>
          <div>
            {l.title}（{lang === 'zh' ? '买家所拍' : 'bought'}：{attrText(l.skuAttrs)}）
          </div>
          <Select
            aria-label={`${lang === 'zh' ? '改为规格' : 'Change to'} ${l.title}`}
            data-testid={`spec-${l.lineNo}`}
            style={{ width: '100%' }}
            value={chosen[l.lineNo] ?? l.skuId}
            onChange={(sku: string) => setChosen({ ...chosen, [l.lineNo]: sku })}
            options={l.specOptions.map((o: any) => ({
              value: o.skuId,
              label: `${attrText(o.attrs)}${o.skuId === l.skuId ? (lang === 'zh' ? '（原规格）' : ' (as bought)') : ''}`,
            }))}
          />
        </div>
      ))}
      <p style={{ color: '#595959' }}>
        {lang === 'zh'
          ? '供应商将按新规格发货；微信小店订单中的规格不变。留言即买家的书面同意，会记入订单历史。'
          : "The supplier ships the new spec; the WeChat order keeps the bought spec. The note is the buyer's written consent and is recorded in the history."}
      </p>
    </Modal>
  );
  const confirm = () =>
    form.validateFields().then(() => {
      if (!noteAsks) return void submit('confirm');
      Modal.confirm({
        title: lang === 'zh' ? '按买家所拍规格下单？' : 'Order exactly what the buyer bought?',
        content:
          lang === 'zh'
            ? `买家留言：“${buyerNotes ?? ''}”。确认后将按订单原规格向供应商下单，留言里的要求不会自动执行。请先与买家或供应商确认。`
            : `Buyer note: "${buyerNotes ?? ''}". Confirming orders the items as bought; the note's request is not carried out. Check with the buyer or supplier first.`,
        okText: lang === 'zh' ? '已核实，按原规格下单' : 'Checked — order as bought',
        cancelText: lang === 'zh' ? '返回' : 'Back',
        onOk: () => submit('confirm'),
      });
    });
  const cancel = () =>
    form.validateFields().then(() => {
      Modal.confirm({
        title: lang === 'zh' ? '取消订单并为买家退款？' : 'Cancel the order and refund the buyer?',
        content:
          lang === 'zh'
            ? `将取消此订单，并在微信小店为买家发起退款 ${yuan(amount)}。此操作不能撤回。`
            : `The order is cancelled and a refund of ${yuan(amount)} is started for the buyer on WeChat Shop. This cannot be undone.`,
        okText: lang === 'zh' ? `取消订单并退款 ${yuan(amount)}` : `Cancel and refund ${yuan(amount)}`,
        okButtonProps: { danger: true },
        cancelText: lang === 'zh' ? '返回' : 'Back',
        onOk: () => submit('cancel'),
      });
    });
  return (
    <div style={{ marginTop: 12 }}>
      <Alert type="warning" message={reasons.map((r) => r.message).join('；')} style={{ marginBottom: 8 }} />
      {specModal}
      <Form form={form} name="review" layout="inline">
        <Form.Item
          name="note"
          label={t('Note')}
          rules={[{ required: true, message: lang === 'zh' ? '请填写处理说明' : 'Please say what you checked' }]}
        >
          <Input style={{ width: 260 }} />
        </Form.Item>
        <Button type="primary" onClick={confirm}>
          {t('Confirm')}
        </Button>
        {changeable.length > 0 && (
          <Button style={{ marginLeft: 8 }} onClick={changeSpec}>
            {lang === 'zh' ? '改规格后确认' : 'Change spec, then confirm'}
          </Button>
        )}
        <Button danger style={{ marginLeft: 8 }} onClick={cancel}>
          {lang === 'zh' ? '取消订单并退款' : 'Cancel and refund'}
        </Button>
      </Form>
    </div>
  );
}

/** The address stays masked; owners may decode it (purpose and destination are logged with who and when). */
function AddressBox({ order, user }: { order: any; user: User }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const [open, setOpen] = useState(false);
  const [plain, setPlain] = useState<any>();
  const usage = useQuery({
    queryKey: ['decode-usage', order.shopId, plain ? 1 : 0],
    queryFn: () => api('GET', `/api/shops/${order.shopId}/decode-usage`),
    enabled: open,
  });
  const left = usage.data ? usage.data.quota - usage.data.used : undefined;
  const a = order.address;
  return (
    <div>
      <Typography.Paragraph data-testid="masked-address">
        {a.userName} {a.telNumber} · {a.provinceName}
        {a.cityName}
        {a.countyName}
        {a.detailInfo}
      </Typography.Paragraph>
      {plain && (
        <Alert
          type="info"
          message={`${plain.userName} ${plain.telNumber} · ${plain.provinceName}${plain.cityName}${plain.countyName}${plain.detailInfo}`}
        />
      )}
      {can(user, 'owner') && !plain && (
        <Button size="small" onClick={() => setOpen(true)}>
          {t('Decode address')}
        </Button>
      )}
      <Modal open={open} title={t('Decode address')} footer={null} onCancel={() => setOpen(false)} destroyOnHidden>
        <Typography.Paragraph type="secondary">{t('Decoded addresses are logged')}</Typography.Paragraph>
        {usage.data && (
          <Alert
            data-testid="decode-usage"
            type={left! <= 0 ? 'error' : left! <= 5 ? 'warning' : 'info'}
            message={`${t('Decodes today')} ${usage.data.used} / ${usage.data.quota}`}
            description={t('Decode quota shared')}
            style={{ marginBottom: 12 }}
          />
        )}
        <Form
          layout="vertical"
          onFinish={async (v) => {
            try {
              const r = await api('POST', `/api/orders/${order.id}/decode`, v);
              setPlain(r.address);
              setOpen(false);
            } catch (e) {
              Modal.error({ content: (e as Error).message });
            }
          }}
        >
          <Form.Item
            name="purpose"
            label={t('Purpose')}
            rules={[{ required: true, min: 2 }]}
            initialValue={lang === 'zh' ? '核对收货地址' : 'check the address'}
          >
            <Input />
          </Form.Item>
          <Form.Item
            name="destination"
            label={t('Destination')}
            rules={[{ required: true, min: 2 }]}
            initialValue={lang === 'zh' ? '控制台查看' : 'dashboard view'}
          >
            <Input />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t('Submit')}
          </Button>
        </Form>
      </Modal>
    </div>
  );
}

function Messages({ poId }: { poId: number }) {
  const t = useT();
  const { data } = useQuery({ queryKey: ['po-messages', poId], queryFn: () => api('GET', `/api/purchase-orders/${poId}/messages`) });
  if (!data?.messages?.length) return null;
  return (
    <details>
      <summary>
        {t('Communications')} ({data.messages.length})
      </summary>
      {data.messages.map((m: any) => (
        <div
          key={m.id}
          style={{
            borderLeft: `3px solid ${m.direction === 'out' ? '#07c160' : '#1677ff'}`,
            padding: '4px 8px',
            margin: '6px 0',
            whiteSpace: 'pre-wrap',
          }}
        >
          <Typography.Text type="secondary">
            {time(m.created_at)} · {m.direction} · {m.channel}
          </Typography.Text>
          <div>{m.subject}</div>
          <div>{m.body}</div>
        </div>
      ))}
    </details>
  );
}

/** 退款给买家 from the order page: some lines (the rest goes on) or all of them (the order is cancelled). */
function RefundBox({ order }: { order: any }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const act = useAction();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  const lines = (order.lines as any[]).filter((l) => l.quantity > Math.max(l.finishAftersale, l.withdrawn));
  if (!lines.length) return null;
  return (
    <>
      <Button danger onClick={() => setOpen(true)}>
        {lang === 'zh' ? '退款给买家' : 'Refund the buyer'}
      </Button>
      <Modal
        open={open}
        title={lang === 'zh' ? '退款给买家' : 'Refund the buyer'}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form
          form={form}
          name="refund"
          layout="vertical"
          onFinish={async (v) => {
            await act.mutateAsync({
              method: 'POST',
              path: `/api/orders/${order.id}/refund-buyer`,
              body: { lines: v.lines, reason: v.reason, note: v.note },
              ok: t('Saved'),
            });
            setOpen(false);
          }}
        >
          <p>
            {lang === 'zh'
              ? 'Daifa 在微信小店为买家发起退款；选中的商品不再采购，其余照常。已交给供应商的商品需先换供应商或登记供应商已取消。'
              : 'Daifa starts the refund on WeChat Shop; the chosen lines are never ordered, the rest goes on. Lines already with a supplier must be cancelled there first.'}
          </p>
          <Form.Item
            name="lines"
            label={lang === 'zh' ? '退款的商品' : 'Lines to refund'}
            rules={[{ required: true }]}
            initialValue={lines.map((l) => l.lineNo)}
          >
            <Checkbox.Group
              options={lines.map((l) => ({ value: l.lineNo, label: `#${l.lineNo} ${l.title} ×${l.quantity - l.finishAftersale}` }))}
            />
          </Form.Item>
          <RefundReasonFields initial="10000014" />
        </Form>
      </Modal>
    </>
  );
}

/** A state of an order or a purchase order, in words. */
const stateWord = (s: string, lang: Lang) => (orderStateLabels[s] ? label(orderStateLabels, s, lang) : label(poStateLabels, s, lang));
