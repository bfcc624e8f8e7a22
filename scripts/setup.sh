#!/usr/bin/env bash
# Set up a fresh machine: .venv with everything, Debian's JUnit for the Android core's tests, then the main job.
#   bash scripts/setup.sh                  install, then run `keras-albert quickstart` (offline default)
#   bash scripts/setup.sh --install-only   install only (what CI runs before the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test,data]"
if [ ! -f /usr/share/java/junit4.jar ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq junit4 >/dev/null
  else
    echo "note: the Android core's tests need a JDK 17 and JUnit 4 (Debian: apt-get install junit4)" >&2
  fi
fi
[ "${1:-}" = "--install-only" ] || .venv/bin/keras-albert quickstart --overwrite
