#!/usr/bin/env bash
# Installs recchat into ./.venv on a fresh machine.
#   scripts/install.sh app   -> runtime only
#   scripts/install.sh dev   -> runtime + training + tests (+ Debian's chromium for the browser test)
# llama-cpp-python compiles for ~20 min, so it is built once with a trimmed CMAKE_ARGS and the
# wheel is kept in $RECCHAT_WHEEL_CACHE (default ~/.cache/recchat/wheels); reruns reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${1:-app}"
PY="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
LLAMA_VERSION="0.3.36"
CACHE="${RECCHAT_WHEEL_CACHE:-$HOME/.cache/recchat/wheels}"
STAMP="$VENV/.recchat-$TARGET-$(cat pyproject.toml scripts/install.sh | sha1sum | cut -c1-12)"

if [ -f "$STAMP" ]; then exit 0; fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP="$VENV/bin/python -m pip -q --disable-pip-version-check"
$PIP install --upgrade pip >/dev/null 2>&1 || true
# pin torch first so no resolver swaps in a multi-GB CUDA build
$PIP install "torch==2.13.0"

mkdir -p "$CACHE"
if ! ls "$CACHE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "[install] building llama-cpp-python $LLAMA_VERSION once (about 20 min); cached in $CACHE"
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
  CMAKE_ARGS="-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF \
-DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON \
-DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_OPENMP=ON" \
    $PIP wheel --no-deps --no-binary llama-cpp-python -w "$CACHE" "llama-cpp-python==$LLAMA_VERSION"
fi
$PIP install --no-deps "$CACHE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
$PIP install diskcache jinja2 typing-extensions  # llama-cpp-python's own runtime needs

if [ "$TARGET" = "dev" ]; then
  $PIP install -e ".[dev]"
  if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi nanum; then
    echo "[install] installing Debian's chromium and fonts-nanum (Hangul in screenshots) for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null) \
      || echo "[install] could not install chromium; the browser test will be skipped"
  fi
else
  $PIP install -e "."
fi
touch "$STAMP"
