#!/usr/bin/env bash
# Benchmark (not a test): the property tests of every parser at 100,000 generated inputs each
# (CI runs them with GAMEDAY_PROPERTY_CASES unset, a few hundred each).
#
#   bash benches/reliability/run.sh              # 100000 cases per target, debug build
#   bash benches/reliability/run.sh --cases N
#   bash benches/reliability/run.sh --quick      # 10000 cases per target
#
# Prints only its Markdown section on stdout (`## Reliability: property tests`: date, machine,
# command, one row per target: cases, panics, accepted, rejected, seconds); progress and the
# test output go to stderr. A target whose property fails (a panic, or an unclear rejection)
# is listed as FAILED and the script exits 1 after printing the section.
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"

CASES=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --cases) CASES="$2"; shift ;;
    --quick) CASES=10000 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "reliability bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
ensure_rust

# package and test binary of each property suite
SUITES=(
  "gameday-core properties"
  "gameday-engine properties"
  "pipeline-gate properties"
  "gameday-e2e lambda_inputs"
)
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
failed=()
for suite in "${SUITES[@]}"; do
  read -r package test <<<"$suite"
  say "cargo test -p $package --test $test ($CASES cases per target)" >&2
  if ! GAMEDAY_PROPERTY_CASES="$CASES" GAMEDAY_PROPERTY_REPORT="$report" \
      nice -n 10 cargo test --quiet -p "$package" --test "$test" -- --nocapture >&2; then
    failed+=("$package/$test")
  fi
done

echo "## Reliability: property tests"
echo
echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Toolchain: $(rustc --version), debug build"
echo "Command: bash benches/reliability/run.sh --cases $CASES"
echo
echo "Inputs: mutations of the valid documents and events (fields removed, added, retyped; edge"
echo "numbers, tricky strings, deep nesting), text edits (truncation, doubled lines, inserted"
echo "tokens) and random text. Rejected inputs each got a clear error (checked, not counted here)."
echo
echo "| target | cases | panics | accepted | rejected | seconds |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
while IFS=$'\t' read -r target cases accepted rejected seconds; do
  echo "| $target | $cases | 0 | $accepted | $rejected | $seconds |"
done <"$report"
for suite in "${failed[@]}"; do
  echo "| $suite | FAILED: a property failed, see stderr | | | | |"
done
[ ${#failed[@]} -eq 0 ]
