#!/bin/sh
# A throwaway PostgreSQL server for the tests (scripts/run-unit.sh, tests/pg.py).
#   sh scripts/pg-test-server.sh start DIR PORT   initdb in DIR (an empty directory the
#                                                 caller made), start on 127.0.0.1:PORT,
#                                                 create database "vigil"; prints its URI
#   sh scripts/pg-test-server.sh stop DIR         stop the server and remove DIR
#   sh scripts/pg-test-server.sh pause DIR        stop the server (fast: its sessions are
#                                                 ended), keep DIR
#   sh scripts/pg-test-server.sh resume DIR PORT  start the paused server again
# Run as root, the server runs as "nobody" (initdb refuses root); DIR is given to it.
# Every wait is bounded (pg_ctl -w -t).  Trust authentication on loopback: tests only.
set -eu

BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}

usage() {
	echo "usage: sh scripts/pg-test-server.sh start DIR PORT | stop DIR | pause DIR |" \
	    "resume DIR PORT" >&2
	exit 2
}

as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

# server_start PORT: pg_ctl start on the initdb'ed $dir (the caller is in $dir)
server_start() {
	# fsync off: a test database need not survive a crash of the machine (benchmarks
	# set PG_FSYNC=on: a server as it would run)
	if ! as_server "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	    -o "-c listen_addresses=127.0.0.1 -p $1 -k $dir -c fsync=${PG_FSYNC:-off} -c max_connections=100" \
	    start >/dev/null; then
		cat "$dir/server.log" >&2 || true
		exit 1
	fi
}

[ -n "$dir" ] || usage
case "$cmd" in
start)
	port=${3:-}
	[ -n "$port" ] || usage
	if [ ! -x "$BIN/initdb" ]; then
		echo "pg-test-server: $BIN/initdb missing (sh scripts/deps.sh installs postgresql)" >&2
		exit 1
	fi
	[ -d "$dir" ] || mkdir -m 700 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$dir"
	fi
	dir=$(cd "$dir" && pwd)
	cd "$dir"     # the server's user may not be able to enter the caller's directory
	if ! as_server "$BIN/initdb" -D "$dir/data" -U vigil -A trust -E UTF8 --locale=C.UTF-8 \
	    >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		exit 1
	fi
	server_start "$port"
	as_server "$BIN/createdb" -h 127.0.0.1 -p "$port" -U vigil vigil
	echo "postgresql://vigil@127.0.0.1:$port/vigil"
	;;
pause)
	cd /
	as_server "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	;;
resume)
	port=${3:-}
	[ -n "$port" ] || usage
	dir=$(cd "$dir" && pwd)
	cd "$dir"
	server_start "$port"
	;;
stop)
	cd /
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_server "$BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null || true
	fi
	rm -rf "$dir"
	;;
*)
	usage
	;;
esac
