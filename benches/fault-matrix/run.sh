#!/usr/bin/env bash
# Reliability bench (not a timing bench): the full fault matrix. Every AWS call of the Bookstore
# API experiment (run by the embedded engine under the virtual clock) and of the API failover
# (primary lost) fails in turn, in both fault kinds (a 503 that does nothing, and a call that
# takes effect but whose answer is lost), each case in a freshly seeded sandbox, and every
# invariant is checked (tests/fault_matrix.rs, GAMEDAY_FAULT_MATRIX=full).
#
#   bash benches/fault-matrix/run.sh           # every call (GAMEDAY_FAULT_MATRIX=full)
#   bash benches/fault-matrix/run.sh --quick   # CI's subset of the calls
#
# Prints only a Markdown section (`## Reliability: fault matrix`) on stdout; the build, the
# per-case progress and the matrices themselves go to stderr. Exits 1 if any invariant broke.
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"

MATRIX=full
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MATRIX=ci ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "fault-matrix bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
ensure_rust
ensure_python

# The test binary runs on its own, so cargo's lock on the shared target directory is held
# only while building, not for the whole matrix.
say "building the fault matrix test" >&2
binary="$(nice -n 10 cargo test -p gameday-e2e --test fault_matrix --no-run 2>&1 | tee /dev/stderr |
  sed -n 's/.*Executable .*fault_matrix\.rs (\(.*\))$/\1/p')"
if [ ! -x "$binary" ]; then
  echo "fault-matrix: could not find the built test binary in cargo's output" >&2
  exit 2
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
say "running the fault matrix ($MATRIX)" >&2
started=$(date +%s)
status=0
(cd tests && GAMEDAY_FAULT_MATRIX="$MATRIX" "$binary" --nocapture --test-threads 2) >"$log" || status=$?
wall=$(( $(date +%s) - started ))
cat "$log" >&2

# One line per scenario from the test: fault-matrix-summary|scenario|clean calls|cases|outcomes|broken
summaries="$(grep '^fault-matrix-summary|' "$log" || true)"
if [ -z "$summaries" ]; then
  echo "fault-matrix: the test printed no summary (exit $status); see the output above" >&2
  exit 2
fi
broken=$(echo "$summaries" | awk -F'|' '{s += $6} END {print s}')

echo "## Reliability: fault matrix"
echo
echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory"
echo "Command: bash benches/fault-matrix/run.sh$([ "$MATRIX" = full ] || echo " --quick") (GAMEDAY_FAULT_MATRIX=$MATRIX: cargo test -p gameday-e2e --test fault_matrix)"
echo "Sandbox: moto $(grep -m1 'MOTO_VERSION' crates/sandbox/src/lib.rs | sed 's/.*"\(.*\)".*/\1/') on 127.0.0.1; SDK retries off, so one failed request is one failed operation"
echo
echo "| scenario | AWS calls in a clean run | cases (calls failed x 2 kinds) | outcomes | invariant failures |"
echo "|---|---:|---:|---|---:|"
echo "$summaries" | awk -F'|' '{printf "| %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6}'
echo
echo "Fault kinds: \`503, not applied\` (the service answers 503 and does nothing: an outage or throttling) and \`applied, response lost\` (the call takes effect, the connection drops before the answer). Invariant failures in total: $broken. Wall time: ${wall} s."
if [ "$status" != 0 ] || [ "$broken" != 0 ]; then exit 1; fi
