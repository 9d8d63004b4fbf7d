#!/usr/bin/env bash
# The test command: lint, unit and sandbox tests, the sandbox front's own tests, the ASL and
# template linters, and the release build of every function with its zip size. Installs what it
# needs (pinned Python tools and cargo-lambda in virtualenvs).
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
# The benchmarks are not run here (benches/run.sh); their scripts are only parsed.
say "bash -n benches/run.sh benches/*/run.sh"
for script in benches/*.sh benches/*/run.sh; do bash -n "$script"; done

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

# Every function under functions/ (package name from its Cargo.toml), in one cargo invocation so
# the shared dependencies build once, as zips for the host (x86_64 here; `sam build` builds arm64).
ensure_cargo_lambda
functions=()
for manifest in functions/*/Cargo.toml; do
  functions+=("$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1)")
done
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
say "cargo lambda build --release --output-format zip ${functions[*]}"
started=$(date +%s)
# CI checks that every function builds and reports its size; it overrides the release profile's
# fat LTO and single codegen unit, which make each of the seven final links take minutes on two
# cores and would break CI's time budget. `sam build` (the deployed build) keeps the full profile,
# so deployed zips are somewhat smaller than the ones printed here.
CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  nice -n 19 cargo lambda build --release --compiler cargo --output-format zip --quiet "${packages[@]}"
echo "built ${#functions[@]} functions in $(( $(date +%s) - started )) s (thin LTO, 16 codegen units):"
for f in "${functions[@]}"; do
  bytes=$(stat -c %s "$CARGO_TARGET_DIR/lambda/$f/bootstrap.zip")
  printf '  %-16s %9d bytes  %s\n' "$f" "$bytes" "$(numfmt --to=iec-i --suffix=B "$bytes")"
done
say "all checks passed"
