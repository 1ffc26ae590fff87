import { lazy, Suspense, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import {
  App as AntApp,
  Badge,
  Button,
  ConfigProvider,
  Drawer,
  Form,
  Grid,
  Input,
  Layout,
  Menu,
  Modal,
  Segmented,
  Spin,
  Typography,
} from 'antd';
import zhCN from 'antd/locale/zh_CN';
import enUS from 'antd/locale/en_US';
import { api, setCsrf, setOnUnauthenticated } from './api';
import { LangContext, useT, type Lang } from './i18n';
import { Login } from './pages/Login';

const Overview = lazy(() => import('./pages/Overview'));
const Orders = lazy(() => import('./pages/Orders'));
const OrderDetail = lazy(() => import('./pages/OrderDetail'));
const Cases = lazy(() => import('./pages/Cases'));
const PurchaseOrders = lazy(() => import('./pages/PurchaseOrders'));
const Suppliers = lazy(() => import('./pages/Suppliers'));
const Mappings = lazy(() => import('./pages/Mappings'));
const Money = lazy(() => import('./pages/Money'));
const Settings = lazy(() => import('./pages/Settings'));
const Sandbox = lazy(() => import('./pages/Sandbox'));

import type { User } from './ui';

const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 5_000, refetchOnWindowFocus: false, retry: 1 } } });

export function App() {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem('daifa.lang') === 'en' ? 'en' : 'zh'));
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem('daifa.lang', l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    setLangState(l);
  }, []);
  const [user, setUser] = useState<User | null | undefined>(undefined);
  useEffect(() => {
    setOnUnauthenticated(() => setUser(null));
    api<{ user: User; csrfToken: string }>('GET', '/api/session')
      .then((s) => {
        setCsrf(s.csrfToken);
        setUser(s.user);
      })
      .catch(() => setUser(null));
  }, []);
  const langValue = useMemo(() => ({ lang, setLang }), [lang, setLang]);
  return (
    <LangContext.Provider value={langValue}>
      <ConfigProvider
        locale={lang === 'zh' ? zhCN : enUS}
        theme={{
          // WeChat's green darkened to keep white text and links readable (WCAG AA 4.5:1); secondary text and
          // placeholders a shade darker than antd's defaults for the same reason.
          token: {
            colorPrimary: '#067a3d',
            colorLink: '#067a3d',
            borderRadius: 6,
            colorTextSecondary: '#595959',
            colorTextTertiary: '#595959',
            colorTextDescription: '#595959',
            colorTextPlaceholder: '#6b6b6b',
            colorTextQuaternary: '#6b6b6b',
            colorError: '#cf1322',
          },
          components: { Menu: { itemSelectedColor: '#054d27' } },
        }}
        // No space put between two Chinese characters of a button ("撤 销"): screen readers read the name as written.
        button={{ autoInsertSpace: false }}
      >
        <AntApp>
          <QueryClientProvider client={queryClient}>
            <BrowserRouter>
              {user === undefined ? (
                <Spin style={{ margin: 80 }} />
              ) : user === null ? (
                <Login
                  onLogin={(u, csrf) => {
                    setCsrf(csrf);
                    setUser(u);
                  }}
                />
              ) : (
                <Shell user={user} onLogout={() => setUser(null)} />
              )}
            </BrowserRouter>
          </QueryClientProvider>
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

/** Server-sent events: any change on the server refreshes what is on screen. */
function useLiveUpdates(): boolean {
  const qc = useQueryClient();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const es = new EventSource('/api/stream');
    let pending: number | undefined;
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    es.addEventListener('change', () => {
      if (pending) return;
      pending = window.setTimeout(() => {
        pending = undefined;
        void qc.invalidateQueries();
      }, 300);
    });
    return () => {
      es.close();
      if (pending) clearTimeout(pending);
    };
  }, [qc]);
  return live;
}

function Shell({ user, onLogout }: { user: User; onLogout: () => void }) {
  const t = useT();
  const { lang, setLang } = useContext(LangContext);
  const loc = useLocation();
  const nav = useNavigate();
  const live = useLiveUpdates();
  const [sandboxOn, setSandboxOn] = useState(false);
  useEffect(() => {
    api('GET', '/api/sandbox').then(
      () => setSandboxOn(true),
      () => setSandboxOn(false),
    );
  }, []);
  const items = [
    ['/', 'Overview'],
    ['/orders', 'Orders'],
    ['/cases', 'Cases'],
    ['/purchase-orders', 'Purchase orders'],
    ['/suppliers', 'Suppliers'],
    ['/mappings', 'Mappings'],
    ['/money', 'Money'],
    ['/settings', 'Settings'],
    ...(sandboxOn ? [['/sandbox', 'Sandbox']] : []),
  ].map(([key, name]) => ({ key: key!, label: <Link to={key!}>{t(name!)}</Link> }));
  const selected =
    items
      .map((i) => i.key)
      .filter((k) => (k === '/' ? loc.pathname === '/' : loc.pathname.startsWith(k)))
      .pop() ?? '/';
  // On a phone the menu is a drawer over the page (the page keeps its width) that closes once a page is chosen.
  const screens = Grid.useBreakpoint();
  const phone = screens.md === false;
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [loc.pathname, loc.search]);
  const menu = <Menu mode="inline" selectedKeys={[selected]} items={items} aria-label="navigation" onClick={() => setMenuOpen(false)} />;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      {!phone && (
        <Layout.Sider theme="light" width={184}>
          <div style={{ padding: '16px 20px', fontWeight: 700, fontSize: 18 }}>代发 Daifa</div>
          {menu}
        </Layout.Sider>
      )}
      {phone && (
        <Drawer
          placement="left"
          open={menuOpen}
          onClose={() => setMenuOpen(false)}
          width={220}
          title="代发 Daifa"
          styles={{ body: { padding: 0 } }}
        >
          {menu}
        </Drawer>
      )}
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 16px',
            display: 'flex',
            justifyContent: 'flex-end',
            alignItems: 'center',
            gap: 12,
            flexWrap: 'wrap',
            height: 'auto',
            minHeight: 56,
          }}
        >
          {phone && (
            <Button aria-label={lang === 'zh' ? '菜单' : 'Menu'} style={{ marginRight: 'auto' }} onClick={() => setMenuOpen(true)}>
              ☰ {lang === 'zh' ? '菜单' : 'Menu'}
            </Button>
          )}
          <Badge status={live ? 'success' : 'default'} text={live ? t('Live updates on') : t('Reconnecting')} />
          <Segmented
            aria-label={t('Language')}
            size="small"
            value={lang}
            onChange={(v) => setLang(v as Lang)}
            options={[
              { label: '中文', value: 'zh' },
              { label: 'EN', value: 'en' },
            ]}
          />
          <Typography.Text>
            {user.username} · {t(user.role === 'owner' ? 'Owner' : user.role === 'operator' ? 'Operator' : 'Viewer')}
          </Typography.Text>
          <PasswordButton />
          <Button
            size="small"
            onClick={async () => {
              await api('DELETE', '/api/session').catch(() => undefined);
              onLogout();
              nav('/');
            }}
          >
            {t('Log out')}
          </Button>
        </Layout.Header>
        <Layout.Content style={{ padding: 16, minWidth: 0 }}>
          <Suspense fallback={<Spin />}>
            <Routes>
              <Route path="/" element={<Overview />} />
              <Route path="/orders" element={<Orders user={user} />} />
              <Route path="/orders/:id" element={<OrderDetail user={user} />} />
              <Route path="/cases" element={<Cases user={user} />} />
              <Route path="/purchase-orders" element={<PurchaseOrders user={user} />} />
              <Route path="/suppliers" element={<Suppliers />} />
              <Route path="/mappings" element={<Mappings user={user} />} />
              <Route path="/money" element={<Money user={user} />} />
              <Route path="/settings" element={<Settings user={user} />} />
              <Route path="/sandbox" element={<Sandbox user={user} />} />
              <Route path="*" element={<Navigate to="/" replace />} />
            </Routes>
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

/** Change one's own password (the current one is checked by the server; other sessions end). */
function PasswordButton() {
  const t = useT();
  const { message } = AntApp.useApp();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  return (
    <>
      <Button size="small" onClick={() => setOpen(true)}>
        {t('Change password')}
      </Button>
      <Modal open={open} title={t('Change password')} onCancel={() => setOpen(false)} onOk={() => form.submit()} destroyOnHidden>
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            try {
              await api('POST', '/api/me/password', v);
              void message.success(t('Saved'));
              setOpen(false);
            } catch (e) {
              void message.error((e as Error).message, 6);
            }
          }}
        >
          <Form.Item name="currentPassword" label={t('Current password')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item name="newPassword" label={t('New password')} rules={[{ required: true, min: 8 }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
