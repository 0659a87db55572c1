#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store (the tests start theirs with this script too):
#   bash scripts/pg-dev.sh start [DIR]   initdb into DIR (default: a new /tmp/ipsec-spi-pg.* folder), listen on
#                                        127.0.0.1 on a free port only, print the postgresql:// URL (also in DIR/url)
#   bash scripts/pg-dev.sh stop DIR      stop it (remove DIR yourself when done)
# Then: ansible-playbook ... -e ipsec_spi_store="$(cat DIR/url)"   (or export IPSEC_SPI_STORE).
# Needs Debian's postgresql package (scripts/system-deps.sh installs it). As root, the server runs as the
# unprivileged postgres user (initdb and pg_ctl refuse root).
set -euo pipefail
cmd=${1:-start}
dir=${2:-}
bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg-dev: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
    exit 1
fi
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
    if [ -z "$dir" ]; then dir=$(mktemp -d /tmp/ipsec-spi-pg.XXXXXX); fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" > "$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth-local=trust \
        --auth-host=scram-sha-256 -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=60" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    url="postgresql://postgres:$password@127.0.0.1:$port/postgres"
    printf '%s\n' "$url" > "$dir/url"
    chmod 600 "$dir/url" "$dir/pwfile" 2>/dev/null || true
    echo "$url"
    ;;
stop)
    [ -n "$dir" ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
*)
    echo "usage: $0 start [DIR] | stop DIR" >&2
    exit 2
    ;;
esac
