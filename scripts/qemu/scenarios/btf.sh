#!/bin/sh
# Guest scenario: copy the kernel's BTF out (used by scripts/gen-vmlinux.sh).
set -e
cp /sys/kernel/btf/vmlinux "$SMMUTRACE_RESULTS/vmlinux.btf"
echo "copied /sys/kernel/btf/vmlinux ($(wc -c <"$SMMUTRACE_RESULTS/vmlinux.btf") bytes) from $(uname -r)"
