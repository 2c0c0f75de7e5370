#!/usr/bin/env bash
# Server-side speech output for the interpreter desk speaks zh ko vi ne pt es id en with Debian's espeak-ng
# (Japanese comes from pyopenjtalk-plus in the services environment). Install it when missing; check its voices.
set -euo pipefail
VOICES="cmn-latn-pinyin ko vi ne pt-br es-419 id en-us"  # channels/speech/synthesizer.py ESPEAK_VOICES
if ! command -v espeak-ng >/dev/null 2>&1; then
  echo "==> installing Debian's espeak-ng for server-side speech output (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng >/dev/null
fi
have=$(espeak-ng --voices | awk 'NR > 1 {print tolower($2)}')
missing=()
for voice in $VOICES; do
  grep -qx "$voice" <<<"$have" || missing+=("$voice")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "!! espeak-ng lacks the voices: ${missing[*]} (reinstall espeak-ng-data)" >&2
  exit 1
fi
espeak-ng --version | head -n 1
