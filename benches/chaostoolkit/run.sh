#!/usr/bin/env bash
# Benchmark (not a test): the Bookstore API-instance-failure experiment run by gameday
# (examples/bookstore/api-instance-failure.yaml) and by Chaos Toolkit with chaostoolkit-aws
# (benches/chaostoolkit/api-instance-failure.json) against the same local sandbox: CPU seconds,
# peak memory and wall time of each tool's process, medians and ratios.
#
#   bash benches/chaostoolkit/run.sh [--runs N] [--gameday PATH]
#
#   --runs N         runs of each tool (default 5), after one uncounted warm-up of each
#   --quick          2 runs (what `benches/run.sh --quick` passes)
#   --gameday PATH   use this gameday binary instead of building the release one
#
# Both sides wait for nothing: gameday runs with --virtual-clock (its observe window and
# intervals pass on a virtual clock, every sample is still taken) and the Chaos Toolkit
# experiment has no pauses. The sandbox is re-seeded before every run (`gameday sandbox seed`
# tops the fleet up to four opted-in running instances), and the order of the two alternates
# from round to round. Installs the pinned Chaos Toolkit (requirements.txt) in a virtualenv and
# builds gameday with the cli profile (the release profile optimised for size). Starts its own
# detached sandbox in $CACHE/bench-sandbox and stops it at the end. Prints one Markdown section
# on stdout; progress goes to stderr.
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"

RUNS=5
GAMEDAY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --quick) RUNS=2 ;;
    --gameday) GAMEDAY="$2"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "benches/chaostoolkit/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
ensure_rust >&2
HERE="$ROOT/benches/chaostoolkit"
EXPERIMENT="examples/bookstore/api-instance-failure.yaml"
WORK="$CACHE/bench-chaostoolkit"
rm -rf "$WORK" && mkdir -p "$WORK"

COMMAND="bash benches/chaostoolkit/run.sh --runs $RUNS${GAMEDAY:+ --gameday $GAMEDAY}"
# The `cli` profile (the release profile optimised for size), as the README's `cargo install`
# builds it, for the host target. A cold build takes about 15 min on two cores.
if [ -z "$GAMEDAY" ]; then
  TARGET="$(rustc -vV | sed -n 's/^host: //p')"
  say "building gameday (cli profile)" >&2
  nice -n 19 cargo build --quiet --profile cli --target "$TARGET" -p gameday-cli >&2
  GAMEDAY="$CARGO_TARGET_DIR/$TARGET/cli/gameday"
  GAMEDAY_BUILD="the cli profile (release, opt-level z: fat LTO, one codegen unit)"
else
  [ -x "$GAMEDAY" ] || { echo "benches/chaostoolkit/run.sh: --gameday $GAMEDAY is not an executable" >&2; exit 2; }
  GAMEDAY_BUILD="the binary $GAMEDAY (given with --gameday)"
fi
VENV="$(tool_venv chaostoolkit "$HERE/requirements.txt")"

# A sandbox directory of its own: no other session's `gameday sandbox down` stops it mid-run.
export GAMEDAY_SANDBOX_DIR="$CACHE/bench-sandbox"
say "starting the sandbox" >&2
endpoint="$("$GAMEDAY" sandbox up --output json | python3 -c 'import json, sys; print(json.load(sys.stdin)["endpointUrl"])')"
trap '"$GAMEDAY" sandbox down >&2 || true' EXIT
server_pid="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$GAMEDAY_SANDBOX_DIR/state.json")"
# What both tools are given, as the Rust side's sandbox settings (crates/aws/src/config.rs):
# the endpoint for every service (boto3 reads AWS_ENDPOINT_URL too), us-west-2, test keys.
export AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-west-2 AWS_DEFAULT_REGION=us-west-2
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
export PYTHONPATH="$HERE" PYTHONPYCACHEPREFIX="$WORK/pycache"
# No notification topic for either (gameday would publish to one; Chaos Toolkit has none).
unset TOPIC_ARN

RESULTS="$WORK/results.jsonl"
# One run of TOOL (gameday | chaostoolkit) after a fresh seed; numbered N (0 = warm-up).
run_one() {
  local tool="$1" n="$2" log="$WORK/$1-$2.log" results="$RESULTS"
  "$GAMEDAY" sandbox seed >"$WORK/seed.log" 2>&1 || { cat "$WORK/seed.log" >&2; exit 1; }
  if [ "$n" = 0 ]; then results="$WORK/warmup.jsonl"; fi
  if [ "$tool" = gameday ]; then
    python3 "$HERE/measure.py" run "$results" gameday "$log" --server-pid "$server_pid" -- \
      "$GAMEDAY" run "$EXPERIMENT" --virtual-clock \
      || { echo "gameday run $n did not pass (exit $?); see $log" >&2; exit 1; }
  else
    local journal="$WORK/journal-$n.json"
    python3 "$HERE/measure.py" run "$results" chaostoolkit "$log" --server-pid "$server_pid" -- \
      "$VENV/bin/chaos" --no-version-check --no-log-file --settings "$WORK/settings.yaml" \
      run --journal-path "$journal" "$HERE/api-instance-failure.json" \
      || { echo "chaos run $n failed (exit $?); see $log" >&2; exit 1; }
    python3 - "$journal" <<'EOF' || { echo "see $log" >&2; exit 1; }
import json, sys
journal = json.load(open(sys.argv[1]))
terminated = [r for r in journal["run"] if r["activity"]["name"] == "terminate-one-api-instance"]
if journal["status"] != "completed" or journal["deviated"] or [r["status"] for r in terminated] != ["succeeded"]:
    sys.exit(f"the Chaos Toolkit run did not complete as expected: status {journal['status']}, deviated {journal['deviated']}")
EOF
  fi
  echo "$tool run $n: $(tail -n 1 "${results}")" >&2
}

say "warm-up: one run of each (not counted)" >&2
run_one gameday 0
run_one chaostoolkit 0
say "$RUNS runs of each, alternating which goes first" >&2
for n in $(seq 1 "$RUNS"); do
  if [ $((n % 2)) = 1 ]; then run_one gameday "$n"; run_one chaostoolkit "$n"
  else run_one chaostoolkit "$n"; run_one gameday "$n"; fi
done
table="$(python3 "$HERE/measure.py" table "$RESULTS" gameday chaostoolkit)"

versions="$("$VENV/bin/python" -c 'from importlib.metadata import version as v
print(", ".join("%s %s" % (p, v(p)) for p in ("chaostoolkit", "chaostoolkit-lib", "chaostoolkit-aws", "boto3")))')"
cat <<EOF
## Bookstore experiment: gameday vs Chaos Toolkit

- Date: $(date -u +%Y-%m-%dT%H:%MZ)
- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end
- Commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates functions benches examples || echo ' (with uncommitted changes)')
- Command: \`$COMMAND\`
- gameday: \`gameday run $EXPERIMENT --virtual-clock\`, $GAMEDAY_BUILD, $(rustc --version)
- Chaos Toolkit: \`chaos run benches/chaostoolkit/api-instance-failure.json\` ($versions; $("$VENV/bin/python" --version))
- Sandbox: one detached \`gameday sandbox up\` (moto) on 127.0.0.1 for both, \`gameday sandbox seed\` before every run; us-west-2, test credentials

Each tool ran $RUNS times after one uncounted warm-up, alternating which went first. Wall time, CPU seconds (user + system of the process and its children, wait4) and peak RSS (GNU time's maximum resident set) are of the tool's own process; the sandbox's CPU meanwhile (/proc/PID/stat) shows the load each put on the emulated AWS. Waits: none on either side. gameday's \`--virtual-clock\` skips the waits of the observe window (PT5M at PT30S) and the recovery checks but takes every sample; the Chaos Toolkit experiment has no pauses and takes the same ten samples as probe references in its method.

$table

What both do: the steady state before (the API fleet has at least 3 running instances, the \`bookstore-api-unhealthy\` alarm is OK, \`api.bookstore.example.com\` points at running instances); the stop-condition alarm and the kill switch; terminate one running opted-in API instance (\`service=bookstore\`, \`role=api\`, \`gameday:allowed=true\`); ten samples of the three probes, the stop-condition alarm and the kill switch; the steady state after. How the Chaos Toolkit side differs:

- The fleet probe is \`chaosaws.ec2.probes.count_min_instances\` (tolerance true), which counts reservations; the seed launches one instance per reservation, so here it counts instances.
- The DNS probe and the kill-switch read are a small Python provider (\`bookstore_probes.py\`): chaostoolkit-aws has no probe for "the record points at running instances" and no SSM probe.
- The terminate is \`chaosaws.ec2.actions.terminate_instance\` with tag filters (one random match); gameday also checks the blast radius (25%), locks the target in DynamoDB and re-checks its opt-in tag before terminating.
- The stop-condition alarm and the kill switch are only read: Chaos Toolkit has no stop conditions (that would take a control such as chaostoolkit-addons' safeguards), so it would not halt on them.
- gameday does more besides: it keeps its run record in the sandbox's DynamoDB (written by every phase), publishes the verdict as CloudWatch metrics, and checks the playbook's criticality periods and RTO; Chaos Toolkit writes a journal file. No SNS topic is set, so neither notifies.
- Chaos Toolkit's idiomatic observation in real time is \`--hypothesis-strategy continuously --hypothesis-frequency 30\` with a 300 s pause; with no waits that would take no samples during the method, so the samples are listed instead.
EOF
