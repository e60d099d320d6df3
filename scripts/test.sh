#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs the whole test suite with Node's test
# runner, in two stages that run at the same time:
#   main         unit and integration tests (real containers with runc): every
#                build/test/**/*.test.js but test/e2e-systemd/, two files at a time
#   e2e-systemd  test/e2e-systemd/: boots a Debian system with systemd as PID 1
#                in a tspod container and checks the units, socket activation,
#                the quadlet generator and template units inside it (the
#                debootstrap tree is cached in /var/cache/tspod-test)
#   conformance  Podman v4.3.1's own system and API tests (../shared/conformance)
#                against this build: fails when a test in the expected-pass lists
#                (test/conformance/*-expected.tsv) no longer passes
# Each stage's output is shown in full, then its duration; the exit code is
# non-zero when a stage failed. TSPOD_TEST_STAGES="main" (or "e2e-systemd")
# runs one stage only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf build
npx tsc -p .

stages="${TSPOD_TEST_STAGES:-main e2e-systemd conformance}"
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# Runs one stage, its output into $logdir/NAME.log, its status and seconds into NAME.rc / NAME.secs.
stage() {
  local name=$1; shift
  local start=$SECONDS rc=0
  "$@" >"$logdir/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$logdir/$name.rc"
  echo $((SECONDS - start)) >"$logdir/$name.secs"
}

pids=()
for s in $stages; do
  case "$s" in
    main)
      mapfile -t files < <(find build/test -name '*.test.js' -not -path 'build/test/e2e-systemd/*' | sort)
      stage main node --test --test-concurrency=2 "${files[@]}" &
      ;;
    e2e-systemd)
      stage e2e-systemd node --test build/test/e2e-systemd/ &
      ;;
    conformance)
      stage conformance bash scripts/conformance.sh system api &
      ;;
    *) echo "test.sh: unknown stage: $s" >&2; exit 2 ;;
  esac
  pids+=($!)
done
echo "test.sh: running stages: $stages"
wait "${pids[@]}"

status=0
for s in $stages; do
  echo "==================== stage $s ===================="
  cat "$logdir/$s.log"
done
echo "==================== summary ===================="
for s in $stages; do
  rc=$(cat "$logdir/$s.rc")
  [ "$rc" = 0 ] || status=1
  printf 'stage %-12s %s in %ss\n' "$s" "$([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)")" "$(cat "$logdir/$s.secs")"
done
exit $status
