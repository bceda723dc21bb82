#!/usr/bin/env bash
# The whole test suite: setup, type-check, lint, then every vitest test.
# Ends with a plain "N passed, N failed" line that CI reads.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; exit 1; }
npx tsc --noEmit -p tsconfig.json || { echo "0 passed, 1 failed"; echo "type-check failed"; exit 1; }
npx tsc --noEmit -p web/tsconfig.json || { echo "0 passed, 1 failed"; echo "type-check of web/ failed"; exit 1; }
npx biome check . || { echo "0 passed, 1 failed"; echo "lint failed"; exit 1; }
# The production image's files (as the Dockerfile's COPY lines assemble them) start and serve the demo.
bash scripts/image-check.sh || { echo "0 passed, 1 failed"; echo "image check failed (see above)"; exit 1; }
# Private PostgreSQL, Redis and S3 (Ceph RGW) for the tests, stopped on any exit, also when tests fail.
services=$(mktemp -d /tmp/rcoi-services.XXXXXX)
trap 'bash scripts/services.sh stop "$services" >/dev/null; rm -rf "$services"' EXIT
bash scripts/services.sh start "$services" || { echo "0 passed, 1 failed"; echo "services failed to start"; exit 1; }
set -a
. "$services/env"
set +a
mkdir -p .test-results
rm -f .test-results/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json "$@"
rc=$?
node scripts/test-summary.js .test-results/vitest.json || rc=1
exit $rc
