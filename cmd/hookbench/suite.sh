#!/usr/bin/env bash
# Runs every hookbench scenario three times in `hookflow dev` and in `serve`
# against PostgreSQL, and keeps each run's output in docs/bench/ for
# docs/benchmarks.md. Each run is preceded by the bare engine (the ceiling)
# under the same load, so each output has both and their ratio. Takes about
# two hours on 2 cores: run it on a quiet machine.
#
#   bash cmd/hookbench/suite.sh [dev|serve|all] [run name]
#
# serve needs a PostgreSQL server: HOOKFLOW_BENCH_PG (default: the local one
# with trust auth). Each run creates and drops a database of its own there.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOTOOLCHAIN=local
which="${1:-all}"
only="${2:-}" # one run name of the list below, e.g. fanout-100
pg="${HOOKFLOW_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
out=docs/bench
mkdir -p "$out" /tmp/hookbench
go build -o /tmp/hookbench/hookflow ./cmd/hookflow
go build -o /tmp/hookbench/hookbench ./cmd/hookbench

# name  scenario  flags
runs=(
  "one-hook-50     one-hook       -rate 50 -duration 20s"
  "one-hook-100    one-hook       -rate 100 -duration 60s"
  "one-hook-200    one-hook       -rate 200 -concurrency 64 -duration 60s"
  "overload        overload       -concurrency 64 -duration 60s"
  "burst           burst          -concurrency 32"
  "one-hook-300    one-hook       -rate 300 -concurrency 64 -duration 60s"
  "one-hook-40     one-hook       -rate 40 -duration 60s"
  "fanout-10       fanout-10      -rate 30 -duration 30s"
  "fanout-100      fanout-100     -rate 10 -duration 10s"
  "fanout-1000     fanout-1000    -rate 1 -duration 10s"
  "chunked-10k     chunked-10k"
  "match-5-of-10   match-5-of-10  -rate 30 -duration 30s"
  "match-5-of-10k  match-5-of-10k -rate 30 -duration 30s"
  "slow-receiver   slow-receiver  -rate 50 -concurrency 128 -duration 30s"
)

bench() { # mode name scenario flags...
  local mode=$1 name=$2 scenario=$3
  shift 3
  local extra=()
  [[ $mode == serve ]] && extra=(-database-url "$pg")
  echo "== $mode $name: hookbench -mode $mode -scenario $scenario $* -runs 3" | tee -a "$out/log"
  /tmp/hookbench/hookbench -hookflow /tmp/hookbench/hookflow -mode "$mode" "${extra[@]}" \
    -scenario "$scenario" -drain 300s -runs 3 "$@" > "$out/$mode-$name.txt" 2>&1 ||
    echo "   failed: see $out/$mode-$name.txt" | tee -a "$out/log"
}

# serve on these two cores delivers ~60-100 events/s: overload (3x the
# dev engine's capacity for 60 s, ~57,000 events) and one-hook-300 would
# each spend their whole 300 s drain on a backlog that one-hook-200 and
# burst measure already, and end with deliveries "not arrived". Named, they
# still run (suite.sh serve overload) for a machine where serve keeps pace.
serve_skip=" overload one-hook-300 "

for mode in dev serve; do
  [[ $which == all || $which == "$mode" ]] || continue
  for r in "${runs[@]}"; do
    [[ -z $only || $r == "$only "* ]] || continue
    if [[ $mode == serve && -z $only && $serve_skip == *" ${r%% *} "* ]]; then
      echo "== serve ${r%% *}: skipped (see serve_skip)" | tee -a "$out/log"
      continue
    fi
    # shellcheck disable=SC2086 # the flags split on purpose
    bench "$mode" $r
  done
done
