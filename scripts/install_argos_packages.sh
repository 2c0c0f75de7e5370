#!/usr/bin/env bash
# Install real Argos Translate packages for machine translation (translations/mt.py), with argospm.
#
#   scripts/install_argos_packages.sh               # ja↔en, and en↔zh/ko/vi/tl/ne/pt/es/id (ja→xx pivots via en)
#   scripts/install_argos_packages.sh ja_en en_ko   # only these pairs
#
# Packages go to ARGOS_PACKAGES_DIR (default var/argos/packages, as MachineTranslationSettings in settings.py reads it);
# Argos's index, downloads and config go under MT_ARGOS_HOME (default var/argos), not $HOME.
# Without internet it says so and exits 0: the assistant then answers with curated text only.
# A pair missing from the Argos index is reported and skipped; a failed download exits 1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARGOSPM="${ARGOSPM:-$ROOT/.venvs/services/bin/argospm}"
PYTHON="${PYTHON:-$ROOT/.venvs/services/bin/python}"
ARGOS_HOME="${MT_ARGOS_HOME:-$ROOT/var/argos}"
export ARGOS_PACKAGES_DIR="${ARGOS_PACKAGES_DIR:-$ARGOS_HOME/packages}"
# argostranslate creates its data/config/cache dirs on import: keep them with the packages
export XDG_DATA_HOME="$ARGOS_HOME/data" XDG_CONFIG_HOME="$ARGOS_HOME/config" XDG_CACHE_HOME="$ARGOS_HOME/cache"
INDEX_URL="${ARGOS_PACKAGE_INDEX:-https://raw.githubusercontent.com/argosopentech/argospm-index/main/}index.json"

if [[ $# -gt 0 ]]; then
  PAIRS=("$@")
else
  PAIRS=(ja_en en_ja)
  for lang in zh ko vi tl ne pt es id; do PAIRS+=("en_$lang" "${lang}_en"); done
fi

if [[ ! -x "$ARGOSPM" ]]; then
  echo "argospm not found at $ARGOSPM: create the services env first (see README)." >&2
  exit 1
fi

# Offline, argospm's index lookup retries until RecursionError: check the index is reachable first.
if ! "$PYTHON" - "$INDEX_URL" <<'EOF' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=15).read(1)
EOF
  echo "No internet access to the Argos package index ($INDEX_URL)."
  echo "Nothing installed. Machine translation stays off; curated translations still work."
  echo "Elsewhere: run this script where there is internet and copy $ARGOS_PACKAGES_DIR here."
  exit 0
fi

mkdir -p "$ARGOS_PACKAGES_DIR"
"$ARGOSPM" update
available="$("$ARGOSPM" search)"

missing=() failed=()
for pair in "${PAIRS[@]}"; do
  name="translate-$pair"
  if [[ -d "$ARGOS_PACKAGES_DIR" ]] && "$ARGOSPM" list | grep -qx "$name"; then
    echo "already installed: $name"
  elif ! grep -q "^$name:" <<<"$available"; then
    missing+=("$pair")
  elif "$ARGOSPM" install "$name"; then
    echo "installed: $name"
  else
    failed+=("$pair")
  fi
done

echo "Packages in $ARGOS_PACKAGES_DIR:"
"$ARGOSPM" list | sed 's/^/  /'
[[ ${#missing[@]} -eq 0 ]] || echo "Not in the Argos index (skipped): ${missing[*]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "Download or install failed: ${failed[*]}" >&2
  exit 1
fi
