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

stage() { printf '\n\033[1m==> [%s/6] %s\033[0m\n' "$1" "$2"; }
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

# A recurring pair (docs/recurrence.md): the month scenario's hub <- spoke pair re-keys and desyncs again each
# night; each nightly remediation clears it (masks it) and records it in the history; the third night's report
# names it under "Recurring pairs" with its timeline, root-cause hints and the capture to arm. The lab clock is
# stopped and moved by a day between nights; the scenario starts a week ago (the window counts back from today).
stage 6 "Three nights of the same desync: a recurring pair (lab/scenarios/month.yml)"
MONTHDIR="$TMPROOT/demo-month-lab"
export IPSEC_SPI_STORE="$LOGS/month-store.sqlite3"
rm -f "$IPSEC_SPI_STORE" "$IPSEC_SPI_STORE-wal" "$IPSEC_SPI_STORE-shm"
python - "$LOGS/month-recent.yml" <<'PY'
import datetime, sys, yaml
with open("lab/scenarios/month.yml", encoding="utf-8") as handle:
    scenario = yaml.safe_load(handle)
today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
scenario["start"] = (today - datetime.timedelta(days=7, hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
with open(sys.argv[1], "w", encoding="utf-8") as handle:
    yaml.safe_dump(scenario, handle)
PY
lab() { python lab/labctl.py --dir "$MONTHDIR" "$@" >/dev/null; }
lab down 2>/dev/null || true
python lab/labctl.py --dir "$MONTHDIR" up --scenario "$LOGS/month-recent.yml" --speed 0
trap 'python lab/labctl.py --dir "$MONTHDIR" down >/dev/null 2>&1 || true' EXIT
LABDIR="$MONTHDIR"
lab advance 28800  # 02:00 the next day
for night in 1 2 3; do
    lab rekey spoke hub; lab advance 30; lab desync spoke hub; lab advance 1800
    echo "   night $night: spoke -> hub out of sync again; the nightly remediation runs"
    # The cool-down counts real seconds, and these nights are a minute apart: one second here.
    run "6-night-$night" netops.ipsec_spi.remediate -e "ipsec_spi_report_dir=$OUT/4-night-$night" \
        -e ipsec_spi_verify_delay=3 -e "ipsec_spi_run_id=night-$night" -e ipsec_spi_clear_cooldown=1
    lab advance 84570
done
python - "$OUT/4-night-3/report.json" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as handle:
    section = json.load(handle)["recurring"]
for pair in section["pairs"]:
    print("   RECURRING %s <- %s (%s): %d episodes, masked %d times" % (pair["receiver"], pair["sender"],
          pair["sender_addr"], pair["episodes"], pair["masked"]))
    for hint in pair["hints"]:
        print("     hint %s (%s): %s" % (hint["hint"], hint["end"], hint["message"]))
    print("     capture: %s" % pair["debug_plan"]["summary"])
PY
python lab/labctl.py --dir "$MONTHDIR" down
trap - EXIT

printf '\nReports:\n'
for d in 1-audit 2-remediate-dry-run 3-remediated 4-night-3; do
    printf '  %-22s %s\n' "$d" "$OUT/$d/report.html"
done
printf '\nOpen %s in a browser.\n' "$OUT/3-remediated/report.html"
