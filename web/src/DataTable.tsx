import { useContext, useState, type Key, type ReactNode } from 'react';
import { Card, Checkbox, Empty, Grid, Pagination, Select, Spin, Table, type TableProps } from 'antd';
import { LangContext } from './i18n';

type Col = {
  title?: ReactNode;
  dataIndex?: string;
  key?: Key;
  render?: (value: any, record: any, index: number) => ReactNode;
  sorter?: ((a: any, b: any) => number) | boolean;
};

/**
 * A table on a desktop; on a phone (narrower than 576 px) one card per row, each column a "label: value" line, so
 * nothing scrolls sideways and every button stays on screen. Selection, sorting (a 排序 picker) and client paging work
 * the same way in both.
 */
export function DataTable<T extends object>(props: TableProps<T>) {
  const screens = Grid.useBreakpoint();
  const phone = screens.sm === false;
  if (!phone) return <Table<T> {...props} />;
  return <CardList {...(props as TableProps<any>)} />;
}

function CardList(props: TableProps<any>) {
  const { lang } = useContext(LangContext);
  const zh = lang === 'zh';
  const columns = (props.columns ?? []) as Col[];
  const rows = [...((props.dataSource as any[]) ?? [])];
  const sortable = columns.map((c, i) => ({ c, i })).filter(({ c }) => typeof c.sorter === 'function');
  const [sort, setSort] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  if (sort) {
    const [idx, dir] = sort.split(':');
    const by = columns[Number(idx)]!.sorter as (a: any, b: any) => number;
    rows.sort((a, b) => (dir === 'asc' ? by(a, b) : by(b, a)));
  }
  const pageSize = props.pagination && typeof props.pagination === 'object' ? (props.pagination.pageSize ?? 10) : rows.length || 1;
  const shown = props.pagination === false ? rows : rows.slice((page - 1) * pageSize, page * pageSize);
  const keyOf = (r: any, i: number): Key =>
    (typeof props.rowKey === 'function' ? props.rowKey(r, i) : r[(props.rowKey as string) ?? 'key']) as Key;
  const sel = props.rowSelection;
  const chosen = new Set(sel?.selectedRowKeys ?? []);
  const toggle = (k: Key, on: boolean) => {
    const next = on ? [...chosen, k] : [...chosen].filter((x) => x !== k);
    sel?.onChange?.(
      next,
      rows.filter((r, i) => next.includes(keyOf(r, i))),
      { type: 'multiple' },
    );
  };
  if (props.loading) return <Spin />;
  return (
    <div data-testid="card-list" data-rows={shown.length}>
      {sortable.length > 0 && (
        <Select
          aria-label={zh ? '排序' : 'Sort'}
          placeholder={zh ? '排序' : 'Sort'}
          allowClear
          style={{ width: '100%', marginBottom: 8 }}
          value={sort}
          onChange={setSort}
          options={sortable.flatMap(({ c, i }) => [
            { value: `${i}:asc`, label: `${String(typeof c.title === 'string' ? c.title : '')} ↑` },
            { value: `${i}:desc`, label: `${String(typeof c.title === 'string' ? c.title : '')} ↓` },
          ])}
        />
      )}
      {shown.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />}
      {shown.map((r, i) => {
        const k = keyOf(r, i);
        return (
          <Card key={k} size="small" style={{ marginBottom: 8 }} data-testid="row-card">
            {sel && (
              <Checkbox
                aria-label={zh ? '选择' : 'Select'}
                checked={chosen.has(k)}
                onChange={(e) => toggle(k, e.target.checked)}
                style={{ marginBottom: 4 }}
              />
            )}
            {columns.map((c, ci) => {
              const value = c.dataIndex ? r[c.dataIndex] : undefined;
              const body = c.render ? c.render(value, r, i) : value;
              if (body === undefined || body === null || body === false || body === '') return null;
              return (
                <div key={ci} style={{ display: 'flex', gap: 8, padding: '2px 0', wordBreak: 'break-all' }}>
                  {c.title ? <span style={{ color: '#595959', flex: '0 0 88px' }}>{c.title}</span> : null}
                  <span style={{ flex: 1, minWidth: 0 }}>{body as ReactNode}</span>
                </div>
              );
            })}
            {props.expandable?.expandedRowRender && <div style={{ marginTop: 4 }}>{props.expandable.expandedRowRender(r, i, 0, true)}</div>}
          </Card>
        );
      })}
      {props.pagination !== false && rows.length > pageSize && (
        <Pagination simple current={page} pageSize={pageSize} total={rows.length} onChange={setPage} />
      )}
    </div>
  );
}
