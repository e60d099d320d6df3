#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole test suite with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf build
npx tsc -p .
# Unit tests, then integration tests (real containers with runc), two files at a time.
node --test --test-concurrency=2 build/test/
