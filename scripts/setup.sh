#!/usr/bin/env bash
# Set up zonocomb on a fresh Debian machine: system libraries, a virtual environment .venv,
# and the package in editable mode with its dev and distributed (Dask cluster + dashboard)
# extras. Idempotent: re-running skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in libcdd-dev libgmp-dev dataset-fashion-mnist; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# pycddlib builds against cddlib's headers, which Debian puts in /usr/include/cdd.
export CFLAGS="${CFLAGS:-} -I/usr/include/cdd"
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
.venv/bin/python -m pip install -q -e '.[dev,distributed]'
