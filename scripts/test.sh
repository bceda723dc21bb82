#!/usr/bin/env bash
# The whole test suite: setup, type-check, lint, then every vitest test.
# Ends with a plain "N passed, N failed" line that CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 1; }
npx tsc --noEmit -p tsconfig.json || { echo "0 passed, 1 failed"; echo "type-check failed"; exit 1; }
npx biome check . || { echo "0 passed, 1 failed"; echo "lint failed"; exit 1; }
mkdir -p .test-results
rm -f .test-results/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@"
rc=$?
node scripts/test-summary.js .test-results/vitest.json || rc=1
exit $rc
