#!/usr/bin/env bash
# Benchmark (not a test): each phase Lambda's time from process start to its first Runtime API
# request, and its peak memory, with a local Runtime API on 127.0.0.1 (benches/lambda_start).
#
#   bash scripts/bench-lambda-start.sh                  # debug builds of the six functions
#   bash scripts/bench-lambda-start.sh --release        # also `cargo lambda build --release`
#   bash scripts/bench-lambda-start.sh --release --release-functions "prepare failover"
#   options: --runs N (default 20), --warmup N (default 1, not counted)
#
# Prints the date, the machine, the command and a Markdown table on stdout; progress goes to
# stderr. Installs what it needs: the pinned cargo-lambda (PyPI wheel, benches/lambda_start/
# requirements.txt) in a virtualenv, for --release. Builds run under `nice -n 19`; a cold
# release build (LTO, one codegen unit) takes tens of minutes on a busy 2-core machine.
source "$(dirname "$0")/env.sh"
cd "$ROOT"

FUNCTIONS=(prepare inject observe recover validate failover)
RELEASE=0
RELEASE_FUNCTIONS="prepare"
RUNS=20
WARMUP=1
while [ $# -gt 0 ]; do
  case "$1" in
    --release) RELEASE=1 ;;
    --release-functions) RELEASE_FUNCTIONS="$2"; shift ;;
    --runs) RUNS="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench-lambda-start: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v cargo >/dev/null; then
  echo "gameday: cargo not found; install Rust with rustup (https://rustup.rs)" >&2
  exit 2
fi

# The bench program is its own small workspace with no dependencies; its own target directory
# keeps it from waiting on the shared one's lock while a long build holds it.
say "building the bench program (benches/lambda_start)" >&2
BENCH_TARGET="$CACHE/bench-target"
CARGO_TARGET_DIR="$BENCH_TARGET" nice -n 19 cargo build --quiet --release \
  --manifest-path benches/lambda_start/Cargo.toml >&2
BENCH="$BENCH_TARGET/release/lambda-start-bench"

say "building the function binaries (debug)" >&2
packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(-p "$f"); done
nice -n 19 cargo build --quiet "${packages[@]}" --bins >&2

args=(--runs "$RUNS" --warmup "$WARMUP" --build debug)
for f in "${FUNCTIONS[@]}"; do args+=("$f=$CARGO_TARGET_DIR/debug/$f"); done

LAMBDA_VERSION=""
if [ "$RELEASE" = 1 ]; then
  ensure_cargo_lambda
  LAMBDA_VERSION="$(cargo lambda --version)"
  release_packages=()
  for f in $RELEASE_FUNCTIONS; do release_packages+=(-p "$f"); done
  say "cargo lambda build --release --compiler cargo ${release_packages[*]} (LTO: minutes)" >&2
  started=$(date +%s)
  nice -n 19 cargo lambda build --release --compiler cargo "${release_packages[@]}" >&2
  echo "release build took $(( $(date +%s) - started )) s" >&2
  args+=(--build release)
  for f in $RELEASE_FUNCTIONS; do args+=("$f=$CARGO_TARGET_DIR/lambda/$f/bootstrap"); done
fi

say "benchmarking: $RUNS runs per binary after $WARMUP warm-up run(s)" >&2
table="$("$BENCH" "${args[@]}")"

echo
echo "Date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Toolchain: $(rustc --version)${LAMBDA_VERSION:+, $LAMBDA_VERSION}"
command="bash scripts/bench-lambda-start.sh --runs $RUNS --warmup $WARMUP"
if [ "$RELEASE" = 1 ]; then command+=" --release --release-functions \"$RELEASE_FUNCTIONS\""; fi
echo "Command: $command"
echo
echo "$table"
