#!/usr/bin/env bash
# System packages the test suite uses (shellcheck for sanity; chromium for the
# HTML report test; a Java 17 runtime for ansible-rulebook, the EDA tests; PostgreSQL
# for the store's tests, started by them as an unprivileged user: scripts/pg-dev.sh).
# Installed only when missing, only when we can (root + apt).
set -euo pipefail
want=()
command -v shellcheck >/dev/null 2>&1 || want+=(shellcheck)
if [ "${IPSEC_SPI_BROWSER_TESTS:-1}" = 1 ]; then
    command -v chromium >/dev/null 2>&1 || want+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || want+=(chromium-driver)
fi
# ansible-rulebook's rules engine (drools) needs Java 17 or later.
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ] 2>/dev/null; then
    want+=(openjdk-17-jre-headless)
fi
# Only the server binaries are used (initdb, pg_ctl); no cluster is created or started by the package's scripts.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want+=(postgresql)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> apt-get install ${want[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
else
    echo "WARNING: missing ${want[*]} (not root or no apt-get); the tests that need them will skip" >&2
fi
