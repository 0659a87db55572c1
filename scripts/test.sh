#!/usr/bin/env bash
# The test command (README): sets up everything it needs, then runs
# unit tests, ansible-test sanity, ansible-lint, the lab integration tests and
# the tests that run external tools (a browser, ansible-builder, ansible-rulebook).
# Stages can be picked: scripts/test.sh units sanity lint integration external
# HYPOTHESIS_PROFILE=deep (make test-deep) runs the property tests at their full counts.
#
# sanity and lint run on one core each, and the lab integration tests leave a core idle while routers answer
# and pairs re-key: when they are asked for with other stages, they run beside them (TEST_OVERLAP=0 runs every
# stage in turn). Their output is printed in full when they end, each stage's time is its own.
. "$(dirname "$0")/env.sh"
setup_start=$SECONDS
bash "$ROOT/scripts/system-deps.sh"
setup_seconds=$((SECONDS - setup_start))
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(units sanity lint integration external)
cd "$ROOT" || exit 1
# ansible-test's own virtualenvs (one per sanity tool, kept with the project's): built here, before the stages,
# so that the sanity stage's time is the tests' (a no-op of a few seconds once they exist).
prime_seconds=""
case " ${stages[*]} " in
    *" sanity "*)
        prime_start=$SECONDS
        mkdir -p "$TMPROOT"
        if ! bash "$ROOT/scripts/sanity.sh" --prime-venvs > "$TMPROOT/sanity-venvs.log" 2>&1; then
            cat "$TMPROOT/sanity-venvs.log"
            echo "scripts/test.sh: could not build ansible-test's virtualenvs (above); the sanity stage will try again" >&2
        fi
        prime_seconds=$((SECONDS - prime_start)) ;;
esac
# Two workers: the suite is sized for a 2-core machine (TEST_WORKERS to change it).
workers="${TEST_WORKERS:-2}"
# pytest keeps the temporary folders (lab inventories, reports) of failed tests only, and of one run.
pytest_run() {
    python -m pytest -p no:cacheprovider -o tmp_path_retention_policy=failed -o tmp_path_retention_count=1 \
        -n "$workers" "$@"
}

run_stage() {
    local rc=0
    case "$1" in
        units)
            # The core is typed: mypy over plugins/module_utils (as the package Ansible imports).
            (cd "$COLLECTIONS" && python -m mypy --config-file "$ROOT/tests/mypy.ini" \
                -p ansible_collections.netops.ipsec_spi.plugins.module_utils) || rc=$?
            pytest_run -q -m "not external" tests/unit || rc=$? ;;
        sanity) bash "$ROOT/scripts/sanity.sh" || rc=$? ;;
        lint) ansible-lint --profile production --offline || rc=$? ;;
        # Each integration file has its own labs on free ports: files run in parallel, one file per worker,
        # longest first (tests/integration/conftest.py orders them; xdist would order them by test count).
        # (Not loadgroup: with pytest 9, pytest-xdist 3.8 cannot tag a test's group and spreads a file's tests.)
        integration) pytest_run -v --dist loadfile --no-loadscope-reorder -m "not external" --durations=15 \
            tests/integration || rc=$? ;;
        # Two runs: the integration tests import their own conftest by name, which a run over tests/unit shadows.
        external)
            pytest_run -v --dist loadfile -m external tests/unit || rc=$?
            pytest_run -v --dist loadfile -m external tests/integration || rc=$? ;;
        *) echo "unknown stage: $1" >&2; return 2 ;;
    esac
    return $rc
}

# One line per stage: name, seconds, result; written to a file so a stage run beside the others reports too.
results="$TMPROOT/test-stages"
rm -rf "$results" && mkdir -p "$results"
timed_stage() {
    local start=$SECONDS rc=0
    run_stage "$1" || rc=$?
    printf '%-12s %4ds  %s\n' "$1" $((SECONDS - start)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")" \
        > "$results/$1"
    return $rc
}

beside=()
external_beside=""
inline=()
for stage in "${stages[@]}"; do
    case "$stage" in
        units|sanity|lint|integration|external) ;;
        *) echo "unknown stage: $stage" >&2; exit 2 ;;
    esac
    if [ "${TEST_OVERLAP:-1}" != 0 ] && [ ${#stages[@]} -gt 1 ] && { [ "$stage" = sanity ] || [ "$stage" = lint ]; }; then
        beside+=("$stage")
    else
        inline+=("$stage")
    fi
done
[ ${#inline[@]} -eq 0 ] && { inline=("${beside[@]}"); beside=(); }
# external waits on a browser, a JVM and an event loop about half of its time: beside integration it fills
# that stage's idle moments instead of adding its own. Normal priority: its event loop has time-outs.
if [ "${TEST_OVERLAP:-1}" != 0 ] && [ ${#inline[@]} -gt 1 ] && [[ " ${inline[*]} " == *" external "* ]]; then
    external_beside=external
    kept=()
    for stage in "${inline[@]}"; do [ "$stage" = external ] || kept+=("$stage"); done
    inline=("${kept[@]}")
fi

pid=""
if [ ${#beside[@]} -gt 0 ]; then
    echo "==> ${beside[*]} (beside the other stages; output at the end: $results/*.log)"
    # At a lower priority: they fill the cores the others leave idle, and never slow the longest stage down.
    (renice -n 10 -p "$BASHPID" >/dev/null 2>&1 || true
     for stage in "${beside[@]}"; do timed_stage "$stage" > "$results/$stage.log" 2>&1 || true; done) &
    pid=$!
fi
external_pid=""
for stage in "${inline[@]}"; do
    if [ "$stage" = integration ] && [ -n "$external_beside" ]; then
        echo "==> external (beside integration; output at the end: $results/external.log)"
        timed_stage external > "$results/external.log" 2>&1 &
        external_pid=$!
    fi
    echo "==> $stage"
    # A failed stage fails the run; the stages after it still run, so one run shows every failure.
    timed_stage "$stage" || true
done
if [ -n "$external_beside" ] && [ -z "$external_pid" ]; then
    # No integration stage to sit beside: external runs after the others.
    echo "==> external"
    timed_stage external || true
elif [ -n "$external_pid" ]; then
    wait "$external_pid" || true
    echo "==> external (ran beside integration)"
    cat "$results/external.log"
fi
if [ -n "$pid" ]; then
    wait "$pid" || true
    for stage in "${beside[@]}"; do
        echo "==> $stage (ran beside the others)"
        cat "$results/$stage.log"
    done
fi

status=0
echo "==> stage times (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
for stage in "${stages[@]}"; do
    if [ -f "$results/$stage" ]; then
        cat "$results/$stage"
        grep -q ' ok$' "$results/$stage" || status=1
    else
        printf '%-12s %5s  %s\n' "$stage" "-" "FAILED (did not finish)"
        status=1
    fi
done
if [ ${#beside[@]} -gt 0 ] || [ -n "$external_pid" ]; then
    echo "(${beside[*]}${beside[*]:+ ran beside ${inline[*]}${external_pid:+; }}${external_pid:+external ran beside integration}: the total is less than the sum)"
fi
# Set up before the stages, not counted in them: the virtualenv (only when this run built it) and system packages.
if [ -n "${IPSEC_SPI_VENV_BUILD_SECONDS:-}" ]; then
    printf '%-12s %4ds  %s\n' "venv build" "$IPSEC_SPI_VENV_BUILD_SECONDS" "(before the stages: $VENV)"
fi
printf '%-12s %4ds  %s\n' "system deps" "$setup_seconds" "(before the stages: scripts/system-deps.sh)"
if [ -n "$prime_seconds" ]; then
    printf '%-12s %4ds  %s\n' "sanity venvs" "$prime_seconds" "(before the stages: ansible-test's, in $VENV/ansible-test)"
fi
printf '%-12s %4ds\n' "total" "$SECONDS"
exit $status
