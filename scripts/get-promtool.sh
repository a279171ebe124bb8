#!/bin/bash
# Print the path of a promtool binary, fetching Debian's prometheus package
# into the cache and extracting only promtool from it (installing the
# package would start a Prometheus server).  Idempotent.
set -euo pipefail

CACHE=${SMMUTRACE_CACHE:-/var/cache/smmutrace}
DIR=$CACHE/promtool
if command -v promtool >/dev/null 2>&1; then
	command -v promtool
	exit 0
fi
if [[ -x $DIR/usr/bin/promtool ]]; then
	echo "$DIR/usr/bin/promtool"
	exit 0
fi
mkdir -p "$DIR"
cd "$DIR"
if ! ls prometheus_*.deb >/dev/null 2>&1; then
	# apt drops privileges for downloads; let it write here
	chown _apt "$DIR" 2>/dev/null || true
	apt-get download -q prometheus >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get download -q prometheus >/dev/null; } ||
		{ echo "get-promtool: cannot download Debian's prometheus package" >&2; exit 1; }
fi
dpkg-deb --fsys-tarfile prometheus_*.deb | tar -x ./usr/bin/promtool
echo "$DIR/usr/bin/promtool"
