/**
 * Who may write SQL in src/ (read by eslint.config.js; `npm run lint` refuses SQL anywhere else). A service, an HTTP
 * route, the CLI, the runtime and the loop call these; they never build a query themselves.
 *
 * - storage: the database itself (dialects, migrations, prepared statements, retention) and the repositories in
 *   src/db/repositories/ — one per aggregate, each the only writer of its tables;
 * - read models: `queries.ts` of a folder (the dashboard's, the money pages', the CLI's lists);
 * - the modules that are their aggregate's store (the job queue, the inbound events, the state transitions, the
 *   ledger, cases, users and sessions …).
 */
const SQL_OWNERS = [
  'src/db/**/*.ts',
  'src/**/queries.ts',
  'src/jobs/queue.ts', // jobs
  'src/jobs/processes.ts', // worker processes
  'src/jobs/worker.ts', // job runs (one insert per run)
  'src/inbound/event-store.ts', // inbound events (and their first job, in the same commit)
  'src/lifecycle/apply-transition.ts', // state transitions and the order history
  'src/lifecycle/progress.ts',
  'src/payments/ledger.ts', // ledger entries
  'src/payments/payment-status.ts', // payment status writes
  'src/fulfilment/fulfilment-state.ts', // negotiation and delivery status writes
  'src/payments/limits.ts', // payment limits
  'src/payments/vouchers.ts', // payment vouchers
  'src/cases/cases.ts', // cases
  'src/security/accounts.ts', // users and API tokens
  'src/security/sessions.ts', // sessions
  'src/security/login-policy.ts', // login attempts
  'src/shops/shops.ts', // shops
  'src/suppliers/alibaba-1688/accounts.ts', // 1688 accounts (sealed tokens)
  'src/notify/settings.ts', // alert settings
];

module.exports = { SQL_OWNERS };
