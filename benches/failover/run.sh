#!/usr/bin/env bash
# Benchmark 1 (not a test): the failover control plane's time from "alarm event received" to
# "Route 53 UPSERT issued", over N runs against the local sandbox (tests/bench/failover_bench.rs,
# an example of package gameday-e2e). Prints a Markdown section on stdout; progress on stderr.
#
#   bash benches/failover/run.sh             # 50 runs, release build
#   bash benches/failover/run.sh --runs 20
#   bash benches/failover/run.sh --quick     # 10 runs
#   GAMEDAY_BENCH_BUILD=debug bash benches/failover/run.sh   # the debug build
source "$(dirname "$0")/../lib.sh"

RUNS=50
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --quick) RUNS=10 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "benches/failover: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

program="$(bench_program failover_bench)"
say "failover: $RUNS runs against the sandbox" >&2
table="$("$program" --runs "$RUNS")"

cat <<SECTION
## 1. Failover control plane: event received → UPSERT issued

Command: \`bash benches/failover/run.sh --runs $RUNS\` ($BENCH_BUILD build of
\`tests/bench/failover_bench.rs\`)

The failover Lambda's handler (\`functions/failover\`), in-process, against the sandbox (moto
$(moto_version) on 127.0.0.1): from the moment it is handed an EventBridge "CloudWatch Alarm
State Change" event to the moment it issues the Route 53 UPSERT. In between it finds the
alarm's policy, takes the service's lock in DynamoDB, finds the primary (terminated, so it
cannot be restarted), relaunches from the launch template with the newest backup AMI, and
checks that the replacement runs (moto starts instances at once) before it moves the record,
writing each step to the ledger. Each run has its own service, alarm, record and primary, so
no lock or cooldown is shared. Time after the UPSERT (waiting for INSYNC, notifying) is not
counted. On AWS each call crosses the network to a regional endpoint: these are the control
plane's own costs against a local emulator, not an RTO.

$table
SECTION
