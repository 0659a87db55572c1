#!/usr/bin/env bash
# The test command (README): sets up everything it needs, then runs
# unit tests, ansible-test sanity, ansible-lint, the lab integration tests and
# the tests that run external tools (a browser, ansible-builder, ansible-rulebook).
# Stages can be picked: scripts/test.sh units sanity lint integration external
# HYPOTHESIS_PROFILE=deep (make test-deep) runs the property tests at their full counts.
. "$(dirname "$0")/env.sh"
setup_start=$SECONDS
bash "$ROOT/scripts/system-deps.sh"
setup_seconds=$((SECONDS - setup_start))
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(units sanity lint integration external)
cd "$ROOT" || exit 1
# Two workers: the suite is sized for a 2-core machine (TEST_WORKERS to change it).
workers="${TEST_WORKERS:-2}"
# pytest keeps the temporary folders (lab inventories, reports) of failed tests only, and of one run.
pytest_run() {
    python -m pytest -p no:cacheprovider -o tmp_path_retention_policy=failed -o tmp_path_retention_count=1 \
        -n "$workers" "$@"
}
times=()
status=0
for stage in "${stages[@]}"; do
    echo "==> $stage"
    start=$SECONDS
    rc=0
    case "$stage" in
        units)
            # The core is typed: mypy over plugins/module_utils (as the package Ansible imports).
            (cd "$COLLECTIONS" && python -m mypy --config-file "$ROOT/tests/mypy.ini" \
                -p ansible_collections.netops.ipsec_spi.plugins.module_utils) || rc=$?
            pytest_run -q -m "not external" tests/unit || rc=$? ;;
        sanity) bash "$ROOT/scripts/sanity.sh" || rc=$? ;;
        lint) ansible-lint --profile production --offline || rc=$? ;;
        # Each integration file has its own labs on free ports: files run in parallel, one file per worker.
        # (Not loadgroup: with pytest 9, pytest-xdist 3.8 cannot tag a test's group and spreads a file's tests.)
        integration) pytest_run -v --dist loadfile -m "not external" --durations=15 tests/integration || rc=$? ;;
        # Two runs: the integration tests import their own conftest by name, which a run over tests/unit shadows.
        external)
            pytest_run -v --dist loadfile -m external tests/unit || rc=$?
            pytest_run -v --dist loadfile -m external tests/integration || rc=$? ;;
        *) echo "unknown stage: $stage" >&2; exit 2 ;;
    esac
    times+=("$(printf '%-12s %4ds  %s' "$stage" $((SECONDS - start)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
    # A failed stage fails the run; the stages after it still run, so one run shows every failure.
    [ $rc -eq 0 ] || status=1
done
echo "==> stage times (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${times[@]}"
# Set up before the stages, not counted in them: the virtualenv (only when this run built it) and system packages.
if [ -n "${IPSEC_SPI_VENV_BUILD_SECONDS:-}" ]; then
    printf '%-12s %4ds  %s\n' "venv build" "$IPSEC_SPI_VENV_BUILD_SECONDS" "(before the stages: $VENV)"
fi
printf '%-12s %4ds  %s\n' "system deps" "$setup_seconds" "(before the stages: scripts/system-deps.sh)"
printf '%-12s %4ds\n' "total" "$SECONDS"
exit $status
