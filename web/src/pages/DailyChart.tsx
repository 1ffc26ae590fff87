import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** Orders (bars) and profit in yuan (line) per China day; ECharts is loaded only with this page. */
export default function DailyChart({ rows, lang }: { rows: { day: string; orders: number; profit: number }[]; lang: 'zh' | 'en' }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current);
    const names = lang === 'zh' ? ['订单', '利润（元）'] : ['Orders', 'Profit (¥)'];
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { data: names },
      grid: { left: 40, right: 50, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: rows.map((r) => r.day.slice(5)) },
      yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value' }],
      series: [
        { name: names[0], type: 'bar', data: rows.map((r) => r.orders), itemStyle: { color: '#07c160' } },
        { name: names[1], type: 'line', yAxisIndex: 1, data: rows.map((r) => r.profit / 100), itemStyle: { color: '#1677ff' } },
      ],
    });
    const onResize = () => chart.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.dispose();
    };
  }, [rows, lang]);
  return (
    <div
      ref={el}
      role="img"
      aria-label={lang === 'zh' ? '每日订单与利润图' : 'orders and profit per day'}
      style={{ height: 280, width: '100%' }}
    />
  );
}
