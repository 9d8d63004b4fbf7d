#!/usr/bin/env bash
# Benchmark (not a test): the release build of all Lambda code with `sam build`, as a user runs
# it (infra/template.yaml, x86_64, the workspace's full release profile: fat LTO, one codegen
# unit), cold in an empty cargo target directory, then again after a one-line change to
# crates/core (what a typical commit costs once the dependencies are built).
#
#   bash benches/build/run.sh [--before REV] [--no-touch]
#
#   --before REV   also build commit REV the same way first (in a temporary worktree, with its
#                  own empty target directory), e.g. the last commit with one binary per
#                  function, so both figures come from the same run on the same machine
#   --no-touch     skip the rebuild after the change to crates/core
#   --quick        what `benches/run.sh --quick` passes: same as --no-touch
#
# Each build counts SAM's builds ("Building codeuri:" lines) and the bootstrap binaries it
# wrote. Cold builds take tens of minutes on two cores. Prints one Markdown section on stdout;
# progress (and SAM's output) goes to stderr. Uses the pinned cargo-lambda and SAM CLI.
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"

BEFORE=""
TOUCH=1
while [ $# -gt 0 ]; do
  case "$1" in
    --before) BEFORE="$2"; shift ;;
    --no-touch|--quick) TOUCH=0 ;;
    # What benches/run.sh may pass to every script; a build has no runs to count.
    --runs|--warmup) shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "benches/build/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
ensure_rust >&2
ensure_cargo_lambda >&2
ensure_sam >&2
WORK="$(mktemp -d "$CACHE/bench-build.XXXXXX")"
cleanup() {
  # The change to crates/core is undone whatever ends the script.
  [ -f "$WORK/lib.rs.orig" ] && cp "$WORK/lib.rs.orig" "$ROOT/crates/core/src/lib.rs"
  git worktree remove --force "$WORK/before" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# build LABEL TREE TARGET_DIR: one `sam build` of TREE's template; appends a table row.
ROWS=()
build() {
  local label="$1" tree="$2" target="$3" started seconds builds binaries
  local slug="${label//[^A-Za-z0-9]/-}"
  local log="$WORK/$slug.log" out="$WORK/$slug-out"
  say "$label: sam build in $tree (CARGO_TARGET_DIR=$target)" >&2
  started=$(date +%s)
  (cd "$tree/infra" && CARGO_TARGET_DIR="$target" SAM_CLI_TELEMETRY=0 CARGO_LAMBDA_COMPILER=cargo \
    sam build --template-file template.yaml --build-dir "$out" \
      --parameter-overrides Architecture=x86_64) >"$log" 2>&1 || { cat "$log" >&2; return 1; }
  seconds=$(( $(date +%s) - started ))
  builds=$(grep -c '^Building codeuri:' "$log" || true)
  binaries=$(find "$out" -name bootstrap -type f | wc -l)
  local size
  size=$(find "$out" -name bootstrap -type f -printf '%s\n' | sort -n | tail -n 1)
  ROWS+=("| $label | $(printf '%d min %02d s' $((seconds / 60)) $((seconds % 60))) | $builds | $binaries | $(numfmt --to=iec-i --suffix=B "${size:-0}") |")
  say "$label: ${seconds} s, $builds build(s)" >&2
}

if [ -n "$BEFORE" ]; then
  git worktree add --detach "$WORK/before" "$BEFORE" >&2
  build "before ($(git rev-parse --short "$BEFORE"), cold)" "$WORK/before" "$WORK/target-before"
fi
build "now ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates functions infra Cargo.toml || echo ', uncommitted changes'), cold)" "$ROOT" "$WORK/target-now"
if [ "$TOUCH" = 1 ]; then
  # A one-line change to the domain crate every handler depends on, undone afterwards.
  cp crates/core/src/lib.rs "$WORK/lib.rs.orig"
  echo "// benches/build: a change to core" >>crates/core/src/lib.rs
  build "now, after a change to crates/core" "$ROOT" "$WORK/target-now"
  cp "$WORK/lib.rs.orig" crates/core/src/lib.rs && rm "$WORK/lib.rs.orig"
fi

cat <<MD
## Release build of the Lambda code (\`sam build\`)

- Date: $(date -u +%Y-%m-%dT%H:%MZ)
- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end
- Command: \`bash benches/build/run.sh${BEFORE:+ --before $BEFORE}$([ "$TOUCH" = 0 ] && echo ' --no-touch')\`
- $(rustc --version); $(sam --version); cargo-lambda $(cargo-lambda lambda --version 2>/dev/null | awk '{print $2}'), host compiler (\`CARGO_LAMBDA_COMPILER=cargo\`), x86_64

Cold = an empty cargo target directory (the crates.io sources already downloaded). Builds = the
builds SAM ran; binaries = the \`bootstrap\` files it wrote (one per function); size = the
largest, unzipped.

| build | wall time | builds | binaries | bootstrap |
|---|---:|---:|---:|---:|
$(printf '%s\n' "${ROWS[@]}")
MD
