import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Alibaba1688SimState } from './alibaba-1688/simulator.js';
import type { WeChatSimState } from './wechat-shop/simulator.js';
import type { Sandbox } from './server.js';

/**
 * The sandbox of `npm start` keeps its simulated WeChat Shop and 1688 orders across restarts, like the real
 * platforms do: without it, every order Daifa placed before a restart would be unknown to the simulators after
 * it (tracking refused with "order does not exist", delivery sync failing, jobs dying), and 1688's message ids
 * would start again at the same number, so Daifa would drop new messages as ones it had seen.
 * Saved every few seconds when something changed, and on a clean stop; a hard kill loses the last seconds.
 */
export interface SandboxContent {
  version: 1;
  wechat: WeChatSimState;
  alibaba: Alibaba1688SimState;
}

/** The file: the content and when it was written. */
export interface SandboxState extends SandboxContent {
  savedAt: number;
}

function sandboxContent(sb: Sandbox): SandboxContent {
  return { version: 1, wechat: sb.wechat.exportState(), alibaba: sb.alibaba.exportState() };
}

/**
 * Reads a saved state. An unreadable file is moved aside (never deleted: it is the merchant's rehearsal data)
 * and the sandbox starts empty; the caller is told so it can say it.
 */
export function loadSandboxState(file: string): { state?: SandboxState; movedAside?: string } {
  if (!existsSync(file)) return {};
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    if (state?.version !== 1 || !Array.isArray(state.wechat?.shops) || !Array.isArray(state.alibaba?.orders))
      throw new Error('not a sandbox state file');
    return { state };
  } catch {
    const movedAside = `${file}.unreadable-${Date.now()}`;
    renameSync(file, movedAside);
    return { movedAside };
  }
}

/** Puts the orders back; the shops must be registered with the simulator first. */
export function restoreSandbox(sb: Sandbox, state: SandboxState): { wechatOrders: number; alibabaOrders: number } {
  return { wechatOrders: sb.wechat.importState(state.wechat), alibabaOrders: sb.alibaba.importState(state.alibaba) };
}

export interface SandboxAutosave {
  /** Writes the state now if it changed since the last write. */
  save(): void;
  /** Stops the timer and writes a last time. */
  stop(): void;
}

export function autosaveSandbox(
  sb: Sandbox,
  file: string,
  opts: { intervalMs?: number; onError?: (err: unknown) => void } = {},
): SandboxAutosave {
  let last = '';
  const save = () => {
    const content = sandboxContent(sb);
    const text = JSON.stringify(content);
    if (text === last) return;
    // Whole file or nothing: written beside, then renamed over the old one.
    const tmp = `${file}.tmp`;
    mkdirSync(dirname(file), { recursive: true });
    const state: SandboxState = { savedAt: Date.now(), ...content };
    writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
    renameSync(tmp, file);
    last = text;
  };
  const guarded = () => {
    try {
      save();
    } catch (err) {
      opts.onError?.(err);
    }
  };
  const timer = setInterval(guarded, opts.intervalMs ?? 5_000);
  timer.unref();
  return {
    save,
    stop() {
      clearInterval(timer);
      guarded();
    },
  };
}
