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
# raw tracepoints do not need tracefs, but `check` reports what it sees there
if [[ ! -d /sys/kernel/tracing/events ]]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi
exec python3 "$HERE/test_live.py" "$BIN"
