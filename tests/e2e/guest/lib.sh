# shellcheck shell=sh
# shellcheck disable=SC2034  # constants and results for the scripts that source this
# Guest helpers (busybox sh) for the end-to-end scenarios and the demo:
# DMA load on the disk behind the SMMU, fault injection with devmem, and
# the kernel's own record of what happened (tracefs), kept for the host.
#
# SMMU MMIO on QEMU virt: base 0x09050000 (VIRT_SMMU in QEMU's hw/arm/virt.c).
SMMU=0x09050000
REG_CR0=$((SMMU + 0x20))
REG_CMDQ_BASE=$((SMMU + 0x90))
REG_CMDQ_PROD=$((SMMU + 0x98))
REG_CMDQ_CONS=$((SMMU + 0x9c))
T=/sys/kernel/tracing
R=${SMMUTRACE_RESULTS:-/results}
DISK=${SMMUTRACE_DISK:-/dev/vda}

uptime_s() { cut -d' ' -f1 /proc/uptime; }
hx() { printf '0x%08x' "$1"; }
# marker in the kernel log: the host splits dmesg.txt at these lines
kmark() { echo "SMMUTRACE-E2E $*" >/dev/kmsg; }
# key=value facts for the host, per scenario
fact() { echo "$2" >>"$R/$1.facts"; }

# O_DIRECT reads: every 4 KiB block is DMA through the SMMU, and in strict
# mode each unmap issues TLBI + CMD_SYNC from the completion interrupt
dread() { # count [cpu-mask]
    if [ -n "${2:-}" ]; then
        taskset "$2" dd if="$DISK" of=/dev/null bs=4k count="$1" iflag=direct 2>/dev/null
    else
        dd if="$DISK" of=/dev/null bs=4k count="$1" iflag=direct 2>/dev/null
    fi
}

# ---- ground truth from the kernel: tracefs kprobes on the issuer ------------
# These are the kernel's own counters, independent of smmutrace's BPF
# programs: a kprobe with a histogram of trace flags (context) and of
# (first opcode, sync) summing n, and a kretprobe tracing non-zero returns.
# The console tracepoint records who printed each driver line (pid, CPU,
# irq context).
gt_setup() {
    case "$(uname -r)" in
        5.*|6.[0-9].*|6.1[01].*) args='n=%x2:s32 sync=%x3:u8 op0=+0(%x1):u8' ;;
        *) args='n=%x3:s32 sync=%x4:u8 op0=+0(%x2):u8' ;;   # 6.12+: cmdq is arg 2
    esac
    echo 16384 >$T/buffer_size_kb
    echo >$T/trace
    echo "p:e2e/issue arm_smmu_cmdq_issue_cmdlist $args" >>$T/kprobe_events || return 1
    # shellcheck disable=SC2016
    echo 'r:e2e/issue_ret arm_smmu_cmdq_issue_cmdlist ret=$retval:s32' >>$T/kprobe_events || return 1
    echo 'hist:keys=common_flags:vals=hitcount' >$T/events/e2e/issue/trigger || return 1
    echo 'hist:keys=op0,sync:vals=hitcount,n' >>$T/events/e2e/issue/trigger || return 1
    echo 'ret != 0' >$T/events/e2e/issue_ret/filter || return 1
    echo 1 >$T/events/e2e/issue_ret/enable || return 1
    echo 1 >$T/events/printk/console/enable || return 1
    echo 1 >$T/tracing_on
}

# snapshot of the ground-truth counters: hit count and histograms
gt_snap() { # name
    awk '$1 == "issue" { print $2 }' $T/kprobe_profile >"$R/gt.$1.hits"
    cat $T/events/e2e/issue/hist >"$R/gt.$1.hist"
}

# ---- smmutrace in the background ------------------------------------------------
# st_start NAME OUT ARGS...: stdout to the file OUT ("-": left as it is, e.g.
# the console), stderr to NAME.err; waits until it says it is tracing
ST_PID=""
st_start() { # name out-file args...
    name=$1; out=$2; shift 2
    if [ "$out" = - ]; then
        smmutrace "$@" 2>"$R/$name.err" &
    else
        smmutrace "$@" >"$out" 2>"$R/$name.err" &
    fi
    ST_PID=$!
    i=0
    while ! grep -q 'smmutrace: tracing' "$R/$name.err" 2>/dev/null; do
        if ! kill -0 "$ST_PID" 2>/dev/null; then
            echo "smmutrace exited before tracing:"; cat "$R/$name.err"; ST_PID=""; return 1
        fi
        i=$((i + 1))
        if [ $i -ge 600 ]; then echo "smmutrace not tracing after 60 s"; return 1; fi
        sleep 0.1
    done
    return 0
}

# stop with SIGINT (like Ctrl-C) and wait; the exit status lands in NAME.rc
st_stop() { # name
    [ -n "$ST_PID" ] || return 1
    kill -INT "$ST_PID" 2>/dev/null
    rc=0; wait "$ST_PID" || rc=$?
    echo "$rc" >"$R/$1.rc"
    ST_PID=""
    return "$rc"
}

# ---- faults ------------------------------------------------------------------------
# CMDQ_BASE[4:0] = log2(entries): the mask of index + wrap bit
cmdq_mask() {
    base=$(devmem $REG_CMDQ_BASE 64)
    echo $(( (1 << ((base & 0x1f) + 1)) - 1 ))
}

# wait (up to 5 s) until the queue is idle: PROD == CONS (index and wrap)
cmdq_idle() { # mask
    i=0
    while :; do
        prod=$(devmem $REG_CMDQ_PROD 32); cons=$(devmem $REG_CMDQ_CONS 32)
        [ $((prod & $1)) -eq $((cons & $1)) ] && return 0
        i=$((i + 1)); [ $i -ge 50 ] && return 1
        sleep 0.1
    done
}

# Illegal command: advance the hardware PROD one slot past the driver's, so
# the SMMU executes a slot the driver never wrote.  Only a slot of the first
# pass round the ring is still zeroed (opcode 0, illegal); after the ring has
# wrapped, every slot holds an old valid command and nothing happens.
# Sets INJ_PROD (PROD before), INJ_NEWPROD; returns 2 if the ring wrapped.
inject_illegal() {
    mask=$(cmdq_mask)
    cmdq_idle "$mask" || { echo "command queue not idle (PROD $prod CONS $cons)"; return 1; }
    INJ_PROD=$prod
    if [ $((prod & ((mask + 1) >> 1))) -ne 0 ]; then
        echo "command queue has wrapped (PROD $prod): no zeroed slot left to inject"
        return 2
    fi
    INJ_NEWPROD=$(( (prod & ~mask) | ((prod + 1) & mask) ))
    devmem $REG_CMDQ_PROD 32 "$INJ_NEWPROD"
    return 0
}

# ---- ATC invalidation timeouts (our patched SMMU model, boot.sh --ats) -------
# The injector in the SMMU's IMPLEMENTATION DEFINED page (see
# scripts/qemu/patches/README.md): select a SID, arm it with a count of
# CMD_SYNC failures, a delay before the SMMU reports, read its counters.
REG_ATCINJ_SID=$((SMMU + 0xe00))
REG_ATCINJ_COUNT=$((SMMU + 0xe04))
REG_ATCINJ_DELAY=$((SMMU + 0xe08))
REG_ATCINJ_FLAGS=$((SMMU + 0xe0c))
REG_ATCINJ_NR_INV=$((SMMU + 0xe10))
REG_ATCINJ_NR_FAIL=$((SMMU + 0xe14))
REG_ATCINJ_SID_INV=$((SMMU + 0xe18))

find_disk() { # serial -> /dev/vdX
    for s in /sys/block/vd*/serial; do
        [ "$(cat "$s" 2>/dev/null)" = "$1" ] || continue
        d=${s%/serial}; echo "/dev/${d##*/}"; return 0
    done
    return 1
}

# the PCI function behind a virtio disk: 0000:01:00.0
disk_bdf() { basename "$(readlink -f "/sys/block/${1#/dev/}/device/..")"; }

# StreamID of a PCI function on QEMU virt: the IORT (and the DT iommu-map)
# map RID r to SID r one to one; the injector's per-SID ATC_INV counter
# proves it in each scenario (ATC_INVs for that SID reached the SMMU)
bdf_sid() { # 0000:BB:DD.F
    b=${1#*:}; bus=${b%%:*}; df=${b#*:}; dev=${df%.*}; fn=${df#*.}
    echo $(( (0x$bus << 8) | (0x$dev << 3) | fn ))
}

atc_select() { devmem $REG_ATCINJ_SID 32 "$1"; }
atc_arm() { # sid count delay_us [flags]
    devmem $REG_ATCINJ_DELAY 32 "$3"
    devmem $REG_ATCINJ_FLAGS 32 "${4:-0}"
    atc_select "$1"
    devmem $REG_ATCINJ_COUNT 32 "$2"
}
atc_left() { atc_select "$1"; echo $(( $(devmem $REG_ATCINJ_COUNT 32) )); }
atc_sid_inv() { atc_select "$1"; echo $(( $(devmem $REG_ATCINJ_SID_INV 32) )); }
atc_nr_fail() { echo $(( $(devmem $REG_ATCINJ_NR_FAIL 32) )); }
atc_nr_inv() { echo $(( $(devmem $REG_ATCINJ_NR_INV 32) )); }

# wait (up to $2 s) until the SMMU has failed $1 CMD_SYNCs in total
atc_wait_fail() { # total seconds
    _w=0
    while [ "$(atc_nr_fail)" -lt "$1" ]; do
        _w=$((_w + 1)); [ $_w -gt $(($2 * 10)) ] && return 1
        sleep 0.1
    done
}

# the SMMU's GERROR interrupt: its number, and on which CPU it is served
gerror_irq() { awk '/arm-smmu-v3-gerror/ { sub(":", "", $1); print $1; exit }' /proc/interrupts; }
gerror_cpu() { echo "$2" >"/proc/irq/$1/smp_affinity"; }  # irq cpu-mask
