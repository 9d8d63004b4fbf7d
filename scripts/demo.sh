#!/usr/bin/env bash
# The main job: `gameday demo`, the Bookstore example end to end on this machine. It starts the
# local sandbox, builds the Bookstore environment in it, validates the Bookstore files, runs the
# API-instance-failure experiment through the experiment state machine on the embedded engine
# (virtual clock), drills the API's failover, reads the notifications back, writes the evidence
# to gameday-demo/ and prints what was measured, then stops the sandbox. Installs what it needs;
# touches nothing outside this machine. Extra arguments go to `gameday demo` (see --help).
source "$(dirname "$0")/env.sh"
cd "$ROOT"
ensure_rust
ensure_python

say "building gameday"
cargo build --quiet -p gameday-cli
GAMEDAY="$CARGO_TARGET_DIR/debug/gameday"

say "gameday demo ($GAMEDAY)"
status=0
"$GAMEDAY" demo "$@" || status=$?
say "this build of gameday is $GAMEDAY; to have \`gameday\` on your PATH: cargo install --locked --profile cli --path crates/cli"
exit "$status"
