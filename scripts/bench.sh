#!/usr/bin/env bash
# Benchmarks (never part of the test run): each compares us with a peer on the
# same input in the same run and prints the ratios. Figures go to docs/benchmarks.md.
. "$(dirname "$0")/env.sh"
if [ -f "$ROOT/requirements-bench.txt" ]; then
    python -m pip install -q -r "$ROOT/requirements-bench.txt"
fi
cd "$ROOT" || exit 1
status=0
for bench in "${@:-syslog archive tables config fleet audit eda eda_flood scale remediate store guards history}"; do
    for b in $bench; do
        echo "==> benchmarks/bench_$b.py"
        python "benchmarks/bench_$b.py" || status=1
    done
done
exit $status
