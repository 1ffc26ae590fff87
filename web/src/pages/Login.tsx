import { useContext, useState } from 'react';
import { Alert, Button, Card, Form, Input, Segmented, Typography } from 'antd';
import { api } from '../api';
import { LangContext, useT, type Lang } from '../i18n';
import type { User } from '../ui';

export function Login({ onLogin }: { onLogin: (u: User, csrf: string) => void }) {
  const t = useT();
  const { lang, setLang } = useContext(LangContext);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5', padding: 16 }}>
      <Card style={{ width: 'min(380px, 100%)' }}>
        <Typography.Title level={3} style={{ textAlign: 'center' }}>
          {t('Daifa console')}
        </Typography.Title>
        <Form
          layout="vertical"
          requiredMark={false}
          onFinish={async (v: { username: string; password: string }) => {
            setBusy(true);
            setError(undefined);
            try {
              const r = await api<{ user: User; csrfToken: string }>('POST', '/api/session', v);
              onLogin(r.user, r.csrfToken);
            } catch (e) {
              setError((e as Error).message);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Form.Item label={t('Username')} name="username" rules={[{ required: true }]}>
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item label={t('Password')} name="password" rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {error && <Alert role="alert" type="error" message={error} style={{ marginBottom: 16 }} />}
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('Log in')}
          </Button>
        </Form>
        <div style={{ textAlign: 'center', marginTop: 16 }}>
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
        </div>
      </Card>
    </main>
  );
}
