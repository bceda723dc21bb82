#!/usr/bin/env bash
# Idempotent setup of what the project needs beyond npm packages. Safe to run on every test and start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
# A Debian package, installed once (as root; a warning otherwise): $1 the file that shows it is there, $2 the
# package, $3 what needs it.
need() {
  [ -e "$1" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
      "$2" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
      install -y -qq --no-install-recommends "$2" >/dev/null; }
  else
    echo "warning: $2 is missing ($3 need it); install it as root" >&2
  fi
}
# Printed kits and exports embed DejaVu Sans for Cyrillic text (the PDF standard fonts have none).
need /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf fonts-dejavu-core "PDF kits"
# The web stations' tests drive Debian's chromium through playwright-core: no browser is ever downloaded.
need /usr/bin/chromium chromium "the browser tests"
