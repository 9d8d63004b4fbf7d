#!/usr/bin/env bash
# The main job: start the local sandbox, build the Bookstore fleet in it, validate the Bookstore
# files, plan the API-instance-failure experiment, run it through the experiment state machine
# on the embedded engine (virtual clock: the five-minute observation takes seconds), show its
# record and history, then stop the sandbox. Installs what it needs; touches nothing outside
# this machine.
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

say "validating the Bookstore experiments and failover policies"
"$GAMEDAY" validate examples/bookstore/*.yaml

say "planning examples/bookstore/api-instance-failure.yaml against $ENDPOINT"
"$GAMEDAY" plan examples/bookstore/api-instance-failure.yaml

say "running examples/bookstore/api-instance-failure.yaml on the embedded engine (virtual clock)"
"$GAMEDAY" run examples/bookstore/api-instance-failure.yaml --virtual-clock --run-id demo-api-instance-failure --rto-seconds 43200

say "the run as stored, and the experiment's history"
"$GAMEDAY" status demo-api-instance-failure
"$GAMEDAY" history api-instance-failure
