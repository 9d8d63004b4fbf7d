#!/usr/bin/env bash
# The test command: lint, unit and sandbox tests, the sandbox front's own tests, and the
# ASL and template linters. Installs what it needs (pinned Python tools in a virtualenv).
source "$(dirname "$0")/env.sh"
cd "$ROOT"
ensure_rust
ensure_python
ensure_chromium

TOOLS_VENV="$GAMEDAY_TOOLS_DIR/venv-$(cat scripts/requirements-tools.txt crates/sandbox/python/requirements*.txt | sha256sum | cut -c1-12)"
# Built in place (console scripts hard-code their venv's path, so a venv cannot be moved);
# the marker says the install finished.
if [ ! -f "$TOOLS_VENV/.installed" ]; then
  say "installing pinned test tools into $TOOLS_VENV"
  rm -rf "$TOOLS_VENV" && python3 -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/pip" install --disable-pip-version-check -q \
    -r scripts/requirements-tools.txt -r crates/sandbox/python/requirements.txt -r crates/sandbox/python/requirements-dev.txt
  touch "$TOOLS_VENV/.installed"
fi

say "cargo fmt --check"
cargo fmt --all --check

say "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

say "cargo test (starts the local sandbox; first run installs pinned moto)"
cargo test --workspace

say "sandbox CloudWatch front (pytest)"
"$TOOLS_VENV/bin/python" -m pytest -q crates/sandbox/python

shopt -s nullglob
machines=(statemachines/*.asl.json)
if [ ${#machines[@]} -gt 0 ]; then
  say "statelint ${machines[*]}"
  "$TOOLS_VENV/bin/statelint" "${machines[@]}"
else
  say "statelint: no state machines yet"
fi
if [ -f infra/template.yaml ]; then
  say "cfn-lint infra/template.yaml"
  "$TOOLS_VENV/bin/cfn-lint" infra/template.yaml
else
  say "cfn-lint: no template yet"
fi
say "all checks passed"
