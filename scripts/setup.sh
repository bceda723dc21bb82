#!/usr/bin/env bash
# Idempotent setup of what the project needs beyond npm packages. Safe to run on every test and start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
# Printed kits and exports embed DejaVu Sans for Cyrillic text (the PDF standard fonts have none).
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
      fonts-dejavu-core >/dev/null || { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core >/dev/null; }
  else
    echo "warning: fonts-dejavu-core is missing (PDF kits need it); install it as root" >&2
  fi
fi
