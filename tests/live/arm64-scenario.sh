#!/bin/sh
# Guest scenario (busybox sh, arm64 under QEMU with the real arm-smmu-v3
# driver): smmutrace --live in full mode while the virtio disk behind the
# SMMU does DMA, then the two faults the rig can inject (software CMD_SYNC
# timeout, illegal command).  Run by tests/live/arm64.sh through
# scripts/qemu/boot.sh; results land in $SMMUTRACE_RESULTS.
R=${SMMUTRACE_RESULTS:-/results}
DISK=${SMMUTRACE_DISK:-/dev/vda}
SMMU=0x09050000
CR0=$((SMMU + 0x20))
CMDQ_BASE=$((SMMU + 0x90))
CMDQ_PROD=$((SMMU + 0x98))
CMDQ_CONS=$((SMMU + 0x9c))

dread() { # count [cpu-mask]
	if [ -n "${2:-}" ]; then
		taskset "$2" dd if="$DISK" of=/dev/null bs=4k count="$1" iflag=direct 2>/dev/null
	else
		dd if="$DISK" of=/dev/null bs=4k count="$1" iflag=direct 2>/dev/null
	fi
}

/bin/smmutrace check >"$R/check.txt" 2>&1
echo "rc=$?" >>"$R/check.txt"

# the tool on CPU1 with the load; the injecting shell stays on CPU0
taskset -p 1 $$ >/dev/null 2>&1
taskset 2 /bin/smmutrace --live --json --interval 5 -v ${SYNC_SLOT:+--sync-slot} \
	>"$R/live.ndjson" 2>"$R/live.err" &
PID=$!
i=0
while ! grep -q "tracing" "$R/live.err" 2>/dev/null; do
	sleep 0.5
	i=$((i + 1))
	[ $i -ge 120 ] && break
done
echo "ready after $i half-seconds"

dread 2048 2
sleep 1

# software timeout: CMDQEN off for 2 s while the disk (CPU1) unmaps
cr0=$(devmem $CR0 32)
( while :; do dread 64 2; done ) &
LOAD=$!
sleep 1
devmem $CR0 32 $((cr0 & ~0x8))
sleep 2
devmem $CR0 32 "$cr0"
sleep 2
kill $LOAD 2>/dev/null
wait $LOAD 2>/dev/null
dread 256 2

# illegal command: with the queue idle, advance PROD past the driver's
sync
sleep 1
base=$(devmem $CMDQ_BASE 64)
mask=$(( (1 << ((base & 0x1f) + 1)) - 1 ))
i=0
while :; do
	prod=$(devmem $CMDQ_PROD 32)
	cons=$(devmem $CMDQ_CONS 32)
	[ $((prod & mask)) -eq $((cons & mask)) ] && break
	i=$((i + 1))
	[ $i -ge 50 ] && break
	sleep 0.1
done
devmem $CMDQ_PROD 32 $(( (prod & ~mask) | ((prod + 1) & mask) ))
echo "illegal command injected at prod=$prod"
sleep 2
dread 256 2
sleep 6

kill -INT $PID
wait $PID
echo "rc=$?" >"$R/live.rc"
cat "$R/live.rc"
exit 0
