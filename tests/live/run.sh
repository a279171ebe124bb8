#!/bin/bash
# Live tests on this machine, as root: `smmutrace check`, and
# `smmutrace --live` on the printk:console tracepoint fed with real driver
# lines written to /dev/kmsg.  Usage: tests/live/run.sh path/to/smmutrace
set -euo pipefail

BIN=$(realpath "${1:?usage: run.sh SMMUTRACE}")
HERE=$(cd "$(dirname "$0")" && pwd)

if [[ $EUID -ne 0 ]]; then
	echo "tests/live: needs root (BPF, /dev/kmsg writes)" >&2
	exit 1
fi
# Raw tracepoints do not need tracefs, and `check` must work without it
# (a fresh machine has it unmounted): run once as found, then again with
# tracefs mounted in a private mount namespace, leaving the host's mounts alone.
if [[ -z "${SMMUTRACE_LIVE_NS:-}" && ! -d /sys/kernel/tracing/events ]]; then
	echo "  tracefs not mounted: check without it, then the tests in a private mount namespace"
	python3 "$HERE/test_live.py" --check-only "$BIN"
	SMMUTRACE_LIVE_NS=1 exec unshare -m --propagation unchanged "$0" "$@"
fi
if [[ -n "${SMMUTRACE_LIVE_NS:-}" ]]; then
	# in a chroot "/" is no mount point: then the mount tracefs lands on
	mount --make-rprivate / 2>/dev/null || mount --make-rprivate /sys
	mount -t tracefs nodev /sys/kernel/tracing
fi
rc=0
python3 "$HERE/test_live.py" "$BIN" || rc=1
# privilege drop, output files as another user, /dev/kmsg forgery
python3 "$HERE/test_rootsafe.py" "$BIN" || rc=1
exit $rc
