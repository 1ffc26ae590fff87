#!/usr/bin/env bash
# Runs the scale properties at full size (CI runs the same tests at a smaller DAIFA_SCALE).
#   bash bench/scale.sh            # SQLite
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test bash bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${DAIFA_SCALE:-10000}"
echo "== intake properties at ${SIZE} orders ($( [ -n "${DATABASE_URL:-}" ] && echo PostgreSQL || echo SQLite ))"
DAIFA_SCALE="$SIZE" npx vitest run test/integration/intake.test.ts --testTimeout=1800000 --hookTimeout=600000 -t "duplicated|poller alone"

echo "== purchasing: 20% of 1688 create responses lost, at ${PURCHASE_SIZE:-1000} orders"
DAIFA_SCALE="${PURCHASE_SIZE:-1000}" npx vitest run test/integration/purchasing.test.ts --testTimeout=1800000 --hookTimeout=600000 -t "responses lost"

echo "== paying: pay answers lost and a SIGKILL while paying, at ${PAY_SIZE:-1000} orders"
DAIFA_SCALE="${PAY_SIZE:-1000}" npx vitest run test/integration/pay-crash.test.ts --testTimeout=1800000 --hookTimeout=600000

echo "== crash run: the whole loop with the worker SIGKILLed every 3–5 s, at ${LOOP_SIZE:-2000} orders"
DAIFA_SCALE="${LOOP_SIZE:-2000}" LOOP_CRASH_TIMEOUT_MS=3600000 npx vitest run test/integration/loop-crash.test.ts --testTimeout=4000000 --hookTimeout=600000
