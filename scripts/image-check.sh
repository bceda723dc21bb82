#!/usr/bin/env bash
# The production image's files, assembled from the Dockerfile's COPY lines, start and serve the demo
# (see scripts/image-check.ts). Run by `npm test`; no container engine needed.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/image-check.ts
