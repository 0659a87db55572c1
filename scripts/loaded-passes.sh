#!/usr/bin/env bash
# make test under load (issue 23): N passes in a row, each on a fresh clone of a commit, while stress-ng keeps
# every core busy. Prints each pass's stage times; exits 1 if any pass failed.
#   bash scripts/loaded-passes.sh [COMMIT] [PASSES] [WORK_DIR]
# The passes use this repository's virtualenv (IPSEC_SPI_VENV): build it first (`make units`, say).
# stress-ng: Debian package stress-ng.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
commit="${1:-HEAD}"
passes="${2:-3}"
work="${3:-$root/.tmp/loaded}"
command -v stress-ng >/dev/null || { echo "loaded-passes.sh: stress-ng is not installed" >&2; exit 2; }
commit="$(git -C "$root" rev-parse --short "$commit")"
mkdir -p "$work"
stress-ng --cpu "$(nproc)" --cpu-method matrixprod --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null || true' EXIT
failed=0
for i in $(seq 1 "$passes"); do
    rm -rf "$work/clone"
    git clone -q "$root" "$work/clone"
    git -C "$work/clone" checkout -q "$commit"
    echo "pass $i ($commit) start $(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg)"
    rc=0
    (cd "$work/clone" && IPSEC_SPI_VENV="${IPSEC_SPI_VENV:-$root/.venv}" bash .ci/run > "$work/pass$i.log" 2>&1) || rc=$?
    echo "pass $i end $(date -u +%H:%M:%S), rc=$rc, log $work/pass$i.log"
    grep -A12 "==> stage times" "$work/pass$i.log" || true
    [ "$rc" -eq 0 ] || failed=1
done
exit $failed
