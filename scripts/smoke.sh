#!/usr/bin/env bash
# Smoke test of the embedded default: `npm start` with no environment must bring the whole stack
# up (embedded PostgreSQL, Temporal dev server, nats-server, worker, API), answer /ready, place an
# order, and on Ctrl-C stop every process it started.
set -euo pipefail
cd "$(dirname "$0")/.."

API=http://localhost:3000/api/v1
KEY=dev-admin-key
# API, Temporal frontend, Web UI, embedded PostgreSQL, NATS, worker metrics, Temporal SDK metrics
PORTS=(3000 7233 8233 5433 4223 9464 9465)
READY_TIMEOUT=${SMOKE_READY_TIMEOUT:-180}
STOP_TIMEOUT=60
LOG=$(mktemp -t smoke-npm-start.XXXXXX.log)
STACK_PID=

say() { printf '[smoke] %s\n' "$*"; }

fail() {
  say "FAILED: $*"
  say "last lines of npm start output ($LOG):"
  tail -n 80 "$LOG" | sed 's/^/    /'
  exit 1
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

alive() { kill -0 "$1" 2>/dev/null; }

# Every process below the launcher, including the process groups it detaches its children into.
descendants() {
  ps -eo pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      found[root] = 1
      do { grew = 0; for (p in parent) if (!(p in found) && (parent[p] in found)) { found[p] = 1; grew = 1 } } while (grew)
      for (p in found) if (p != root) print p
    }'
}

any_alive() {
  local pid
  for pid in "$@"; do alive "$pid" && return 0; done
  return 1
}

# Stops `npm start` the way a user does: Ctrl-C, i.e. SIGINT to its whole process group, then
# waits until it and every process it had started are gone.
stop_stack() {
  local tree
  tree=$(descendants "$STACK_PID")
  if alive "$STACK_PID"; then kill -INT -- "-$STACK_PID" 2>/dev/null || true; fi
  for _ in $(seq "$STOP_TIMEOUT"); do
    # shellcheck disable=SC2086
    any_alive "$STACK_PID" $tree || return 0
    sleep 1
  done
  return 1
}

cleanup() {
  [[ -n "$STACK_PID" ]] || return 0
  if ! stop_stack; then
    say "npm start ignored Ctrl-C; killing its process tree"
    for pid in $(descendants "$STACK_PID") "$STACK_PID"; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
}
trap cleanup EXIT
# Killed (e.g. by a CI timeout) or interrupted: exit through the EXIT trap so the stack is stopped.
trap 'exit 143' TERM
trap 'exit 130' INT

# json PATH: prints the field at a dotted PATH of the JSON on stdin (empty when absent).
json() {
  node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      const value = process.argv[1].split(".").reduce((o, k) => (o == null ? undefined : o[k]), JSON.parse(text));
      console.log(value ?? "");
    });' "$1"
}

# call METHOD PATH [BODY]: sets STATUS and BODY from the API's answer.
call() {
  local response
  response=$(curl -sS -X "$1" "$API$2" -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} -w $'\n%{http_code}')
  STATUS=${response##*$'\n'}
  BODY=${response%$'\n'*}
  say "$1 $2 -> $STATUS"
}

expect_status() {
  local wanted=$1
  [[ "$STATUS" == "$wanted" ]] || fail "expected HTTP $wanted, got $STATUS: $BODY"
}

for port in "${PORTS[@]}"; do
  if listening "$port"; then fail "port $port is already in use; the smoke test needs it free"; fi
done

say "starting npm start with no DATABASE_URL, TEMPORAL_ADDRESS, NATS_URL, API_KEYS or PORT (log: $LOG)"
setsid env -u DATABASE_URL -u TEMPORAL_ADDRESS -u NATS_URL -u API_KEYS -u PORT -u NODE_ENV npm start >"$LOG" 2>&1 &
STACK_PID=$!

say "waiting up to ${READY_TIMEOUT}s for GET /ready = 200"
ready=
for _ in $(seq "$READY_TIMEOUT"); do
  alive "$STACK_PID" || fail "npm start exited before the API was ready"
  # Only /health is open; /ready takes credentials like every other endpoint (API.md).
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY" "$API/ready")" == 200 ]]; then ready=1; break; fi
  sleep 1
done
[[ -n "$ready" ]] || fail "GET /ready did not answer 200 within ${READY_TIMEOUT}s"
say "ready"

call PUT /products/smoke-mug '{"name":"Smoke mug","price":1299,"currency":"USD","active":true}'
[[ "$STATUS" == 200 || "$STATUS" == 201 ]] || fail "PUT product: $STATUS $BODY"
call PUT /warehouses/smoke-wh '{"name":"Smoke warehouse","priority":1}'
[[ "$STATUS" == 200 || "$STATUS" == 201 ]] || fail "PUT warehouse: $STATUS $BODY"
call PUT /inventory/smoke-mug/smoke-wh '{"onHand":100,"lowStockThreshold":5}'
expect_status 200
# Orders need a known customer once the customers resource exists (422 CUSTOMER_NOT_ALLOWED
# otherwise); before that the route answers 404 and any customer id is accepted.
call PUT /customers/smoke-customer '{"email":"smoke@example.com","status":"active"}'
[[ "$STATUS" == 200 || "$STATUS" == 201 || "$STATUS" == 404 ]] || fail "PUT customer: $STATUS $BODY"

call POST /orders '{"customerId":"smoke-customer","items":[{"productId":"smoke-mug","warehouseId":"smoke-wh","quantity":2}],"shippingAddress":"1 Smoke St"}'
expect_status 201
order_id=$(json data.id <<<"$BODY")
order_status=$(json data.status <<<"$BODY")
order_total=$(json data.total <<<"$BODY")
[[ "$order_status" == awaiting_payment ]] || fail "placed order has status '$order_status', expected awaiting_payment: $BODY"
[[ "$order_total" == 2598 ]] || fail "placed order has total '$order_total', expected 2598 (2 x 1299): $BODY"
say "order $order_id is awaiting_payment, total $order_total"

# Give the stock back so a persistent .data/ does not drain across runs.
call POST "/orders/$order_id/cancel" '{"reason":"smoke test"}'
expect_status 200
[[ "$(json data.status <<<"$BODY")" == cancelled ]] || fail "cancelled order reports: $BODY"

# The order's events are in the outbox, and the worker's relay leads against the embedded NATS.
# (The feed serves a transaction once every older one has finished: a moment may pass.)
for _ in $(seq 10); do
  call GET "/events?type=order.cancelled&subject=$order_id"
  expect_status 200
  [[ "$(json data.0.subject <<<"$BODY")" == "$order_id" ]] && break
  sleep 1
done
[[ "$(json data.0.subject <<<"$BODY")" == "$order_id" ]] || fail "GET /events has no order.cancelled for $order_id: $BODY"
for _ in $(seq 30); do grep -q 'leading the outbox relay' "$LOG" && break; sleep 1; done
grep -q 'leading the outbox relay' "$LOG" || fail "the worker's outbox relay never took the lead"
say "the outbox relay leads"

say "stopping npm start with Ctrl-C (SIGINT to its process group)"
started=$(descendants "$STACK_PID")
if ! stop_stack; then
  left=()
  for pid in $started "$STACK_PID"; do alive "$pid" && left+=("$pid"); done
  ps -o pid,args -p "$(IFS=,; echo "${left[*]}")" || true
  fail "processes still running ${STOP_TIMEOUT}s after Ctrl-C: ${left[*]}"
fi
wait "$STACK_PID" || true
STACK_PID=
# The launcher logs pino JSON (its output is a file here, not a terminal).
grep -qE '"name":"stack".*"exitCode":0,"msg":"stopped"' "$LOG" || fail "the launcher did not report a clean stop"
if grep -q 'exited unexpectedly' "$LOG"; then fail "a child died on its own during the run"; fi
for port in "${PORTS[@]}"; do
  if listening "$port"; then fail "port $port is still in use after Ctrl-C"; fi
done
say "PASSED: npm start served /ready, placed order $order_id, and Ctrl-C left no process or port behind"
