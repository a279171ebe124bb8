#!/bin/sh
# Guest scenario (busybox sh): measure what the smmutrace design relies on.
# Run by scripts/qemu/validate.sh through boot.sh.  Files land in
# $SMMUTRACE_RESULTS; summary lines on stdout start with "FACT ".
#
# Phases: kallsyms, BTF copy, tracefs kprobes + printk:console, disk reads,
# software CMD_SYNC timeout (CR0.CMDQEN cleared ~2 s), illegal command
# (CMDQ_PROD advanced past the driver's prod), survival checks.
R=${SMMUTRACE_RESULTS:-/results}
DISK=${SMMUTRACE_DISK:-/dev/vda}
T=/sys/kernel/tracing
SMMU=0x09050000
CR0=$((SMMU + 0x20))
CMDQ_BASE=$((SMMU + 0x90))
CMDQ_PROD=$((SMMU + 0x98))
CMDQ_CONS=$((SMMU + 0x9c))
READS=${READS:-2048}           # 4 KiB O_DIRECT reads per measurement

fact() { echo "FACT $*"; echo "$*" >>"$R/facts.txt"; }
phase() { echo "SMMUTRACE-PHASE $1" >/dev/kmsg; echo "== phase $1"; }
hx() { printf '0x%08x' "$1"; }
# hits per probe from kprobe_profile ("  name   nhit  nmiss"; no group);
# prof takes one consistent snapshot, hits reads from the last snapshot
prof() { cat $T/kprobe_profile >/tmp/prof; }
hits() { awk -v e="${1#*/}" '$1 == e { print $2; f=1 } END { if (!f) print "-" }' /tmp/prof; }
snap() { cp $T/kprobe_profile "$R/kprobe_profile.$1" 2>/dev/null; }

# one pass of reads that always reach the device
dread() { # count [cpu-mask]
    if [ -n "${2:-}" ]; then
        taskset "$2" dd if="$DISK" of=/dev/null bs=4k count="$1" iflag=direct 2>/dev/null
    else
        dd if="$DISK" of=/dev/null bs=4k count="$1" iflag=direct 2>/dev/null
    fi
}

echo "kernel $(uname -r) disk $DISK"
fact "kernel=$(uname -r)"
fact "nproc=$(nproc)"

# ------------------------------------------------------------------ kallsyms
phase kallsyms
t0=$(cut -d' ' -f1 /proc/uptime)
# one pass over /proc/kallsyms (slow under TCG), then search the extract
grep -E ' (arm_smmu|__arm_smmu|_dev_err$)' /proc/kallsyms | sed 's/^[0-9a-f]* //' | sort >"$R/kallsyms-arm_smmu.txt"
t1=$(cut -d' ' -f1 /proc/uptime)
fact "kallsyms scan took $(awk "BEGIN{print $t1-$t0}")s"
for s in arm_smmu_cmdq_issue_cmdlist __arm_smmu_cmdq_skip_err arm_smmu_cmdq_skip_err \
         arm_smmu_gerror_handler arm_smmu_cmdq_write_entries arm_smmu_atc_inv_master \
         arm_smmu_atc_inv_domain __arm_smmu_cmdq_poll_set_valid_map arm_smmu_cmdq_batch_add \
         arm_smmu_cmdq_batch_submit __arm_smmu_cmdq_issue_cmd _dev_err; do
    l=$(grep -E "^[a-zA-Z] ${s}(\.[a-z]+\.[0-9]+)*( |\$)" "$R/kallsyms-arm_smmu.txt" | tr '\n' ';')
    fact "kallsyms $s: ${l:-(none)}"
done
fact "btf files: $(cd /sys/kernel/btf && echo *)"
fact "arm_smmu_v3 loaded as module: $(grep -c arm_smmu_v3 /proc/modules); in modules.builtin: $(grep -c arm-smmu-v3 "/lib/modules/$(uname -r)/modules.builtin")"
dmesg | grep -E 'arm-smmu-v3' | sed 's/^\[[ 0-9.]*\] //' | while read -r l; do fact "probe: $l"; done

# ---------------------------------------------------------------------- BTF
phase btf
cp /sys/kernel/btf/vmlinux "$R/vmlinux.btf"
fact "vmlinux btf bytes=$(wc -c <"$R/vmlinux.btf")"

# ------------------------------------------------------------------- kprobes
phase kprobes
echo 8192 >$T/buffer_size_kb
echo >$T/kprobe_events
add_probe() { # name definition...
    if echo "$2" >>$T/kprobe_events 2>/tmp/kperr; then
        fact "kprobe $1: registered ($2)"
    else
        fact "kprobe $1: FAILED ($2): $(cat /tmp/kperr)"
    fi
}
V=$(uname -r)
case "$V" in
    6.1.*|5.*|6.[2-9].*|6.1[01].*) ARGS='smmu=%x0 cmds=%x1 n=%x2 sync=%x3 op0=+0(%x1):x8' ;;
    *) ARGS='smmu=%x0 cmdq=%x1 cmds=%x2 n=%x3 sync=%x4 op0=+0(%x2):x8' ;;
esac
ATC=$(awk '$2 ~ /^arm_smmu_atc_inv_master/ { print $2; exit }' "$R/kallsyms-arm_smmu.txt")
add_probe issue "p:smmu/issue arm_smmu_cmdq_issue_cmdlist $ARGS"
# shellcheck disable=SC2016
add_probe issue_ret 'r:smmu/issue_ret arm_smmu_cmdq_issue_cmdlist ret=$retval:s32'
add_probe skip_err 'p:smmu/skip_err __arm_smmu_cmdq_skip_err smmu=%x0 q=%x1'
add_probe gerror 'p:smmu/gerror arm_smmu_gerror_handler irq=%x0 smmu=%x1'
add_probe write_entries 'p:smmu/write_entries arm_smmu_cmdq_write_entries cmdq=%x0 cmds=%x1 prod=%x2:x32 n=%x3:s32'
add_probe atc_inv_master "p:smmu/atc_inv_master ${ATC:-arm_smmu_atc_inv_master} master=%x0"
add_probe dev_err 'p:smmu/dev_err _dev_err dev=%x0 a2=%x2:x32 fmt=+0(%x1):string'
cat $T/kprobe_events >"$R/kprobe_events.txt"
for e in issue issue_ret skip_err gerror write_entries atc_inv_master dev_err; do
    [ -d $T/events/smmu/$e ] && echo 1 >$T/events/smmu/$e/enable
done
if [ -d $T/events/smmu/issue_ret ]; then
    echo 'hist:keys=ret:sort=ret' >$T/events/smmu/issue_ret/trigger 2>/dev/null ||
        fact "hist trigger on issue_ret: FAILED"
fi
if [ -d $T/events/printk/console ]; then
    fact "tracepoint printk:console: present ($(head -c 200 $T/events/printk/console/format | tr '\n' ' '))"
    echo 1 >$T/events/printk/console/enable
else
    fact "tracepoint printk:console: MISSING"
fi
echo 1 >$T/tracing_on

snap before-read
sync; echo 3 >/proc/sys/vm/drop_caches
prof; b_i=$(hits smmu/issue); b_r=$(hits smmu/issue_ret); b_w=$(hits smmu/write_entries)
t0=$(cut -d' ' -f1 /proc/uptime)
dread "$READS"; rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
prof; a_i=$(hits smmu/issue); a_r=$(hits smmu/issue_ret); a_w=$(hits smmu/write_entries)
fact "dd O_DIRECT ${READS}x4KiB rc=$rc in $(awk "BEGIN{print $t1-$t0}")s: issue_cmdlist hits $((a_i - b_i)), kretprobe hits $((a_r - b_r)), write_entries hits $((a_w - b_w))"
snap after-read
# sample of decoded entries
grep -m 9 -E ' (issue|issue_ret|write_entries): ' $T/trace >"$R/trace-sample-read.txt" 2>/dev/null
grep -c ' issue: ' $T/trace | { read -r c; fact "issue events in trace buffer: $c"; }

# ----------------------------------------------- BPF (cross-built bpfcheck)
if [ -x /bin/bpfcheck ]; then
    phase bpf
    /bin/bpfcheck btf 2>&1 | while read -r l; do fact "bpfcheck $l"; done
    ( sleep 1; dread "$READS" ) &
    /bin/bpfcheck kprobe arm_smmu_cmdq_issue_cmdlist 4 2>&1 | while read -r l; do fact "bpfcheck $l"; done
    wait
    for o in /lib/smmutrace/corecheck*.bpf.o; do
        [ -e "$o" ] || continue
        ( sleep 1; dread 256 ) &
        /bin/bpfcheck load "$o" 3 >"$R/$(basename "$o").log" 2>&1
        wait
        grep -E '^load:|ambigu|failed|error' "$R/$(basename "$o").log" | head -n 6 |
            while read -r l; do fact "bpfcheck $l"; done
    done
fi

# --------------------------------------------------- fault: software timeout
phase sw-timeout
taskset -p 1 $$ >/dev/null 2>&1 || fact "taskset -p 1 \$\$ failed"
fact "shell affinity: $(taskset -p $$ 2>&1)"
cr0=$(devmem $CR0 32)
fact "CR0 before=$cr0 CMDQ_PROD=$(devmem $CMDQ_PROD 32) CMDQ_CONS=$(devmem $CMDQ_CONS 32)"
echo > $T/trace
prof; b_i=$(hits smmu/issue); b_r=$(hits smmu/issue_ret)
( while :; do dread 64 2; done ) &
LOAD=$!
sleep 1
t0=$(cut -d' ' -f1 /proc/uptime)
devmem $CR0 32 $((cr0 & ~0x8))
fact "CR0 after clearing CMDQEN=$(devmem $CR0 32) CR0ACK=$(devmem $((SMMU + 0x24)) 32)"
sleep 2
devmem $CR0 32 "$cr0"
t1=$(cut -d' ' -f1 /proc/uptime)
fact "CR0 restored=$(devmem $CR0 32) CR0ACK=$(devmem $((SMMU + 0x24)) 32); window $(awk "BEGIN{print $t1-$t0}")s (shell-visible)"
sleep 2
kill $LOAD 2>/dev/null; wait $LOAD 2>/dev/null
prof; a_i=$(hits smmu/issue); a_r=$(hits smmu/issue_ret)
fact "sw-timeout: issue hits $((a_i - b_i)), kretprobe hits $((a_r - b_r))"
cat $T/events/smmu/issue_ret/hist >"$R/issue_ret-hist.after-sw-timeout.txt" 2>/dev/null
grep -E 'ret:|hitcount' "$R/issue_ret-hist.after-sw-timeout.txt" 2>/dev/null | tr -s ' ' | while read -r l; do fact "issue_ret hist: $l"; done
grep -E ' issue_ret: .*ret=-' $T/trace | head -n 20 >"$R/trace-sw-timeout-neg.txt"
fact "sw-timeout: trace lines with negative ret: $(grep -c ' issue_ret: .*ret=-' $T/trace)"
grep -E ' (gerror|skip_err|dev_err|console): ' $T/trace >"$R/trace-sw-timeout-printk.txt"
grep -E ' issue_ret: .*ret=-' $T/trace | head -n 4 | while read -r l; do fact "sw-timeout trace: $l"; done
head -n 6 "$R/trace-sw-timeout-printk.txt" | while read -r l; do fact "sw-timeout trace: $l"; done
if dread 256 && dread 256 2; then fact "sw-timeout: guest alive, disk reads OK"; else fact "sw-timeout: disk read FAILED"; fi

# --------------------------------------------------- fault: illegal command
phase illegal-cmd
echo > $T/trace
prof; b_g=$(hits smmu/gerror); b_s=$(hits smmu/skip_err); b_d=$(hits smmu/dev_err)
sync; sleep 1
base=$(devmem $CMDQ_BASE 64)
log2=$((base & 0x1f))
mask=$(( (1 << (log2 + 1)) - 1 ))    # WRP + IDX
i=0
while :; do
    prod=$(devmem $CMDQ_PROD 32); cons=$(devmem $CMDQ_CONS 32)
    [ $((prod & mask)) -eq $((cons & mask)) ] && break
    i=$((i+1)); [ $i -ge 50 ] && break
    sleep 0.1
done
newprod=$(( (prod & ~mask) | ((prod + 1) & mask) ))
fact "illegal-cmd: CMDQ_BASE=$base log2size=$log2 PROD=$prod CONS=$cons idle=$([ $((prod & mask)) -eq $((cons & mask)) ] && echo yes || echo no) -> write PROD=$(hx $newprod)"
devmem $CMDQ_PROD 32 $newprod
sleep 1
fact "illegal-cmd: after: PROD=$(devmem $CMDQ_PROD 32) CONS=$(devmem $CMDQ_CONS 32) GERROR=$(devmem $((SMMU + 0x60)) 32) GERRORN=$(devmem $((SMMU + 0x64)) 32)"
prof; a_g=$(hits smmu/gerror); a_s=$(hits smmu/skip_err); a_d=$(hits smmu/dev_err)
fact "illegal-cmd: gerror_handler hits $((a_g - b_g)), skip_err hits $( [ "$a_s" = - ] && echo - || echo $((a_s - b_s)) ), _dev_err hits $((a_d - b_d))"
grep -E ' (gerror|skip_err|dev_err|console): ' $T/trace >"$R/trace-illegal-cmd.txt"
grep -E ' (gerror|skip_err|dev_err): ' $T/trace | head -n 8 | while read -r l; do fact "illegal-cmd trace: $l"; done
grep -E ' console: ' $T/trace | head -n 8 | while read -r l; do fact "illegal-cmd printk:console: $l"; done
if dread 256 && dread 256 2; then fact "illegal-cmd: guest alive, disk reads OK"; else fact "illegal-cmd: disk read FAILED"; fi
sleep 1

# ---------------------------------------------------------------- wrap up
phase end
echo 0 >$T/tracing_on
cat $T/kprobe_profile >"$R/kprobe_profile.end"
cat $T/events/smmu/issue_ret/hist >"$R/issue_ret-hist.end.txt" 2>/dev/null
dmesg | sed -n '/SMMUTRACE-PHASE sw-timeout/,$p' >"$R/dmesg-faults.txt"
fact "done uptime=$(cut -d' ' -f1 /proc/uptime)"
exit 0
