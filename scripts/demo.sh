#!/usr/bin/env bash
# The main job, until `gameday demo` exists: start the local sandbox, build the Bookstore fleet
# in it, validate the Bookstore experiments and plan the API-instance-failure experiment, then
# stop the sandbox. Installs what it needs; touches nothing outside this machine.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
ensure_rust
ensure_python

say "building gameday"
cargo build --quiet -p gameday-cli
GAMEDAY="$CARGO_TARGET_DIR/debug/gameday"

say "starting the sandbox"
"$GAMEDAY" sandbox up
trap '"$GAMEDAY" sandbox down >/dev/null' EXIT
ENDPOINT="$("$GAMEDAY" sandbox status --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sandbox"]["endpointUrl"])')"
export AWS_ENDPOINT_URL="$ENDPOINT"

say "seeding the Bookstore fleet"
"$GAMEDAY" sandbox seed

say "validating the Bookstore experiments"
"$GAMEDAY" validate examples/bookstore/*.yaml

say "planning examples/bookstore/api-instance-failure.yaml against $ENDPOINT"
"$GAMEDAY" plan examples/bookstore/api-instance-failure.yaml
