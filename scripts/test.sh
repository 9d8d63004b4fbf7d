#!/usr/bin/env bash
# The test command: lint, unit and sandbox tests, the sandbox front's own tests, the ASL and
# template linters, and `sam build` of the template (one release bootstrap for every function).
# Installs what it needs (pinned Python tools, cargo-lambda and the SAM CLI in virtualenvs) and
# ends with the time each step took, so a slower step shows in every CI log.
source "$(dirname "$0")/env.sh"
cd "$ROOT"

STEP_TIMES=()
CURRENT_STEP=""
STEP_STARTED=0
# step NAME COMMAND...: runs and times one step.
step() {
  CURRENT_STEP="$1"
  shift
  say "$CURRENT_STEP"
  STEP_STARTED=$(date +%s)
  "$@"
  STEP_TIMES+=("$(printf '  %-40s %5d s' "$CURRENT_STEP" $(( $(date +%s) - STEP_STARTED )))")
  CURRENT_STEP=""
}
print_step_times() {
  local status=$?
  say "step times (exit $status)"
  printf '%s\n' "${STEP_TIMES[@]}"
  if [ -n "$CURRENT_STEP" ]; then
    printf '  %-40s %5d s  FAILED\n' "$CURRENT_STEP" $(( $(date +%s) - STEP_STARTED ))
  fi
  printf '  %-40s %5d s\n' "total" "$SECONDS"
}
trap print_step_times EXIT

install_test_tools() {
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
  ensure_cargo_lambda
  ensure_sam
}
step "install tools" install_test_tools

step "cargo fmt --check" cargo fmt --all --check
step "cargo clippy (warnings are errors)" cargo clippy --workspace --all-targets --quiet -- -D warnings
step "cargo test (incl. the local sandbox)" cargo test --workspace
step "pytest (sandbox CloudWatch front)" "$TOOLS_VENV/bin/python" -m pytest -q crates/sandbox/python

shopt -s nullglob
run_linters() {
  # The benchmarks are not run here (benches/run.sh); their scripts are only parsed.
  local script
  for script in benches/*.sh benches/*/run.sh; do bash -n "$script"; done
  local machines=(statemachines/*.asl.json)
  echo "statelint ${machines[*]}"
  "$TOOLS_VENV/bin/statelint" "${machines[@]}"
  echo "cfn-lint infra/template.yaml"
  "$TOOLS_VENV/bin/cfn-lint" infra/template.yaml
  echo "sam validate --lint"
  (cd infra && SAM_CLI_TELEMETRY=0 sam validate --lint --template-file template.yaml)
}
step "linters (statelint, cfn-lint, sam)" run_linters

step "sam build (one release bootstrap)" sam_build
say "all checks passed"
