# Shared by benches/*/run.sh (sourced, not run): the settings of scripts/env.sh, and the build
# of the bench programs of package gameday-e2e (tests/bench/*.rs).
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$ROOT"
ensure_rust
ensure_python

# GAMEDAY_BENCH_BUILD=debug uses the (usually warm) debug build instead: quicker to get, slower
# to run, and the section says so.
BENCH_BUILD="${GAMEDAY_BENCH_BUILD:-release}"
case "$BENCH_BUILD" in
  release|debug) ;;
  *) echo "benches: GAMEDAY_BENCH_BUILD must be release or debug, not $BENCH_BUILD" >&2; exit 2 ;;
esac

# Builds the example `$1` of gameday-e2e and prints the path of its binary. The release build
# overrides the release profile for the bench programs (thin LTO, 16 codegen units instead of
# fat LTO and one unit: minutes less per link; these programs are measuring tools, not what is
# deployed) and uses the host's target directory, so later builds reuse the dependencies. A cold
# release build of the AWS SDK takes tens of minutes on two cores; later ones take seconds.
bench_program() {
  local example="$1"
  if [ "$BENCH_BUILD" = debug ]; then
    say "cargo build -p gameday-e2e --example $example (debug)" >&2
    nice -n 10 cargo build --quiet -p gameday-e2e --example "$example" >&2
    echo "$CARGO_TARGET_DIR/debug/examples/$example"
  else
    local host
    host="$(rustc -vV | sed -n 's/^host: //p')"
    say "cargo build --release -p gameday-e2e --example $example (thin LTO; cold: tens of minutes)" >&2
    CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      nice -n 10 cargo build --quiet --release --target "$host" -p gameday-e2e --example "$example" >&2
    echo "$CARGO_TARGET_DIR/$host/release/examples/$example"
  fi
}

# The moto version the sandbox pins.
moto_version() {
  sed -n 's/^moto\[server\]==//p' "$ROOT/crates/sandbox/python/requirements.txt"
}
