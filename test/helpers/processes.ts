import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_MASTER_KEY } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Run the real `daifa` command as a child process (what an operator runs), against a test database. */
export function spawnDaifa(args: string[], env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [join(ROOT, 'bin/daifa.js'), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      DAIFA_MASTER_KEY: TEST_MASTER_KEY,
      DAIFA_SANDBOX: '0',
      LOG_LEVEL: 'warn',
      DAIFA_DATA_DIR: mkdtempSync(join(tmpdir(), 'daifa-proc-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { output: () => string };
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  child.output = () => out;
  return child;
}

export async function runDaifa(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const child = spawnDaifa(args, env);
  const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
  return { code, out: child.output() };
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.on('exit', () => r()));
}
