#!/bin/sh
# Guest side of `make demo` (busybox sh): smmutrace --live, text output on
# the console, while DMA traffic runs and two command-queue faults are
# injected into the emulated SMMUv3.  Lines starting with "DEMO " narrate;
# the host (tests/e2e/demo.sh) shows them, the kernel's messages and
# smmutrace's output as they come.  smmutrace also records a capture, so the
# host can explain afterwards what happened (smmutrace replay --json).
. /lib/e2e/lib.sh

demo() { echo "DEMO $*"; }
demo_facts() { echo "$1" >>"$R/demo.facts"; }

demo "kernel $(uname -r), $(nproc) CPUs; disk $DISK sits behind the SMMU (iommu.strict=1)"
demo "starting: smmutrace --live --record /results/demo.cap"
if ! st_start demo - --live --record "$R/demo.cap"; then
    demo "smmutrace did not start"; exit 1
fi
sed -n 's/^smmutrace: mode: /mode: /p' "$R/demo.err" | while read -r l; do demo "smmutrace $l"; done

# the ATS disk A behind our fault-injecting SMMU (boot.sh --acpi --ats)
A_BDF=$(disk_bdf "$DISK"); A_SID=$(bdf_sid "$A_BDF")
demo "step 1/4: ATC invalidation timeout: device $A_BDF (StreamID $(hx "$A_SID")) stops answering"
demo "        ATS invalidations; every unmap sends it ATC_INV + CMD_SYNC (iommu.strict=1)"
taskset -p 1 $$ >/dev/null
GIRQ=$(gerror_irq); [ -n "$GIRQ" ] && gerror_cpu "$GIRQ" 1
atc_select "$A_SID"; fail0=$(atc_nr_fail)
atc_arm "$A_SID" 1 50000
demo "        armed: the SMMU fails the next CMD_SYNC after its ATC_INV, 50 ms later"
dread 64 2
if atc_wait_fail $((fail0 + 1)) 20; then
    demo "        the SMMU reported CERROR_ATC_INV_SYNC (ATC_INVs it saw for $A_BDF: $(atc_sid_inv "$A_SID"))"
    demo_facts "atc_bdf=$A_BDF"; demo_facts "atc_sid=$A_SID"
else
    demo "        the SMMU did not fail a CMD_SYNC: no ATC_INV reached it?"
fi
taskset -p 3 $$ >/dev/null
sleep 1

# On the ATS disk every unmap queues TLBI + CMD_SYNC and ATC_INV + CMD_SYNC
# (about 12 commands a read): the load stays under one lap of the 65536-slot
# ring, so step 4 still finds a slot the driver never wrote.
demo "step 2/4: DMA traffic, 1024 O_DIRECT reads: every unmap sends TLBI + CMD_SYNC, ATC_INV + CMD_SYNC"
t0=$(uptime_s); dread 1024 2; t1=$(uptime_s)
demo "        reads done in $(awk "BEGIN{print $t1 - $t0}") s"

demo "step 3/4: software timeout: CR0.CMDQEN cleared for 2 s while reads run on CPU1"
taskset -p 1 $$ >/dev/null
rm -f /tmp/stop-load
# a modest rate (reads come fast on the ATS machine): DMA throughout the
# 2 s window, and still far from a lap of the ring
( while [ ! -e /tmp/stop-load ]; do dread 16 2 || exit 1; sleep 0.1; done ) &
load=$!
sleep 1
cr0=$(devmem $REG_CR0 32)
devmem $REG_CR0 32 $((cr0 & ~0x8))
sleep 2
devmem $REG_CR0 32 "$cr0"
demo "        CMDQEN back on; the queue drains"
sleep 1
touch /tmp/stop-load; wait "$load"
taskset -p 3 $$ >/dev/null

demo "step 4/4: illegal command: CMDQ_PROD advanced one slot past the driver's"
sleep 1
if inject_illegal; then
    demo_facts "prod_before=$INJ_PROD"
    demo "        wrote CMDQ_PROD $(hx "$INJ_NEWPROD") (was $(hx "$INJ_PROD")): the SMMU now executes a zeroed slot"
else
    demo "        could not inject"
fi
sleep 1
rc=0; dread 256 2 || rc=$?
demo_facts "health_rc=$rc"
if [ "$rc" = 0 ]; then demo "        the disk still reads fine afterwards"; else demo "        disk reads FAILED afterwards"; fi
# smmutrace reports an incident once it has been quiet for a few seconds
sleep 4
demo "stopping smmutrace (SIGINT, as Ctrl-C): it prints its summary"
st_stop demo
demo "done"
