#!/bin/bash
# make bench-bpf: the issuer hot path's cost per call (ratios, one run), in
# both flavours: kprobe (helper reads) and fentry (direct loads), the latter
# also on fentry/fexit of the getppid syscall where the kernel allows it.
# Usage: bench/run-bpf.sh BENCH_ISSUE BTF_FIXTURE [CALLS [CYCLES]]
# Writes the table to stdout and to bench/out/bpf.txt.
set -euo pipefail

BIN=${1:?usage: run-bpf.sh BENCH_ISSUE BTF_FIXTURE [CALLS [CYCLES]]}
BTF=${2:?BTF fixture}
HERE=$(cd "$(dirname "$0")" && pwd)

if [[ $EUID -ne 0 ]]; then
	echo "bench-bpf: needs root" >&2
	exit 1
fi
command -v bpftrace >/dev/null || echo "bench-bpf: bpftrace missing; its row is omitted" >&2
mkdir -p "$HERE/out"
{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) $(uname -m), $(nproc) CPUs," \
		"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
	"$BIN" "$BTF" "${3:-1000000}" "${4:-3}"
} | tee "$HERE/out/bpf.txt"
