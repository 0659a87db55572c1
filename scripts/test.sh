#!/usr/bin/env bash
# The test command (README): sets up everything it needs, then runs
# unit tests, ansible-test sanity, ansible-lint and the lab integration tests.
# Stages can be picked: scripts/test.sh units sanity lint integration
. "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/system-deps.sh"
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(units sanity lint integration)
cd "$ROOT" || exit 1
for stage in "${stages[@]}"; do
    echo "==> $stage"
    case "$stage" in
        units)
            # The core is typed: mypy over plugins/module_utils (as the package Ansible imports).
            (cd "$COLLECTIONS" && python -m mypy --config-file "$ROOT/tests/mypy.ini" \
                -p ansible_collections.netops.ipsec_spi.plugins.module_utils)
            python -m pytest -q -p no:cacheprovider -n 2 tests/unit ;;
        sanity) bash "$ROOT/scripts/sanity.sh" ;;
        lint) ansible-lint --profile production --offline ;;
        integration) python -m pytest -q -p no:cacheprovider tests/integration ;;
        *) echo "unknown stage: $stage" >&2; exit 2 ;;
    esac
done
