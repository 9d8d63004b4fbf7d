# Shared settings for scripts/*.sh (sourced, not run).
# Build products and the sandbox's virtualenv are cached outside the clone, so repeated runs on
# one machine reuse them; override with CARGO_TARGET_DIR / GAMEDAY_SANDBOX_DIR / GAMEDAY_TOOLS_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/gameday"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export GAMEDAY_SANDBOX_DIR="${GAMEDAY_SANDBOX_DIR:-$CACHE/sandbox}"
export GAMEDAY_TOOLS_DIR="${GAMEDAY_TOOLS_DIR:-$CACHE/tools}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say() { printf '\n==> %s\n' "$*"; }

# Python 3 with venv is the one thing the scripts need from the system (moto, cfn-lint and
# statelint are Python packages). On Debian, install it when missing and we are root.
ensure_python() {
  if python3 -c 'import venv, ensurepip' 2>/dev/null; then return; fi
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "installing python3-venv (Debian)"
    apt-get update -qq && apt-get install -y -qq python3 python3-venv >/dev/null
  else
    echo "gameday: Python 3 with the venv module is required (Debian: apt-get install python3 python3-venv)" >&2
    exit 2
  fi
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    echo "gameday: cargo not found; install Rust with rustup (https://rustup.rs)" >&2
    exit 2
  fi
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
}

# A virtualenv under $GAMEDAY_TOOLS_DIR with the pinned packages of REQUIREMENTS, named NAME and
# the requirements' hash (a changed pin makes a new one); prints its path. Built in place:
# console scripts hard-code their venv's path; the marker says the install finished.
tool_venv() {
  local name="$1" requirements="$2"
  local venv="$GAMEDAY_TOOLS_DIR/$name-$(sha256sum "$requirements" | cut -c1-12)"
  if [ ! -f "$venv/.installed" ]; then
    ensure_python
    say "installing pinned $name ($requirements) into $venv" >&2
    # Called inside $(...), where `set -e` does not apply: a failed install must not be
    # marked as done.
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >&2 ||
      ! "$venv/bin/pip" install --disable-pip-version-check -q -r "$requirements" >&2; then
      echo "gameday: installing $name from $requirements failed" >&2
      rm -rf "$venv"
      return 1
    fi
    touch "$venv/.installed"
  fi
  echo "$venv"
}

# The pinned cargo-lambda (PyPI wheel, benches/lambda-start/requirements.txt) in its own
# virtualenv, put first on PATH.
ensure_cargo_lambda() {
  local venv
  venv="$(tool_venv cargo-lambda "$ROOT/benches/lambda-start/requirements.txt")"
  export PATH="$venv/bin:$PATH"
}

# Headless Chromium opens the HTML report in its test (GAMEDAY_SKIP_BROWSER=1 skips that test).
# On Debian, install Debian's `chromium` when missing and we are root.
ensure_chromium() {
  if [ "${GAMEDAY_SKIP_BROWSER:-}" = 1 ] || command -v chromium >/dev/null; then return; fi
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "installing chromium (Debian), for the report's browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "gameday: chromium is required by the report's browser test (Debian: apt-get install chromium), or set GAMEDAY_SKIP_BROWSER=1 to skip that test" >&2
    exit 2
  fi
}

# The pinned AWS SAM CLI (scripts/requirements-sam.txt) in its own virtualenv, put on PATH.
ensure_sam() {
  local venv
  venv="$(tool_venv sam "$ROOT/scripts/requirements-sam.txt")"
  export PATH="$venv/bin:$PATH"
}

# `sam build` of infra/template.yaml as a user runs it (full release profile: fat LTO, one codegen
# unit), for x86_64, the host: every function shares the one bootstrap of crates/bootstrap, so
# SAM must build once. The cargo target directory is the cached one, so only changed crates
# rebuild. Needs ensure_cargo_lambda and ensure_sam first.
sam_build() {
  local log="$CARGO_TARGET_DIR/sam-build.log" build_dir="$CARGO_TARGET_DIR/sam-build"
  mkdir -p "$CARGO_TARGET_DIR"
  (cd "$ROOT/infra" && SAM_CLI_TELEMETRY=0 CARGO_LAMBDA_COMPILER=cargo nice -n 10 sam build \
    --template-file template.yaml --build-dir "$build_dir" \
    --parameter-overrides Architecture=x86_64) 2>&1 | tee "$log"
  local builds functions binaries
  builds=$(grep -c '^Building codeuri:' "$log" || true)
  functions=$(grep -c "Type: AWS::Serverless::Function" "$ROOT/infra/template.yaml")
  binaries=$(find "$build_dir" -name bootstrap -type f | wc -l)
  echo "sam build: $builds build(s), $binaries bootstrap binary for $functions functions"
  if [ "$builds" != 1 ] || [ "$binaries" != 1 ]; then
    echo "gameday: sam build ran $builds builds into $binaries binaries; every function must share the one bootstrap (same CodeUri and Metadata)" >&2
    return 1
  fi
  python3 - "$(sam_bootstrap)" <<'PY'
import io, os, sys, zipfile
path = sys.argv[1]
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.write(path, "bootstrap")
mib = lambda n: f"{n / 1048576:.1f} MiB"
print(f"bootstrap: {mib(os.path.getsize(path))} unzipped, {mib(len(buffer.getvalue()))} zipped ({path})")
PY
}

# The one bootstrap `sam_build` made; SAM keeps a shared build in a folder of its own
# (`<FirstFunction>-Shared`) that every function's CodeUri points at.
sam_bootstrap() {
  find "$CARGO_TARGET_DIR/sam-build" -name bootstrap -type f 2>/dev/null | head -n 1 || true
}
