#!/usr/bin/env bash
# Benchmark 5 (not a test): what one run of each Bookstore experiment costs on AWS, priced from
# the state transitions and Lambda durations measured on the sandbox, against AWS FIS for the
# same faults (tests/bench/cost_bench.rs, an example of package gameday-e2e). Prints a Markdown
# section on stdout; progress on stderr.
#
#   bash benches/cost/run.sh                 # 3 runs of each examples/bookstore experiment
#   bash benches/cost/run.sh --runs 5
#   bash benches/cost/run.sh --quick         # 1 run each
#   GAMEDAY_BENCH_BUILD=debug bash benches/cost/run.sh
source "$(dirname "$0")/../lib.sh"

RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --quick) RUNS=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "benches/cost: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

mapfile -t experiments < <(grep -l '^kind: Experiment' examples/bookstore/*.yaml)
if [ ${#experiments[@]} -eq 0 ]; then
  echo "benches/cost: no experiment (kind: Experiment) in examples/bookstore/" >&2
  exit 2
fi
program="$(bench_program cost_bench)"
say "cost: $RUNS run(s) of ${experiments[*]}" >&2
tables="$("$program" --runs "$RUNS" "${experiments[@]}")"
listed="$(printf '`%s`, ' "${experiments[@]}")"

cat <<SECTION
## 5. Cost per experiment, measured, against AWS FIS

Command: \`bash benches/cost/run.sh --runs $RUNS\` ($BENCH_BUILD build of
\`tests/bench/cost_bench.rs\`; experiments: ${listed%, })

Each run is \`statemachines/experiment.asl.json\` on the embedded engine, the five phase
handlers in-process against a freshly seeded sandbox (moto $(moto_version)), under the virtual
clock, as \`gameday run --virtual-clock\` runs it. The bench adds the two names the database and
CDN experiments probe and the seed does not make (\`db.\` and \`cdn.bookstore.example.com\`,
CNAMEs to documentation hosts).

What is measured and what is a list price:

- **Measured**: the state transitions, counted as the states the execution entered (plus
  each Task retry), and the wall time of each phase handler call.
- **List prices** (us-east-1, the constants of \`crates/core/src/cost.rs\`, priced by
  \`gameday_core::cost::priced\`): Step Functions Standard \$0.025 per 1,000 transitions,
  Lambda arm64 \$0.0000133334 per GB-second at the template's 256 MB (each call billed by
  the started millisecond) and \$0.20 per million requests, AWS FIS \$0.10 per action-minute.
- **Waits**: Standard workflows bill transitions, not time (Express would bill the duration),
  so the virtual clock changes no price. It keeps the experiment's real observe interval and
  duration, so the loop makes as many turns as on AWS: "lasts" is how long the run takes on
  AWS. Recovery is detected at its first check on the sandbox; a slower recovery on AWS adds
  three transitions and one Lambda call per check. "Plan's upper bound" is \`gameday plan\`'s
  estimate: recovery takes its whole timeout and every call 0.5 s.
- **Lambda durations are lower bounds**: in-process calls against moto on loopback, with no
  cold start (init) and no network round trip to a regional endpoint.
- **FIS**: the same faults held for the same durations as FIS actions (one action per fault,
  billed per started minute). That buys the fault only: FIS has no steady-state probes,
  verdict or run record. The failover the database and CDN alarms set off on AWS is the
  failover's cost, not the experiment's, and is not counted on either side.

$tables
SECTION
