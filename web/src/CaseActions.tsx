import { useContext, useState } from 'react';
import { Button, DatePicker, Form, Input, InputNumber, Modal, Radio, Select, Space, type FormInstance } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { Dayjs } from 'dayjs';
import { Link } from 'react-router-dom';
import { api, yuan } from './api';
import { LangContext, useT } from './i18n';
import { can, useAction, type User } from './ui';

export interface CaseRow {
  id: number;
  kind: string;
  state: string;
  message: string;
  actions: string[];
  data?: any;
  shop_order_id?: number | null;
  purchase_order_id?: number | null;
  shopOrderId?: number | null;
  purchaseOrderId?: number | null;
}

type Dialog =
  | null
  | 'consent'
  | 'resolve'
  | 'negotiate'
  | 'map'
  | 'substitute'
  | 'readback'
  | 'supplier'
  | 'email'
  | 'settled'
  | 'refund'
  | 'courier'
  | 'partial'
  | 'contact';

/** genaftersaleorder's 售后原因 the server accepts (REFUND_REASONS). */
const REFUND_REASONS: [string, string, string][] = [
  ['10000001', '缺货', 'Out of stock'],
  ['10000014', '双方协商一致退款', 'Agreed with the buyer'],
  ['10000008', '其他', 'Other'],
];

/** The actions a case allows, each calling the server's own endpoint; anything else can be resolved with a note. */
export function CaseActions({
  c,
  user,
  shopOrderId,
  purchaseOrderId,
}: {
  c: CaseRow;
  user: User;
  shopOrderId?: number | null;
  purchaseOrderId?: number | null;
}) {
  const t = useT();
  const { lang } = useContext(LangContext);
  const act = useAction();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [form] = Form.useForm();
  const orderId = shopOrderId ?? c.shop_order_id ?? c.shopOrderId;
  const poId = purchaseOrderId ?? c.purchase_order_id ?? c.purchaseOrderId;
  if (c.state !== 'Open') return null;
  if (!can(user, 'operator')) return null;
  const has = (a: string) => c.actions.includes(a);
  const run = (method: string, path: string, body?: unknown) => act.mutateAsync({ method, path, body, ok: t('Saved') });
  const close = () => {
    setDialog(null);
    form.resetFields();
  };
  return (
    <Space wrap>
      {(has('record_buyer_agreed') || has('record_buyer_refused')) && (
        <Button type="primary" onClick={() => setDialog('consent')}>
          {t('Record consent')}
        </Button>
      )}
      {has('map_offer') && c.data?.suggestions?.length > 0 && <Button onClick={() => setDialog('map')}>{t('Approve mapping')}</Button>}
      {has('choose_supplier') && orderId && typeof c.data?.lineNo === 'number' && (
        <Button onClick={() => setDialog('supplier')}>{lang === 'zh' ? '指定供应商' : 'Choose supplier'}</Button>
      )}
      {has('ask_buyer_substitute') && (
        <Button onClick={() => setDialog('substitute')}>{lang === 'zh' ? '提议更换商品' : 'Propose a substitute'}</Button>
      )}
      {(has('refund_buyer') || has('cancel_order')) && orderId && (
        <Button danger onClick={() => setDialog('refund')}>
          {lang === 'zh' ? '退款给买家' : 'Refund the buyer'}
        </Button>
      )}
      {has('record_supplier_refund') && can(user, 'owner') && (
        <Button onClick={() => setDialog('partial')}>
          {lang === 'zh' ? '登记供应商部分退款' : 'Record the supplier’s partial refund'}
        </Button>
      )}
      {has('adjust_limits') && can(user, 'owner') && (
        <Link to="/settings">
          <Button>{lang === 'zh' ? '调整付款限额' : 'Adjust payment limits'}</Button>
        </Link>
      )}
      {has('contact_supplier') && poId && (
        <Button onClick={() => setDialog('contact')}>{lang === 'zh' ? '联系供应商' : 'Contact the supplier'}</Button>
      )}
      {has('set_courier') && <Button onClick={() => setDialog('courier')}>{lang === 'zh' ? '指定快递公司' : 'Name the courier'}</Button>}
      {has('supplier_settled') && poId && (
        <Button onClick={() => setDialog('settled')}>{lang === 'zh' ? '登记供应商已取消/退款' : 'Supplier cancelled / refunded'}</Button>
      )}
      {has('email_outcome') && <Button onClick={() => setDialog('email')}>{lang === 'zh' ? '核对发件箱' : 'Check the outbox'}</Button>}
      {has('confirm_correct') && <Button onClick={() => setDialog('readback')}>{t('Confirmed on 1688')}</Button>}
      {/* The recommended action is the primary one: for a price change, accepting it (retrying would meet the same price). */}
      {has('accept_price') && can(user, 'owner') && (
        <Button type="primary" onClick={() => run('POST', `/api/cases/${c.id}/accept-price`, {})}>
          {t('Accept price')}
        </Button>
      )}
      {has('approve_payment') && can(user, 'owner') && poId && (
        <Button
          onClick={async () => {
            const d = await api('GET', `/api/purchase-orders/${poId}`);
            const p = d.payments.find((x: any) => ['AwaitingApproval', 'Blocked', 'Rejected'].includes(x.status));
            if (!p) return Modal.info({ content: lang === 'zh' ? '没有待审批的付款' : 'No payment awaiting approval' });
            await run('POST', `/api/payments/${p.id}/approve`, { note: 'dashboard' });
          }}
        >
          {t('Approve payment')}
        </Button>
      )}
      {has('retry') && (
        <Button
          type={has('accept_price') && can(user, 'owner') ? 'default' : 'primary'}
          onClick={() => run('POST', `/api/cases/${c.id}/retry`)}
        >
          {t('Retry')}
        </Button>
      )}
      {has('expedite') && poId && <Button onClick={() => run('POST', `/api/purchase-orders/${poId}/expedite`)}>{t('Expedite')}</Button>}
      {has('negotiate_delivery') && orderId && <Button onClick={() => setDialog('negotiate')}>{t('Delivery negotiation')}</Button>}
      {(has('switch_supplier') || has('cancel_and_replace')) && poId && (
        <Button
          danger
          onClick={() =>
            Modal.confirm({
              title: lang === 'zh' ? '取消此采购单并换供应商重新下单？' : 'Cancel this purchase order and place it with another supplier?',
              onOk: () => run('POST', `/api/purchase-orders/${poId}/stock-out`),
            })
          }
        >
          {lang === 'zh' ? '换供应商' : 'Switch supplier'}
        </Button>
      )}
      <Button onClick={() => setDialog('resolve')}>{t('Resolve')}</Button>

      <FormDialog
        open={dialog === 'consent'}
        title={t('Record consent')}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/consent`, v);
        }}
      >
        <Form.Item name="answer" label={t('What did the buyer say?')} rules={[{ required: true }]}>
          <Radio.Group
            options={[
              { value: 'agreed', label: t('Agreed') },
              { value: 'refused', label: t('Refused') },
            ]}
          />
        </Form.Item>
        <Form.Item name="note" label={t('Note')} rules={[{ required: true }]}>
          <Input.TextArea rows={3} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'readback'}
        title={t('Confirmed on 1688')}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/confirm-readback`, { note: v.note });
        }}
      >
        <p>
          {lang === 'zh'
            ? '请先在 1688 打开该订单，核对收货人、电话、地址和商品数量。确认无误后，采购单将继续付款。'
            : 'Open the order on 1688 and check receiver, phone, address and quantities first. Once confirmed, the purchase order goes on to payment.'}
        </p>
        <Form.Item name="note" label={t('What did you check?')} rules={[{ required: true, min: 2 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'supplier'}
        title={lang === 'zh' ? `为第 ${c.data?.lineNo} 行指定供应商` : `Choose the supplier for line ${c.data?.lineNo}`}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/orders/${orderId}/lines/${c.data.lineNo}/supplier`, { supplierId: v.supplierId, reason: v.reason });
        }}
      >
        <Form.Item name="supplierId" label={t('Supplier')} rules={[{ required: true }]}>
          <SupplierPicker />
        </Form.Item>
        <Form.Item name="reason" label={t('Reason')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'settled'}
        title={lang === 'zh' ? '供应商已取消或已退款' : 'The supplier cancelled or refunded'}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/purchase-orders/${poId}/supplier-settled`, {
            note: v.note,
            ...(v.amount ? { amount: Math.round(Number(v.amount) * 100), reference: v.reference } : {}),
          });
        }}
      >
        <p>
          {lang === 'zh'
            ? '已付款的须全额退款（精确到分）才能取消；登记后，除非买家已退款，Daifa 会换供应商重新下单。'
            : 'A paid order must be refunded in full (to the fen); once recorded, Daifa places the lines elsewhere unless the buyer refunded.'}
        </p>
        <RefundFields
          required={false}
          amountLabel={lang === 'zh' ? '退款金额（元，未付款则留空）' : 'Refund (yuan; empty if nothing was paid)'}
        />
      </FormDialog>
      <FormDialog
        open={dialog === 'refund'}
        title={lang === 'zh' ? '退款给买家（微信小店代买家发起售后）' : 'Refund the buyer (an after-sale started on WeChat Shop)'}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/orders/${orderId}/refund-buyer`, {
            ...(v.scope === 'line' ? { lines: [c.data.lineNo] } : {}),
            reason: v.reason,
            note: v.note,
          });
        }}
      >
        <p>
          {lang === 'zh'
            ? 'Daifa 会在微信小店为买家发起退款，退款的商品不再采购；只退一行时，其余商品照常采购发货。已交给供应商的商品需先换供应商或登记供应商已取消。'
            : 'Daifa starts the refund on WeChat Shop; refunded lines are never ordered. Refunding one line, the rest is ordered and shipped as usual. Lines already with a supplier must be cancelled there first.'}
        </p>
        <Form.Item
          name="scope"
          label={lang === 'zh' ? '退款范围' : 'What to refund'}
          initialValue={typeof c.data?.lineNo === 'number' ? 'line' : 'order'}
        >
          <Radio.Group
            options={[
              ...(typeof c.data?.lineNo === 'number'
                ? [{ value: 'line', label: lang === 'zh' ? `仅第 ${c.data.lineNo} 行` : `Line ${c.data.lineNo} only` }]
                : []),
              { value: 'order', label: lang === 'zh' ? '整单退款（取消订单）' : 'The whole order (cancel it)' },
            ]}
          />
        </Form.Item>
        <RefundReasonFields initial={c.kind === 'UNMAPPED' ? '10000008' : '10000001'} />
      </FormDialog>
      <FormDialog
        open={dialog === 'courier'}
        title={lang === 'zh' ? '指定快递公司' : 'Name the courier'}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/courier`, { deliveryId: v.deliveryId });
        }}
      >
        <p>
          {lang === 'zh'
            ? `供应商的快递「${c.data?.name ?? ''}」${c.data?.waybill ? `（单号 ${c.data.waybill}）` : ''}对应微信小店的哪家快递公司？已按“其他”同步的，Daifa 会修改微信上的物流信息。`
            : `Which WeChat Shop courier is the supplier's "${c.data?.name ?? ''}"${c.data?.waybill ? ` (${c.data.waybill})` : ''}? If it was synced as OTHER, Daifa updates WeChat.`}
        </p>
        <Form.Item name="deliveryId" label={lang === 'zh' ? '快递公司' : 'Courier'} rules={[{ required: true }]}>
          <CourierPicker />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'partial'}
        title={lang === 'zh' ? '供应商退回了部分货款' : 'The supplier refunded part of the payment'}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/supplier-refund`, {
            amount: Math.round(Number(v.amount) * 100),
            reference: v.reference,
            note: v.note,
          });
        }}
      >
        <RefundFields required amountLabel={lang === 'zh' ? '退款金额（元）' : 'Refund (yuan)'} />
      </FormDialog>
      <FormDialog
        open={dialog === 'contact'}
        title={lang === 'zh' ? '联系供应商' : 'Contact the supplier'}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/purchase-orders/${poId}/contact`, { body: v.body });
        }}
      >
        <p>
          {lang === 'zh'
            ? '直供供应商：以邮件发在该采购单的往来中，回复请用“登记回复”记录。1688 和微信代发的供应商请在各自平台联系。'
            : 'Direct suppliers get it by e-mail in the purchase order’s thread (record the reply there). Reach 1688 and WeChat-dropship suppliers on their platforms.'}
        </p>
        <Form.Item name="body" label={lang === 'zh' ? '内容' : 'Message'} rules={[{ required: true, min: 2 }]}>
          <Input.TextArea rows={4} />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'email'}
        title={lang === 'zh' ? '采购邮件是否已发出？' : 'Did the purchase e-mail go out?'}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/email-outcome`, { sent: v.sent === 'sent', note: v.note });
        }}
      >
        <Form.Item
          name="sent"
          label={lang === 'zh' ? '在发件箱（或向供应商）核对后' : 'After checking the outbox (or with the supplier)'}
          rules={[{ required: true }]}
        >
          <Radio.Group
            options={[
              { value: 'sent', label: lang === 'zh' ? '已发出，继续付款' : 'It went out: go on to payment' },
              { value: 'resend', label: lang === 'zh' ? '没有发出，重新发送' : 'It did not: send it again' },
            ]}
          />
        </Form.Item>
        <Form.Item name="note" label={t('Note')} rules={[{ required: true, min: 2 }]}>
          <Input />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'resolve'}
        title={t('Resolve')}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/resolve`, { resolution: v.resolution, dismiss: v.dismiss === 'dismiss' });
        }}
      >
        <Form.Item name="resolution" label={t('Resolution')} rules={[{ required: true }]}>
          <Input.TextArea rows={3} />
        </Form.Item>
        <Form.Item name="dismiss" initialValue="resolve">
          <Radio.Group
            options={[
              { value: 'resolve', label: t('Resolve') },
              { value: 'dismiss', label: t('Dismiss') },
            ]}
          />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'negotiate'}
        title={t('Delivery negotiation')}
        form={form}
        onClose={close}
        onFinish={async (v: { at: Dayjs; reason: number; remark: string }) => {
          await run('POST', `/api/orders/${orderId}/delivery-negotiation`, {
            predictDeliveryTime: Math.floor(v.at.valueOf() / 1000),
            reason: v.reason,
            remark: v.remark,
          });
        }}
      >
        <Form.Item name="at" label={lang === 'zh' ? '预计发货时间' : 'New ship date'} rules={[{ required: true }]}>
          <DatePicker showTime />
        </Form.Item>
        <Form.Item name="reason" label={t('Reason')} initialValue={2}>
          <Select
            options={[1, 2, 3, 4].map((r) => ({
              value: r,
              label:
                lang === 'zh'
                  ? ['', '买家要求', '缺货补货中', '物流原因', '其他'][r]
                  : ['', 'Buyer asked', 'Restocking', 'Logistics', 'Other'][r],
            }))}
          />
        </Form.Item>
        <Form.Item name="remark" label={t('Note')} rules={[{ required: true, min: 2 }]}>
          <Input />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'substitute'}
        title={lang === 'zh' ? '提议更换商品（需买家同意）' : 'Propose a substitute (buyer must agree)'}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/substitute`, { offerRef: v.offerRef, note: v.note });
        }}
      >
        <Form.Item name="offerRef" label={t('Offer')} rules={[{ required: true }]}>
          <OfferPicker />
        </Form.Item>
        <Form.Item name="note" label={t('Note')} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
      </FormDialog>
      <FormDialog
        open={dialog === 'map'}
        title={t('Approve mapping')}
        form={form}
        onClose={close}
        onFinish={async (v) => {
          await run('POST', `/api/cases/${c.id}/approve-mapping`, { offerRef: v.offerRef, quantityPerUnit: 1 });
        }}
      >
        <Form.Item name="offerRef" label={t('Offer')} rules={[{ required: true }]}>
          <Radio.Group
            style={{ display: 'flex', flexDirection: 'column', gap: 8 }}
            options={(c.data?.suggestions ?? []).map((s: any) => ({
              value: s.offerRef,
              label: `${s.supplier} · ${s.title} · ${s.attrs} · ${yuan(s.unitPrice)} · ${Math.round(s.similarity * 100)}%`,
            }))}
          />
        </Form.Item>
      </FormDialog>
    </Space>
  );
}

/** A dialog holding one form: OK validates and submits it, then closes; cancel closes it. */
function FormDialog({
  open,
  title,
  form,
  onClose,
  onFinish,
  children,
}: {
  open: boolean;
  title: React.ReactNode;
  form: FormInstance;
  onClose: () => void;
  onFinish: (v: any) => Promise<unknown>;
  children: React.ReactNode;
}) {
  return (
    <Modal open={open} title={title} onCancel={onClose} onOk={() => form.submit()} destroyOnHidden>
      <Form
        form={form}
        layout="vertical"
        onFinish={async (v) => {
          await onFinish(v);
          onClose();
        }}
      >
        {children}
      </Form>
    </Modal>
  );
}

/** The active suppliers (sourcing then uses the chosen one's offer for the line, or says why it cannot). */
function SupplierPicker({ value, onChange }: { value?: number; onChange?: (v: number) => void }) {
  const { data } = useQuery({ queryKey: ['suppliers'], queryFn: () => api('GET', '/api/suppliers') });
  return (
    <Select
      value={value}
      onChange={onChange}
      aria-label="supplier"
      options={(data?.suppliers ?? [])
        .filter((s: any) => s.active)
        .map((s: any) => ({ value: s.id, label: `${s.name}${s.couriers?.length ? ` · ${s.couriers.join('/')}` : ''}` }))}
    />
  );
}

/** Why the buyer is refunded (WeChat's 售后原因) and a note: the refund dialogs of a case and of the order page. */
export function RefundReasonFields({ initial }: { initial: string }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  return (
    <>
      <Form.Item name="reason" label={t('Reason')} initialValue={initial}>
        <Select aria-label="refund reason" options={REFUND_REASONS.map(([value, zh, en]) => ({ value, label: lang === 'zh' ? zh : en }))} />
      </Form.Item>
      <Form.Item name="note" label={t('Note')} rules={[{ required: true, min: 2 }]}>
        <Input />
      </Form.Item>
    </>
  );
}

/** A supplier's refund: amount in yuan (sent in fen), its reference, and a note. */
function RefundFields({ required, amountLabel }: { required: boolean; amountLabel: string }) {
  const t = useT();
  const { lang } = useContext(LangContext);
  return (
    <>
      <Form.Item name="amount" label={amountLabel} rules={[{ required }]}>
        <InputNumber min={0.01} step={0.01} precision={2} style={{ width: '100%' }} aria-label="amount" />
      </Form.Item>
      <Form.Item name="reference" label={lang === 'zh' ? '退款流水号' : 'Refund reference'} rules={[{ required }]}>
        <Input />
      </Form.Item>
      <Form.Item name="note" label={t('Note')} rules={[{ required: true, min: 2 }]}>
        <Input />
      </Form.Item>
    </>
  );
}

/** WeChat Shop's couriers (delivery_id), OTHER left out. */
function CourierPicker({ value, onChange }: { value?: string; onChange?: (v: string) => void }) {
  const { data } = useQuery({ queryKey: ['couriers'], queryFn: () => api('GET', '/api/couriers') });
  return (
    <Select
      showSearch
      optionFilterProp="label"
      value={value}
      onChange={onChange}
      aria-label="courier"
      options={(data?.couriers ?? []).map((x: any) => ({ value: x.deliveryId, label: `${x.name} (${x.deliveryId})` }))}
    />
  );
}

/** Search the catalogue (in stock only) by title. */
function OfferPicker({ value, onChange }: { value?: number; onChange?: (v: number) => void }) {
  const [q, setQ] = useState('');
  const { data } = useQuery({ queryKey: ['offers', q], queryFn: () => api('GET', `/api/offers?q=${encodeURIComponent(q)}`) });
  return (
    <Select
      showSearch
      value={value}
      onChange={onChange}
      filterOption={false}
      onSearch={setQ}
      aria-label="offer"
      options={(data?.offers ?? []).map((o: any) => ({
        value: o.id,
        label: `${o.supplier} · ${o.title} · ${yuan(o.unit_price)} · ${o.stock}`,
      }))}
    />
  );
}
