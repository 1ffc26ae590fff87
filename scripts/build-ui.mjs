// Builds the dashboard (web/ → web/dist) when it is missing or older than its sources; run before `npm start`
// and `npm test`, so `npm install && npm start` is all a new user needs. `--force` always builds.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const web = join(root, 'web');
const built = join(web, 'dist', 'index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const force = process.argv.includes('--force');
if (!force && existsSync(built) && statSync(built).mtimeMs >= newest(web)) process.exit(0);
if (!existsSync(join(root, 'node_modules', 'vite'))) {
  // A production install (--omit=dev) without a built dashboard: Daifa still starts (API, webhooks, workers).
  if (!existsSync(built))
    console.warn(
      '控制台未构建且缺少 vite：API 照常运行；请在有开发依赖的机器上 npm run build:ui 后复制 web/dist / dashboard not built and vite is missing — the API runs; build web/dist where dev dependencies are installed',
    );
  process.exit(0);
}
console.log('构建控制台 / building the dashboard …');
const r = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn'],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
