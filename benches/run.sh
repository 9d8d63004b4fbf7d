#!/usr/bin/env bash
# The one script that runs every benchmark and writes BENCHMARKS.md (not a test; CI does not
# run it). Runs each benches/NAME/run.sh in this order, skipping (with a note) those that do
# not exist: build failover engine cost lambda-start chaostoolkit reliability fault-matrix. Each one
# prints a Markdown section on stdout and its progress on stderr; BENCHMARKS.md is a header
# (date, machine, toolchain, moto, the command) followed by the sections in order.
#
#   bash benches/run.sh                          # every benchmark, full size
#   bash benches/run.sh --only failover engine   # some of them, in the fixed order
#   bash benches/run.sh --quick                  # passes --quick (fewer runs) to each one
#   bash benches/run.sh --out /tmp/b.md          # write somewhere else (default BENCHMARKS.md)
#   bash benches/run.sh -- --runs 3              # anything after -- goes to every script
#   GAMEDAY_BENCH_BUILD=debug bash benches/run.sh   # debug builds of the bench programs
#
# Exits 1 when a benchmark failed (its section says so; the others still run), 2 on bad usage.
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"

ORDER=(build failover engine cost lambda-start chaostoolkit reliability fault-matrix)
ONLY=()
PASS=()
OUT="BENCHMARKS.md"
COMMAND="bash benches/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --only)
      shift
      while [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; do ONLY+=("$1"); shift; done
      [ ${#ONLY[@]} -gt 0 ] || { echo "benches/run.sh: --only needs names: ${ORDER[*]}" >&2; exit 2; }
      continue ;;
    --quick) PASS+=(--quick) ;;
    --out) OUT="$2"; shift ;;
    --) shift; PASS+=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "benches/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for name in "${ONLY[@]}"; do
  if [[ " ${ORDER[*]} " != *" $name "* ]]; then
    echo "benches/run.sh: no benchmark named $name; the names are: ${ORDER[*]}" >&2
    exit 2
  fi
done

selected=()
for name in "${ORDER[@]}"; do
  if [ ${#ONLY[@]} -eq 0 ] || [[ " ${ONLY[*]} " == *" $name "* ]]; then selected+=("$name"); fi
done

# The machine as the run starts, before any build loads it.
started_at="$(date -u +%Y-%m-%dT%H:%MZ)"
cpu_model="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
memory="$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
toolchain="$(rustc --version), $(cargo --version)"
moto="$(sed -n 's/^moto\[server\]==//p' crates/sandbox/python/requirements.txt)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
sources=()
for name in "${selected[@]}"; do
  script="benches/$name/run.sh"
  section="$work/$name.md"
  if [ ! -f "$script" ]; then
    say "$name: $script does not exist yet; skipped" >&2
    printf '## %s\n\nNot run: `%s` does not exist yet.\n' "$name" "$script" >"$section"
    sources+=("- $name: not run (\`$script\` does not exist yet)")
    continue
  fi
  say "$name: bash $script ${PASS[*]:-}" >&2
  started=$(date +%s)
  if bash "$script" "${PASS[@]}" >"$section"; then
    sources+=("- $name: \`bash $script${PASS[*]:+ ${PASS[*]}}\` ($(( $(date +%s) - started )) s)")
  else
    status=$?
    failed+=("$name")
    printf '\n**%s failed** (exit %s); see its output on stderr.\n' "$script" "$status" >>"$section"
    sources+=("- $name: \`bash $script${PASS[*]:+ ${PASS[*]}}\` FAILED (exit $status)")
  fi
done

{
  cat <<HEADER
# Benchmarks

Measured by \`benches/run.sh\`, which runs each \`benches/NAME/run.sh\` in turn on one machine
in one run; every figure below comes from that run, with the command that produced it.
Benchmarks are not tests: CI does not run them, and the numbers belong to this machine. The
sandbox is moto on 127.0.0.1, so figures measured against it say what gameday's own code costs,
not what AWS takes.

- Date: $started_at
- Machine: $(nproc) CPUs ($cpu_model), $memory memory, load average $load at the start
- Toolchain: $toolchain
- Sandbox: moto $moto
- Command: \`$COMMAND\`

Sections and the scripts that wrote them:

$(printf '%s\n' "${sources[@]}")

HEADER
  for name in "${selected[@]}"; do
    cat "$work/$name.md"
    echo
  done
} >"$work/BENCHMARKS.md"
mv "$work/BENCHMARKS.md" "$OUT"
say "wrote $OUT" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "benches/run.sh: failed: ${failed[*]}" >&2
  exit 1
fi
