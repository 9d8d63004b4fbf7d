#!/usr/bin/env bash
# Benchmark (not a test): each gameday Lambda handler from process start to its first request
# for work (GET .../runtime/invocation/next) from a local Runtime API on 127.0.0.1, and its peak
# memory, side by side with a Python/boto3 peer of the same function (benches/peers/) started
# the way AWS starts a Python function (`python -m awslambdaric MODULE.handler`).
#
#   bash benches/lambda-start/run.sh [--runs N] [--warmup N] [--debug] [--rebuild]
#
#   --runs N     measured starts per binary (default 20), interleaved across the binaries
#   --quick      5 runs (what `benches/run.sh --quick` passes)
#   --warmup N   uncounted starts per binary first (default 1; writes the peers' bytecode cache)
#   --debug      also bench the debug build (`cargo build -p gameday-bootstrap`)
#   --rebuild    run `sam build` first even if its bootstrap is there
#
# The release binary is the one bootstrap every function deploys, as `sam build` makes it (full
# release profile: fat LTO, one codegen unit; scripts/env.sh sam_build, as scripts/test.sh runs
# it), started once per function with that function's GAMEDAY_HANDLER, as the template sets it.
# It is built with that same command when absent. Prints one Markdown section on stdout;
# progress goes to stderr. Installs the pinned awslambdaric and boto3
# (benches/peers/requirements.txt) in a virtualenv under $GAMEDAY_TOOLS_DIR.
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"

# Each function and the Python module of its peer.
FUNCTIONS=(prepare inject observe recover validate failover pipeline-gate)
declare -A PEER_MODULE=(
  [prepare]=phase [inject]=phase [observe]=phase [recover]=phase [validate]=phase
  [failover]=failover [pipeline-gate]=pipeline_gate
)
RUNS=20
WARMUP=1
DEBUG=0
REBUILD=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --quick) RUNS=5 ;;
    --warmup) WARMUP="$2"; shift ;;
    --debug) DEBUG=1 ;;
    --rebuild) REBUILD=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "benches/lambda-start/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
ensure_rust >&2
WORK="$CACHE/bench-lambda-start"
mkdir -p "$WORK"

# The bench program is its own small workspace with no dependencies; its own target directory
# keeps it from waiting on the shared one's lock while a long build holds it.
say "building the bench program (benches/lambda-start)" >&2
CARGO_TARGET_DIR="$CACHE/bench-target" nice -n 19 cargo build --quiet --release \
  --manifest-path benches/lambda-start/Cargo.toml >&2
BENCH="$CACHE/bench-target/release/lambda-start-bench"

SAM_BOOTSTRAP="$(sam_bootstrap)"
if [ "$REBUILD" = 1 ] || [ -z "$SAM_BOOTSTRAP" ]; then
  ensure_cargo_lambda
  ensure_sam >&2
  say "the release bootstrap: sam build (fat LTO; minutes, tens of them when cold)" >&2
  sam_build >&2
  SAM_BOOTSTRAP="$(sam_bootstrap)"
fi
args=(--runs "$RUNS" --warmup "$WARMUP" --compare release,python --build release)
for f in "${FUNCTIONS[@]}"; do args+=("$f=$SAM_BOOTSTRAP"); done
BOOTSTRAP_BUILT="$(stat -c %y "$SAM_BOOTSTRAP" | cut -c1-16) UTC"

if [ "$DEBUG" = 1 ]; then
  say "building the bootstrap (debug)" >&2
  nice -n 19 cargo build --quiet -p gameday-bootstrap >&2
  args+=(--build debug)
  for f in "${FUNCTIONS[@]}"; do args+=("$f=$CARGO_TARGET_DIR/debug/bootstrap"); done
fi

# Each peer's launcher execs Python in place, as the bootstrap of AWS's Python runtime does, so
# the process the bench measures is the interpreter. Bytecode goes to a cache of its own, not
# into the clone; the warm-up start writes it (AWS's runtime ships boto3 precompiled).
VENV="$(tool_venv lambda-peers benches/peers/requirements.txt)"
args+=(--build python)
for f in "${FUNCTIONS[@]}"; do
  launcher="$WORK/python/$f/bootstrap"
  mkdir -p "$(dirname "$launcher")"
  cat > "$launcher" <<EOF
#!/bin/sh
export PYTHONPYCACHEPREFIX="$WORK/pycache"
cd "$ROOT/benches/peers" && exec "$VENV/bin/python" -m awslambdaric ${PEER_MODULE[$f]}.handler
EOF
  chmod +x "$launcher"
  args+=("$f=$launcher")
done

say "benchmarking: $RUNS interleaved runs per binary after $WARMUP warm-up start(s)" >&2
tables="$("$BENCH" "${args[@]}")"

command="bash benches/lambda-start/run.sh --runs $RUNS --warmup $WARMUP"
[ "$DEBUG" = 1 ] && command+=" --debug"
[ "$REBUILD" = 1 ] && command+=" --rebuild"
peer_versions="$("$VENV/bin/python" -c 'import sys; from importlib.metadata import version as v
print("Python %s, awslambdaric %s, boto3 %s, botocore %s" % (sys.version.split()[0], v("awslambdaric"), v("boto3"), v("botocore")))')"
cat <<EOF
## Lambda start: gameday vs Python/boto3

- Date: $(date -u +%Y-%m-%dT%H:%MZ)
- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end
- Commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates functions benches || echo ' (with uncommitted changes)')
- Command: \`$command\`
- gameday: $(rustc --version); **release** = the one bootstrap of every function, as \`sam build\` makes it (fat LTO, one codegen unit; scripts/test.sh), built $BOOTSTRAP_BUILT, started with each function's \`GAMEDAY_HANDLER\`
- Python peers: $peer_versions; \`python -m awslambdaric MODULE.handler\` from benches/peers/, each creating at import the boto3 clients of the services its function's Rust version creates at init (one client per service)

Start = spawn to the first \`GET /2018-06-01/runtime/invocation/next\` on a Runtime API the bench serves on 127.0.0.1; peak RSS = \`VmHWM\` of the process at that moment. Every AWS endpoint points at a closed loopback port and no event is served. $RUNS runs per binary, interleaved (one start of each binary per round) after $WARMUP uncounted start(s) each; p95 is the nearest rank.

$tables
EOF
