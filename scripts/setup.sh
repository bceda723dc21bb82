#!/usr/bin/env bash
# Idempotent setup of what the project needs beyond npm packages. Safe to run on every test and start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
