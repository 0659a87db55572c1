#!/usr/bin/env bash
# The README's demo: bring up the simulated fleet, audit it (dry run),
# remediate, audit again, write the reports, stop the lab, say where they are.
. "$(dirname "$0")/env.sh"
cd "$ROOT" || exit 1
OUT="${IPSEC_SPI_DEMO_DIR:-$ROOT/ipsec_spi_reports/demo}"
LABDIR="$TMPROOT/demo-lab"
LOGS="$TMPROOT/demo-logs"
mkdir -p "$OUT" "$LOGS"
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_DISPLAY_SKIPPED_HOSTS=False ANSIBLE_DEPRECATION_WARNINGS=False
export ANSIBLE_PERSISTENT_COMMAND_TIMEOUT=60 IPSEC_SPI_STORE="$LOGS/store.sqlite3"
rm -f "$IPSEC_SPI_STORE" "$IPSEC_SPI_STORE-wal" "$IPSEC_SPI_STORE-shm"

stage() { printf '\n\033[1m==> [%s/5] %s\033[0m\n' "$1" "$2"; }
run() {  # run a playbook, keep its full log, show its plays as they start, then the verdict lines, whole
    local log="$LOGS/$1.log" rc; shift
    set +e
    ansible-playbook -i "$LABDIR/inventory.yml" -f 20 "$@" 2>&1 | tee "$log" \
        | grep --line-buffered -E '^PLAY \[' | sed -u -e 's/^PLAY \[\(.*\)\] \**$/   ... \1/'
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ]; then
        tail -40 "$log"; echo "FAILED (exit $rc): see $log" >&2; exit 1
    fi
    grep -E '"msg": "(DRY RUN|APPLIED|[A-Za-z0-9_-]+: (COMPLIANT|NOT COMPLIANT|WOULD RUN|RUN|SKIP))' "$log" \
        | sed -e 's/^ *"msg": "//' -e 's/"$//' || true
    echo "   (full log: $log)"
}

stage 1 "Starting the simulated IOS XE fleet (lab/scenarios/default.yml)"
python lab/labctl.py --dir "$LABDIR" down >/dev/null 2>&1 || true
python lab/labctl.py --dir "$LABDIR" up
trap 'python lab/labctl.py --dir "$LABDIR" down >/dev/null 2>&1 || true' EXIT

stage 2 "Auditing the fleet (dry run: nothing is sent to the routers)"
run 2-audit netops.ipsec_spi.audit -e "ipsec_spi_report_dir=$OUT/1-audit"

stage 3 "Remediation dry run (--check): what would be done"
run 3-remediate-check netops.ipsec_spi.remediate --check -e "ipsec_spi_report_dir=$OUT/2-remediate-dry-run"

stage 4 "Remediating: knob where it helps, per-peer clears where it does not, then a fresh audit"
run 4-remediate netops.ipsec_spi.remediate -e "ipsec_spi_report_dir=$OUT/3-remediated" -e ipsec_spi_verify_delay=3

stage 5 "Stopping the lab"
python lab/labctl.py --dir "$LABDIR" down
trap - EXIT

printf '\nReports:\n'
for d in 1-audit 2-remediate-dry-run 3-remediated; do
    printf '  %-22s %s\n' "$d" "$OUT/$d/report.html"
done
printf '\nOpen %s in a browser.\n' "$OUT/3-remediated/report.html"
