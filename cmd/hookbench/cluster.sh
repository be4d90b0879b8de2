#!/usr/bin/env bash
# Runs hookbench in serve mode against a real Temporal server — the
# temporal-server of the go.temporal.io/server version go.mod pins, on
# PostgreSQL (persistence and visibility), with hookflow's dynamic config —
# and keeps each output in docs/bench/cluster/ for docs/benchmarks.md.
#
#   bash cmd/hookbench/cluster.sh [run name]
#
# PostgreSQL: HOOKFLOW_BENCH_PG (default: the local one, trust auth). The
# script creates Temporal's databases there (hookbench_temporal*, dropped at
# the start of the next run) and each hookbench run its own hookflow
# database. SHARDS sets Temporal's history shards (default 4); PORT_BASE the
# ports Temporal listens on (default 21000 to 21009); TAG is appended to the
# output names, to keep repeated runs apart.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
only="${1:-}"
pg="${HOOKFLOW_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
shards="${SHARDS:-4}"
base="${PORT_BASE:-21000}"
out=docs/bench/cluster
work=/tmp/hookbench-cluster
mkdir -p "$out" "$work"
go build -o "$work/hookflow" ./cmd/hookflow
go build -o "$work/hookbench" ./cmd/hookbench
server=$(go tool -n server)
ln -sf "$(go tool -n sql)" "$work/temporal-sql-tool"

# PostgreSQL's host, port and user, from the URL.
hostport=${pg#*@}
hostport=${hostport%%/*}
user=${pg#postgres://}
user=${user%%@*}
user=${user%%:*}
export SQL_PLUGIN=postgres12 SQL_HOST=${hostport%:*} SQL_PORT=${hostport#*:} SQL_USER=$user
export DBNAME=hookbench_temporal VISIBILITY_DBNAME=hookbench_temporal_visibility
for db in $DBNAME $VISIBILITY_DBNAME; do
  PATH="$work:$PATH" temporal-sql-tool --db "$db" drop --force >/dev/null 2>&1 || true
done
PATH="$work:$PATH" sh deploy/temporal/setup-schema.sh > "$work/schema.log" 2>&1 || { cat "$work/schema.log"; exit 1; }

# The server, configured as the temporalio/server image is: by environment.
export DB=postgres12 POSTGRES_SEEDS=$SQL_HOST DB_PORT=$SQL_PORT POSTGRES_USER=$user POSTGRES_PWD=
export NUM_HISTORY_SHARDS=$shards BIND_ON_IP=127.0.0.1 LOG_LEVEL=error
export DYNAMIC_CONFIG_FILE_PATH=$PWD/deploy/temporal/dynamicconfig.yaml
export FRONTEND_GRPC_PORT=$((base + 1)) FRONTEND_HTTP_PORT=$((base + 2)) FRONTEND_MEMBERSHIP_PORT=$((base + 3))
export HISTORY_GRPC_PORT=$((base + 4)) HISTORY_MEMBERSHIP_PORT=$((base + 5))
export MATCHING_GRPC_PORT=$((base + 6)) MATCHING_MEMBERSHIP_PORT=$((base + 7))
export WORKER_GRPC_PORT=$((base + 8)) WORKER_MEMBERSHIP_PORT=$((base + 9))
"$server" start > "$work/temporal.log" 2>&1 &
temporal_pid=$!
trap 'kill $temporal_pid 2>/dev/null; wait $temporal_pid 2>/dev/null || true' EXIT
frontend=127.0.0.1:$FRONTEND_GRPC_PORT
export TEMPORAL_NAMESPACE=hookbench
# The namespace, through the frontend's HTTP API, once it answers.
for _ in $(seq 120); do
  curl -sf -X POST "http://127.0.0.1:$FRONTEND_HTTP_PORT/api/v1/namespaces" -H 'content-type: application/json' \
    -d "{\"namespace\":\"$TEMPORAL_NAMESPACE\",\"workflowExecutionRetentionPeriod\":\"86400s\"}" >/dev/null && break
  sleep 1
done
echo "Temporal $frontend (pid $temporal_pid, $shards shards), namespace $TEMPORAL_NAMESPACE"

# name  scenario  flags
runs=(
  "one-hook-20        one-hook       -rate 20 -duration 60s -apis 2 -workers 2"
  "one-hook-60        one-hook       -rate 60 -concurrency 64 -duration 60s -apis 2 -workers 2"
  "one-hook-60-1x1    one-hook       -rate 60 -concurrency 64 -duration 60s -apis 1 -workers 1"
  "fanout-10          fanout-10      -rate 5 -duration 60s -apis 2 -workers 2"
  "slow-receiver      slow-receiver  -rate 20 -concurrency 128 -duration 60s -apis 2 -workers 2"
)
for r in "${runs[@]}"; do
  read -r name scenario flags <<<"$r"
  [[ -z $only || $name == "$only" ]] || continue
  name="$name-$shards-shards${TAG:+-$TAG}"
  echo "== $name: hookbench -scenario $scenario $flags" | tee -a "$out/log"
  # shellcheck disable=SC2086 # the flags split on purpose
  "$work/hookbench" -hookflow "$work/hookflow" -mode serve -database-url "$pg" \
    -temporal "$frontend" -temporal-pid "$temporal_pid" -temporal-databases "$DBNAME,$VISIBILITY_DBNAME" \
    -partitions 1 -backlog-log "$out/$name-backlog.txt" -ceiling=false \
    -scenario "$scenario" -drain 300s $flags > "$out/$name.txt" 2>&1 ||
    echo "   failed: see $out/$name.txt" | tee -a "$out/log"
  grep -v '^{' "$out/$name.txt" | grep -A9 '^scenario' | tail -9
done
