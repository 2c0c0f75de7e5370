#!/usr/bin/env bash
# Every test, in the environment each part runs in. Called by `make test` after setup.
set -uo pipefail
cd "$(dirname "$0")/.."
export CHIBA_REQUIRE_BROWSER=1 PYTHONPATH="$PWD" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TOKENIZERS_PARALLELISM=false RASA_TELEMETRY_ENABLED=false

failed=()
run_group() {  # name, python, pytest args...
  local name=$1 py=$2; shift 2
  echo "==> tests: $name"
  "$py" -m pytest -q "$@"
  local rc=$?
  case $rc in
    0) ;;
    5) echo "!! $name: pytest collected no tests" >&2; failed+=("$name (no tests)") ;;
    *) failed+=("$name (exit $rc)") ;;
  esac
}

echo "==> lint: ruff"
.venvs/services/bin/ruff check . || failed+=("ruff")

bash scripts/ensure_chromium.sh || failed+=("chromium install")
bash scripts/ensure_speech.sh || failed+=("espeak-ng install")

run_group "bot (Rasa components, data validation, test stories)" .venvs/bot/bin/python tests/bot
run_group "services (knowledge base, actions, gateway, LINE, translations, end to end)" .venvs/services/bin/python \
  tests --ignore=tests/bot --ignore=tests/browser
# Playwright's sync API keeps an event loop running in the session: keep it apart from the asyncio tests.
run_group "browser (Debian's Chromium)" .venvs/services/bin/python tests/browser

if [ ${#failed[@]} -gt 0 ]; then
  printf '!! failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "==> all tests passed"
