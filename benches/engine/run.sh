#!/usr/bin/env bash
# Benchmark 4 (not a test): state transitions per second of the embedded engine (crates/engine)
# and of the sandbox's Step Functions interpreter (moto) on the same Pass/Choice/Map
# definitions, side by side (tests/bench/engine_bench.rs, an example of package gameday-e2e).
# Prints a Markdown section on stdout; progress on stderr.
#
#   bash benches/engine/run.sh                      # 5 runs, a 1,000-turn loop, a 100-item Map
#   bash benches/engine/run.sh --runs 3 --iterations 500 --items 50
#   bash benches/engine/run.sh --quick              # 2 runs, 200 turns, 20 items
#   GAMEDAY_BENCH_BUILD=debug bash benches/engine/run.sh
source "$(dirname "$0")/../lib.sh"

RUNS=5
ITERATIONS=1000
ITEMS=100
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --iterations) ITERATIONS="$2"; shift ;;
    --items) ITEMS="$2"; shift ;;
    --quick) RUNS=2; ITERATIONS=200; ITEMS=20 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "benches/engine: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

program="$(bench_program engine_bench)"
say "engine: $RUNS runs of each definition on the engine and on moto" >&2
table="$("$program" --runs "$RUNS" --iterations "$ITERATIONS" --items "$ITEMS")"

cat <<SECTION
## 4. Engine: state transitions per second, embedded engine vs the sandbox's interpreter

Command: \`bash benches/engine/run.sh --runs $RUNS --iterations $ITERATIONS --items $ITEMS\`
($BENCH_BUILD build of \`tests/bench/engine_bench.rs\`)

The same definitions, Pass/Choice/Map only (no Lambda), on the embedded engine in-process
(real clock, no observer) and on moto $(moto_version)'s Step Functions interpreter (its ASL
parser, enabled with \`POST /moto-api/config {"stepfunctions":{"execute_state_machine":true}}\`),
driven with aws-sdk-sfn. Each run executes a definition on the engine, then on moto.

- \`loop-N\`: a Pass sets a counter, a Choice tests it and a Pass adds one with
  \`States.MathAdd\`, N times.
- \`map-N\`: an inline Map (MaxConcurrency 10) over N numbers; each item goes through a Pass,
  a Choice and one of two Passes.

A transition is a \`*StateEntered\` event of the execution's history (the engine's history,
moto's GetExecutionHistory); the bench stops if the two sides count differently or give
different outputs. The engine's time is the wall time of \`Engine::execute\`; moto's is its
startDate → stopDate from DescribeExecution, which leaves out the HTTP round trips (the wall
time from StartExecution to the SUCCEEDED status, polled every 2 ms, is in brackets). Moto's
dates have millisecond resolution. Neither figure says anything about AWS Step Functions
itself, whose transitions are paced by the service.

$table
SECTION
