// Prints the dashboard's bundle sizes: the initial JavaScript (entry + modulepreloads in index.html, what a first
// visit downloads before the page can render) gzipped, against the 400 KB target, and every lazy chunk.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../web/dist/', import.meta.url).pathname;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let total = 0;
for (const f of initial) total += gz(f);
const css = [...html.matchAll(/href="\/(assets\/[^"]+\.css)"/g)].map((m) => m[1]);
console.log(`initial JS (gzip): ${kb(total)} in ${initial.length} file(s) — target < 400 KB: ${total < 400 * 1024 ? 'OK' : 'OVER'}`);
if (css.length) console.log(`initial CSS (gzip): ${kb(css.reduce((s, f) => s + gz(f), 0))}`);
const lazy = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js') && !initial.includes(`assets/${f}`));
console.log('lazy chunks (gzip):');
for (const f of lazy.sort()) console.log(`  ${f.padEnd(36)} ${kb(gz(`assets/${f}`))}`);
if (total >= 400 * 1024) process.exitCode = 1;
