#!/bin/sh
# Install the Debian 12 packages Vigil needs to build and test, if any are missing.
# Runs apt-get update at most once, and only when something must be installed.
#   sh scripts/deps.sh          build and test
#   sh scripts/deps.sh bench    also the broker baseline of the dispatch benchmark
#                               (mosquitto, libmosquitto; see bench/README.md)
set -eu

PKGS="make gcc clang pkg-config libevent-dev libssl-dev libsqlite3-dev
libjansson-dev libjwt-dev zlib1g-dev libcmocka-dev python3-pytest python3-pytest-xdist python3-requests
openssl procps chromium python3-websocket postgresql libpq-dev"

case "${1:-}" in
"") ;;
bench) PKGS="$PKGS mosquitto libmosquitto-dev" ;;
*)
	echo "usage: sh scripts/deps.sh [bench]" >&2
	exit 2
	;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q </dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing </dev/null
