#!/bin/sh
# Guest side of `make e2e` (busybox sh, run as /scenario.sh by the rig's
# /init): three scenarios in sequence, each with its own `smmutrace --live
# --json` run and its own section of the kernel log (SMMUTRACE-E2E markers):
#
#   traffic      O_DIRECT reads on the disk behind the SMMU; smmutrace stops
#                on its own (--duration); run as if through sudo, it drops to
#                the caller after attach and records a capture and metrics
#                as that user
#   sw_timeout   CR0.CMDQEN cleared for 2 s under pinned DMA load (shell on
#                CPU0, load on CPU1): the issuer's CMD_SYNC poll times out
#   illegal      CMDQ_PROD advanced past the driver's prod: the SMMU executes
#                a zeroed slot (CERROR_ILL); last, because the driver's next
#                command is skipped
#
# Nothing is judged here: the host compares smmutrace's JSON with the kernel's
# own record of the same run (dmesg, tracefs).  Files in $SMMUTRACE_RESULTS:
# NAME.ndjson, NAME.err, NAME.rc, NAME.facts (key=value: what this script did
# and measured), gt.*.hits / gt.*.hist (tracefs counters), trace.txt.
. /lib/e2e/lib.sh

TRAFFIC_READS=${TRAFFIC_READS:-1024}
TRAFFIC_DURATION=${TRAFFIC_DURATION:-5}
[ -r /etc/e2e.conf ] && . /etc/e2e.conf
SCEN=${SCENARIOS:-traffic sw_timeout illegal}

say() { echo "[guest $(uptime_s)] $*"; }

say "kernel $(uname -r), disk $DISK, $(nproc) CPUs; scenarios: $SCEN"
smmutrace --version >"$R/version.txt" 2>&1
# this kernel's BTF: the host's verifier tests check CO-RE against it (test-bpf)
cp /sys/kernel/btf/vmlinux "$R/vmlinux.btf" 2>/dev/null || true
smmutrace check >"$R/check.txt" 2>&1; echo $? >"$R/check.rc"
sed 's/^/  check: /' "$R/check.txt"
# the flavour of the optional write_entries hook, and --no-fentry (verifier dry runs)
smmutrace check --sync-slot >"$R/check-sync-slot.txt" 2>&1; echo $? >"$R/check-sync-slot.rc"
smmutrace check --no-fentry >"$R/check-no-fentry.txt" 2>&1; echo $? >"$R/check-no-fentry.rc"
# fentry tried even where the survey says this kernel has no trampolines: what
# attaching one really does here, and the fallback to kprobes when it fails
SMMUTRACE_FORCE_FENTRY=1 smmutrace --live --json --duration 2 >"$R/forced.ndjson" 2>"$R/forced.err"
echo $? >"$R/forced.rc"
grep -E 'using kprobes|error interrupt ' "$R/forced.err" | sed 's/^/  forced fentry: /'
if ! gt_setup 2>"$R/gt-setup.err"; then
    say "tracefs ground-truth probes failed: $(cat "$R/gt-setup.err")"
    echo "gt_setup=failed" >>"$R/setup.facts"
fi
# the driver's error-interrupt functions as this kernel has them (one pass
# over kallsyms; skip_err is inlined into the gerror handler on 6.1)
awk '$3 ~ /^(__)?arm_smmu_(cmdq_skip_err|gerror_handler|cmdq_issue_cmdlist)($|\.)/ { print $2, $3 }' \
    /proc/kallsyms >"$R/kallsyms.txt"
fact setup "cmdq_mask=$(cmdq_mask)"
# the rig's patched kernel: which semantics of the quarantine series are in force
fact setup "atc_sync_errno=$(cat /sys/module/arm_smmu_v3/parameters/atc_sync_errno 2>/dev/null || echo none)"
fact setup "prod_at_start=$(devmem $REG_CMDQ_PROD 32)"

# ---------------------------------------------------------------- traffic
traffic() {
    kmark "begin traffic"
    gt_snap traffic.0
    # as if through sudo by uid 1000: smmutrace drops to it after attach and
    # writes its capture and metrics as that user, in a directory it owns
    mkdir -p /tmp/st-out && chown 1000:1000 /tmp/st-out
    export SUDO_UID=1000 SUDO_GID=1000 SUDO_USER=e2e
    st_start traffic "$R/traffic.ndjson" --live --json --duration "$TRAFFIC_DURATION" \
        --record /tmp/st-out/traffic.cap --prom /tmp/st-out/traffic.prom ||
        { unset SUDO_UID SUDO_GID SUDO_USER; kmark "end traffic"; return 1; }
    unset SUDO_UID SUDO_GID SUDO_USER
    cp /proc/"$ST_PID"/status "$R/traffic.status"
    fact traffic "kernel=$(uname -r)"
    fact traffic "t_tracing=$(uptime_s)"
    gt_snap traffic.1
    fact traffic "prod_before=$(devmem $REG_CMDQ_PROD 32)"
    t0=$(uptime_s)
    dread "$TRAFFIC_READS" 2 && rc=0 || rc=$?
    t1=$(uptime_s)
    # a driver line forged through /dev/kmsg must not become an incident
    # ("platform" prefix: smmutrace would parse it, the host's dmesg check does not)
    echo '<3>platform 9050000.smmuv3: CMDQ error (cons 0x0300beef): ATC invalidate timeout' >/dev/kmsg
    gt_snap traffic.2
    fact traffic "prod_after=$(devmem $REG_CMDQ_PROD 32)"
    # the load must have ended while smmutrace was still tracing
    if kill -0 "$ST_PID" 2>/dev/null; then fact traffic "covered=1"; else fact traffic "covered=0"; fi
    fact traffic "reads=$TRAFFIC_READS"; fact traffic "dd_rc=$rc"; fact traffic "duration=$TRAFFIC_DURATION"
    fact traffic "t_load_start=$t0"; fact traffic "t_load_end=$t1"
    say "traffic: $TRAFFIC_READS O_DIRECT reads in $(awk "BEGIN{print $t1 - $t0}") s (rc $rc); waiting for --duration $TRAFFIC_DURATION"
    rc=0; wait "$ST_PID" || rc=$?
    echo "$rc" >"$R/traffic.rc"; ST_PID=""
    fact traffic "t_exit=$(uptime_s)"
    stat -c '%n %u %g %a' /tmp/st-out/* >"$R/traffic.outfiles" 2>&1
    cp /tmp/st-out/traffic.prom "$R/traffic.prom" 2>/dev/null
    smmutrace replay --json /tmp/st-out/traffic.cap >"$R/traffic-replay.ndjson" 2>"$R/traffic-replay.err"
    echo $? >"$R/traffic-replay.rc"
    gt_snap traffic.3
    kmark "end traffic"
}

# -------------------------------------------------------------- sw_timeout
sw_timeout() {
    kmark "begin sw_timeout"
    # the injecting shell (and smmutrace) on CPU0, the DMA load on CPU1:
    # unpinned, the completion IRQ's unmaps each wait 1 s with IRQs off
    taskset -p 1 $$ >/dev/null
    gt_snap sw_timeout.0
    # SW_SYNC_SLOT=1 (from /etc/e2e.conf): --sync-slot, the optional
    # write_entries probe, gives each issuer's own CMD_SYNC slot; without it
    # smmutrace matches issuers to the printed position by their prod window
    slot=""; [ "${SW_SYNC_SLOT:-0}" = 1 ] && slot=--sync-slot
    fact sw_timeout "sync_slot=${SW_SYNC_SLOT:-0}"
    # shellcheck disable=SC2086
    st_start sw_timeout "$R/sw_timeout.ndjson" --live --json --duration 120 $slot ||
        { kmark "end sw_timeout"; return 1; }
    gt_snap sw_timeout.1
    rm -f /tmp/stop-load /tmp/load-running
    # at most 48 x 64 reads (~8 queue slots each): the ring must not wrap
    # before the illegal-command scenario, which needs a never-written slot
    ( n=0; while [ ! -e /tmp/stop-load ] && [ $n -lt 48 ]; do
        dread 64 2 || exit 1; n=$((n + 1)); : >/tmp/load-running; done ) &
    load=$!
    # inject while the load runs: on a fast kernel all 48 rounds take well
    # under a second (the rig's small patched 6.12: about 0.5 s)
    i=0
    while [ ! -e /tmp/load-running ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    cr0=$(devmem $REG_CR0 32)
    fact sw_timeout "cr0=$cr0"
    t0=$(uptime_s)
    devmem $REG_CR0 32 $((cr0 & ~0x8))
    fact sw_timeout "cr0_cleared=$(devmem $REG_CR0 32)"
    sleep 2
    devmem $REG_CR0 32 "$cr0"
    t1=$(uptime_s)
    fact sw_timeout "cr0_restored=$(devmem $REG_CR0 32)"
    fact sw_timeout "t_clear=$t0"; fact sw_timeout "t_restore=$t1"
    say "sw_timeout: CR0.CMDQEN cleared at $t0, restored at $t1"
    sleep 1
    touch /tmp/stop-load
    rc=0; wait "$load" || rc=$?
    fact sw_timeout "load_rc=$rc"
    dread 256 && dread 256 2 && rc=0 || rc=$?
    fact sw_timeout "health_rc=$rc"
    gt_snap sw_timeout.2
    st_stop sw_timeout
    gt_snap sw_timeout.3
    taskset -p 3 $$ >/dev/null
    kmark "end sw_timeout"
}

# ----------------------------------------------------------------- illegal
illegal() {
    kmark "begin illegal"
    gt_snap illegal.0
    st_start illegal "$R/illegal.ndjson" --live --json --duration 120 ||
        { kmark "end illegal"; return 1; }
    gt_snap illegal.1
    dread 128 2 || true
    sleep 0.5
    rc=0; inject_illegal || rc=$?
    fact illegal "inject_rc=$rc"
    if [ "$rc" = 0 ]; then
        fact illegal "prod_before=$INJ_PROD"; fact illegal "prod_written=$(hx "$INJ_NEWPROD")"
        fact illegal "t_inject=$(uptime_s)"
        say "illegal: CMDQ_PROD $INJ_PROD -> $(hx "$INJ_NEWPROD")"
        sleep 1
        fact illegal "cons_after=$(devmem $REG_CMDQ_CONS 32)"
        fact illegal "prod_after=$(devmem $REG_CMDQ_PROD 32)"
    fi
    # still healthy: reads from both CPUs complete
    t0=$(uptime_s)
    dread 256 && dread 256 2 && rc=0 || rc=$?
    fact illegal "health_rc=$rc"; fact illegal "t_health=$(awk "BEGIN{print $(uptime_s) - $t0}")"
    sleep 0.5
    gt_snap illegal.2
    st_stop illegal
    gt_snap illegal.3
    kmark "end illegal"
}

for s in $SCEN; do
    say "== scenario $s"
    fact "$s" "t_begin=$(uptime_s)"
    rc=0; "$s" || rc=$?
    fact "$s" "scenario_rc=$rc"
    say "== scenario $s done (rc $rc)"
done
echo 0 >$T/tracing_on
cat $T/trace >"$R/trace.txt"
cat $T/kprobe_profile >"$R/kprobe_profile.txt"
say "done"
exit 0
