import { createRoot } from 'react-dom/client';
import { App } from './App';
import './a11y.css';

// Scrollable regions (wide tables on a phone) must be reachable by keyboard: each gets a tab stop as it appears.
new MutationObserver(() => {
  for (const el of document.querySelectorAll<HTMLElement>('.ant-table-content:not([tabindex]), .ant-table-body:not([tabindex])')) {
    el.tabIndex = 0;
    el.setAttribute('role', 'region');
    el.setAttribute('aria-label', '表格 / table');
  }
  // antd's hidden measuring row copies a row's controls: they must not be reachable either.
  for (const el of document.querySelectorAll<HTMLElement>(
    '.ant-table-measure-row input, .ant-table-measure-row button, .ant-table-measure-row a',
  ))
    el.tabIndex = -1;
}).observe(document.body, { childList: true, subtree: true });

createRoot(document.getElementById('root')!).render(<App />);
