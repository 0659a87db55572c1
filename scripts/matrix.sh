#!/usr/bin/env bash
# The support matrix (docs/support.md): for each ansible-core line that
# meta/runtime.yml admits, its own virtualenv under .tmp/matrix/<line>/ with
# that ansible-core and the community `ansible` package of the same line (for
# the cisco.ios, ansible.netcommon, ansible.utils and ansible.posix it bundles:
# Galaxy is not needed), then the unit tests and an end-to-end lab run (audit,
# remediate --check, remediate, a second remediate that changes nothing, the
# store's claim/record cycle). Prints a pass/fail table with the seconds
# each step took; logs are in .tmp/matrix/<line>/.
#
#   scripts/matrix.sh                 every line below
#   scripts/matrix.sh 2.16 2.19       some of them
#   MATRIX_STEPS="e2e" scripts/matrix.sh 2.16    only some steps (setup units e2e)
set -uo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="${IPSEC_SPI_TMP:-$REPO/.tmp}"
cd "$REPO" || exit 1

# line -> the pins of that line: the newest ansible-core release and the
# newest `ansible` release built on it (both on PyPI, Python 3.11).
pins() {
    case "$1" in
        2.16) echo "ansible-core==2.16.19 ansible==9.13.0" ;;
        2.17) echo "ansible-core==2.17.14 ansible==10.7.0" ;;
        2.18) echo "ansible-core==2.18.19 ansible==11.13.0" ;;
        2.19) echo "ansible-core==2.19.14 ansible==12.3.0" ;;
        *) return 1 ;;
    esac
}
LINES=(2.16 2.17 2.18 2.19)

# The tests' own tools, pinned as in requirements-test.txt, without the
# tools that bring their own ansible-core (lint, molecule, EDA; their tests
# skip) and mypy (the core's typing does not depend on Ansible).
test_requirements() {
    grep -vE '^(ansible|ansible-core|ansible-lint|molecule|ansible-rulebook|mypy)==' \
        "$REPO/requirements-test.txt"
    cat "$REPO/requirements.txt"
}

# Unit tests of the pinned development tool chain rather than of the collection
# on a core: docs/reference.md is rendered by the pinned core's ansible-doc,
# ansible-lint is not in these virtualenvs, and the fact-cache fast path's
# cases are written in the cache layout ansible-core 2.19 introduced (older
# cores take the plugin's own reader, which the e2e run and slicing use).
unit_deselect() {
    printf '%s\n' --deselect tests/unit/test_reference.py::test_reference_is_up_to_date
    printf '%s\n' --deselect tests/unit/test_awx_templates.py::test_ansible_lint_production_profile
    [ "$1" = 2.19 ] || printf '%s\n' --deselect tests/unit/test_fleet_assess_cache.py::test_fleet_assess_cache_cases
}

# The end-to-end run: the lab's default scenario through the playbooks.
E2E=(
    "tests/integration/test_check.py::test_assessment_matches_ground_truth"
    "tests/integration/test_check.py::test_compliance_and_findings"
    "tests/integration/test_check.py::test_audit_sent_nothing_but_reads"
    "tests/integration/test_remediate.py::test_check_mode_changes_nothing"
    "tests/integration/test_remediate.py::test_remediation_fixes_every_desync_and_nothing_else"
    "tests/integration/test_remediate.py::test_second_run_changes_nothing"
    "tests/integration/test_store_playbooks.py::test_claim_record_cycle_through_ansible_with_diff"
)

one() {  # one line, in this (sub)shell: prints "step result seconds" lines on fd 3
    local line="$1" dir="$SCRATCH/matrix/$1" step t0 rc skip
    mkdir -p "$dir"
    { pins "$line" | tr ' ' '\n'; test_requirements; } > "$dir/requirements.txt"
    export IPSEC_SPI_VENV="$dir/venv" IPSEC_SPI_REQUIREMENTS="$dir/requirements.txt"
    for step in ${MATRIX_STEPS:-setup units e2e}; do
        t0=$SECONDS
        case "$step" in
            setup)
                # shellcheck source=scripts/env.sh
                (. "$REPO/scripts/env.sh" &&
                    python -c 'import ansible.release as r, sys; sys.exit(not r.__version__.startswith(sys.argv[1] + "."))' "$line" &&
                    ansible --version && ansible-galaxy collection list) > "$dir/setup.log" 2>&1 ;;
            units)
                mapfile -t skip < <(unit_deselect "$line")
                (. "$REPO/scripts/env.sh" &&
                    python -m pytest -q -p no:cacheprovider -n 2 "${skip[@]}" tests/unit) \
                    > "$dir/units.log" 2>&1 ;;
            e2e)
                (. "$REPO/scripts/env.sh" &&
                    python -m pytest -v -p no:cacheprovider "${E2E[@]}") > "$dir/e2e.log" 2>&1 ;;
            *) echo "unknown step: $step" >&2; return 2 ;;
        esac
        rc=$?
        echo "$step $([ $rc -eq 0 ] && echo pass || echo FAIL) $((SECONDS - t0))" >&3
        [ $rc -eq 0 ] || [ "$step" != setup ] || return 1  # no virtualenv, nothing else to run
    done
}

[ $# -gt 0 ] && LINES=("$@")
for line in "${LINES[@]}"; do
    pins "$line" >/dev/null || { echo "unknown ansible-core line: $line (known: 2.16 2.17 2.18 2.19)" >&2; exit 2; }
done
bash "$REPO/scripts/system-deps.sh"

results="$SCRATCH/matrix/results.$$"
mkdir -p "$SCRATCH/matrix"
: > "$results"
status=0
for line in "${LINES[@]}"; do
    echo "==> ansible-core $line ($(pins "$line"))"
    out="$(one "$line" 3>&1 1>/dev/null)"
    printf '    %s\n' "${out//$'\n'/$'\n'    }"
    grep -q FAIL <<< "$out" && status=1
    printf '%s %s\n' "$line" "$(tr '\n' ' ' <<< "$out")" >> "$results"
done

printf '\n%-6s %-36s %-14s %-14s %-14s %s\n' core pins setup units e2e total
while read -r line rest; do
    declare -A res=() secs=()
    total=0
    read -ra fields <<< "$rest"
    set -- "${fields[@]}"
    while [ $# -ge 3 ]; do res[$1]=$2; secs[$1]=$3; total=$((total + $3)); shift 3; done
    cell() { [ -n "${res[$1]:-}" ] && printf '%s %ss' "${res[$1]}" "${secs[$1]}" || printf -- '-'; }
    printf '%-6s %-36s %-14s %-14s %-14s %ss\n' "$line" "$(pins "$line")" "$(cell setup)" "$(cell units)" "$(cell e2e)" "$total"
    unset res secs
done < "$results"
echo "(logs: $SCRATCH/matrix/<core>/{setup,units,e2e}.log; $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
rm -f "$results"
exit $status
