import type { ReactNode } from 'react';
import { App, Space, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from './api';

export interface User {
  username: string;
  role: 'viewer' | 'operator' | 'owner';
}
const RANK = { viewer: 0, operator: 1, owner: 2 } as const;
export const can = (user: User, role: User['role']) => RANK[user.role] >= RANK[role];

export function Section({ title, extra, children }: { title: ReactNode; extra?: ReactNode; children: ReactNode }) {
  return (
    <section style={{ background: '#fff', padding: 16, borderRadius: 8, marginBottom: 16 }}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={5} style={{ margin: 0 }}>
          {title}
        </Typography.Title>
        {extra}
      </Space>
      {children}
    </section>
  );
}

/** A change on the server: shows the server's message on failure, refreshes everything on success. */
export function useAction() {
  const { message } = App.useApp();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (a: { method: string; path: string; body?: unknown; ok?: string }) => api(a.method, a.path, a.body),
    onSuccess: (_d, a) => {
      if (a.ok) void message.success(a.ok);
      void qc.invalidateQueries();
    },
    onError: (err: Error) => void message.error(err.message, 6),
  });
}
