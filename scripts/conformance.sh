#!/usr/bin/env bash
# Runs Podman v4.3.1's own system and API tests against this build of tspod with
# the conformance kit (../shared/conformance, or $TSPOD_CONFORMANCE_KIT) and
# compares the results with the expected-pass lists in test/conformance/: the
# exit status is non-zero when a test that passed before no longer passes.
#
#   scripts/conformance.sh [system] [api] [--update]
#
# --update rewrites the lists from this run (do it when tspod passes more, after
# checking the new passes are real). Results stay in $WORKDIR/results
# (default /var/tmp/tspod-conformance-ci).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
kit=${TSPOD_CONFORMANCE_KIT:-$repo/../shared/conformance}
if [ ! -f "$kit/run-system-tests.sh" ]; then
  echo "conformance: the kit is not at $kit (set TSPOD_CONFORMANCE_KIT)" >&2
  # CI always has it beside the clone; elsewhere say so and skip.
  [ "${CI:-}" = true ] && exit 2
  echo "conformance: SKIPPED (no kit)"
  exit 0
fi
kit=$(cd "$kit" && pwd)
suites=() update=()
for a in "$@"; do
  case "$a" in
    system|api) suites+=("$a") ;;
    --update) update=(--update) ;;
    *) echo "conformance: unknown argument: $a" >&2; exit 2 ;;
  esac
done
[ ${#suites[@]} -gt 0 ] || suites=(system api)
export WORKDIR=${WORKDIR:-/var/tmp/tspod-conformance-ci}
results=$WORKDIR/results
engine="$repo/dist/tspod"

status=0
for s in "${suites[@]}"; do
  start=$SECONDS
  case "$s" in
    system) bash "$kit/run-system-tests.sh" "$engine" >"$WORKDIR.system.log" 2>&1; rc=$? ;;
    api) bash "$kit/run-api-tests.sh" "$engine" >"$WORKDIR.api.log" 2>&1; rc=$? ;;
  esac
  # The runners exit 1 when tspod fails a test Podman passes (expected today) and 2 when they could not run.
  grep -E '^(== |tspod: )' "$WORKDIR.$s.log" | sed 's/^/  /'
  echo "conformance $s: runner exit $rc in $((SECONDS - start))s (log: $WORKDIR.$s.log)"
  if [ "$rc" -ge 2 ]; then
    tail -20 "$WORKDIR.$s.log"
    status=1
    continue
  fi
  node scripts/conformance-compare.mjs "$s" "$results/$s-tspod" "test/conformance/$s-expected.tsv" "${update[@]}" || status=1
done
exit $status
