/**
 * Lifecycles are declared as literal transition tables (Vendure's order process). A table is validated at
 * start-up: every target is a declared state and every state is reachable from an initial state.
 */
export type Transitions<S extends string> = { readonly [K in S]: { readonly to: readonly S[] } };

export interface Lifecycle<S extends string> {
  name: string;
  initial: readonly S[];
  terminal: readonly S[];
  transitions: Transitions<S>;
}

export type TransitionCheck = { ok: true } | { ok: false; reason: string };

export function canTransition<S extends string>(lc: Lifecycle<S>, from: S | null, to: S): TransitionCheck {
  if (from === null) {
    return lc.initial.includes(to) ? { ok: true } : { ok: false, reason: `${lc.name}: ${to} is not an initial state` };
  }
  const entry = lc.transitions[from];
  if (!entry) return { ok: false, reason: `${lc.name}: unknown state ${from}` };
  return entry.to.includes(to) ? { ok: true } : { ok: false, reason: `${lc.name}: ${from} → ${to} is not allowed` };
}

export function validateLifecycle<S extends string>(lc: Lifecycle<S>): string[] {
  const problems: string[] = [];
  const states = new Set(Object.keys(lc.transitions));
  for (const s of [...lc.initial, ...lc.terminal]) if (!states.has(s)) problems.push(`${lc.name}: ${s} is not declared`);
  for (const [from, { to }] of Object.entries(lc.transitions) as [S, { to: readonly S[] }][]) {
    for (const t of to) if (!states.has(t)) problems.push(`${lc.name}: ${from} → ${t}: unknown target`);
    if (lc.terminal.includes(from) && to.length > 0) problems.push(`${lc.name}: terminal state ${from} has exits`);
    if (!lc.terminal.includes(from) && to.length === 0) problems.push(`${lc.name}: ${from} has no exit but is not terminal`);
  }
  const reached = new Set<string>(lc.initial);
  const queue = [...lc.initial] as string[];
  while (queue.length) {
    const s = queue.shift()!;
    for (const t of lc.transitions[s as S]?.to ?? []) {
      if (!reached.has(t)) {
        reached.add(t);
        queue.push(t);
      }
    }
  }
  for (const s of states) if (!reached.has(s)) problems.push(`${lc.name}: ${s} is unreachable`);
  return problems;
}

export function assertLifecycles(lifecycles: Lifecycle<string>[]): void {
  const problems = lifecycles.flatMap((lc) => validateLifecycle(lc));
  if (problems.length) throw new Error(`Invalid lifecycle tables:\n${problems.join('\n')}`);
}
