#!/bin/sh
# Guest side of the ATC scenarios of `make e2e` (busybox sh, /scenario.sh),
# on our patched SMMU model (boot.sh --acpi --ats): real ATC invalidation
# timeouts on the real driver.  Disks (serials): A = smmutrace-test, alone in
# its IOMMU group; P0/P1 = smmutrace-ats0/-ats1, functions 0 and 1 of one
# slot, one IOMMU group, so each unmap on it sends ATC_INV(P0) + ATC_INV(P1)
# behind one CMD_SYNC.  Each scenario has its own `smmutrace --live --json
# --record` run and its own section of the kernel log, and writes
# NAME.truth.json: what was injected (faulty SIDs/devices, delay, count),
# what the injector counted (ATC_INVs per SID, failed CMD_SYNCs) and on
# which CPUs the issuers and the SMMU's error interrupt ran.
#
#   atc_single        A stops answering (2 failures, reported at once);
#                     reads on A and on P0 (clean)
#   atc_two_devices   P1 stops answering; reads on P0 put ATC_INV(P0) and
#                     ATC_INV(P1) in every batch (2 failures); then P0 is
#                     removed (PCI hot-remove) and reads on P1 fail once more
#                     with P1's ATC_INV alone
#   hw_before_sw      A, SMMU delay 200 ms (under the driver's 1 s): once
#                     under load with the error interrupt on CPU0 (served at
#                     once), once for a single read with it on CPU1, where
#                     the unmapping completion interrupt holds it off:
#                     software timeouts whose hwcons already has ERR = 3
#   sw_before_hw      A, SMMU delay 3 s: the driver's 1 s timeout fires first
#   atc_repeated      A fails 4 times, 1 s apart (one failure armed at a time)
#
# On a kernel with the quarantine series' bitmap (scripts/kernel: the slot of
# a CMD_SYNC that failed with an ATC invalidation timeout is marked, and its
# issuer is failed with -ETIMEDOUT (v2) or -EIO (v3) when its poll ends) the
# truth files also say which semantics ran (kernel_variant) and whether the
# bitmap should reach the failing issuer (bitmap_expected: not when the
# driver's 1 s timeout fires first).  A bit set after its issuer gave up
# stays set until a CMD_SYNC in that slot claims it, a lap of the ring
# later: where a scenario left one (hw_before_sw's held interrupt,
# sw_before_hw) it reads on P1, an innocent device, until every bit it left
# is claimed, within the same smmutrace run (left_slots, stale_claim_*):
# the claim must be linked to the incident that left the bit and blamed on
# nobody.
#
# Shell and smmutrace on CPU0, reads (and so their completion interrupts,
# where strict-mode unmaps run) on CPU1; the error interrupt on CPU0 unless
# a scenario says otherwise.  Nothing is judged here (tests/e2e/check_atc.py).
. /lib/e2e/lib.sh

[ -r /etc/e2e.conf ] && . /etc/e2e.conf
SCEN=${ATC_SCENARIOS:-atc_single atc_two_devices hw_before_sw sw_before_hw atc_repeated}
say() { echo "[guest $(uptime_s)] $*"; }

A=$DISK
P0=$(find_disk smmutrace-ats0)
P1=$(find_disk smmutrace-ats1)

# Debian's 6.12 sends no ATC_INV for the second function of the shared group
# after boot (ATS Enable set in its config space, yet its invalidations are
# never issued; measured, as for a single device booted with a device tree).
# Detect it with the injector's per-SID counter; a re-attach of the group
# (identity, then DMA) cures it.  6.1 shares the batches from boot.
shared_group_ats() {
    atc_select "$P0_SID"; atc_select "$P1_SID"
    n1=$(atc_sid_inv "$P1_SID")
    DISK=$P0 dread 4
    [ "$(atc_sid_inv "$P1_SID")" -gt "$n1" ] && return 0
    g=$(basename "$(readlink "/sys/bus/pci/devices/$P0_BDF/iommu_group")")
    for d in "$P0_BDF" "$P1_BDF"; do echo "$d" >/sys/bus/pci/drivers/virtio-pci/unbind; done
    echo identity >"/sys/kernel/iommu_groups/$g/type" && echo DMA >"/sys/kernel/iommu_groups/$g/type"
    rc=$?
    for d in "$P0_BDF" "$P1_BDF"; do echo "$d" >/sys/bus/pci/drivers/virtio-pci/bind; done
    sleep 1
    P0=$(find_disk smmutrace-ats0); P1=$(find_disk smmutrace-ats1)
    n1=$(atc_sid_inv "$P1_SID")
    DISK=$P0 dread 4
    fact setup "reattach=$rc"
    fact setup "reattach_p1_atc_inv=$(( $(atc_sid_inv "$P1_SID") - n1 ))"
}
A_BDF=$(disk_bdf "$A"); P0_BDF=$(disk_bdf "$P0"); P1_BDF=$(disk_bdf "$P1")
A_SID=$(bdf_sid "$A_BDF"); P0_SID=$(bdf_sid "$P0_BDF"); P1_SID=$(bdf_sid "$P1_BDF")
GIRQ=$(gerror_irq)
# the command queue's size: positions are wrap bit + index
ENTRIES=$(dmesg | sed -n 's/.*allocated \([0-9]*\) entries for cmdq.*/\1/p' | head -n1)
IDXMASK=$((ENTRIES - 1)); POSMASK=$((2 * ENTRIES - 1))
case "$(cat /sys/module/arm_smmu_v3/parameters/atc_sync_errno 2>/dev/null)" in
    110) VARIANT=v2 ;;
    5) VARIANT=v3 ;;
    *) VARIANT=stock ;;
esac
shared_group_ats
say "kernel $(uname -r); A $A $A_BDF sid $(hx $A_SID); P0 $P0 $P0_BDF sid $(hx $P0_SID); P1 $P1 $P1_BDF sid $(hx $P1_SID); gerror irq $GIRQ"
{
    echo "a=$A_BDF"; echo "p0=$P0_BDF"; echo "p1=$P1_BDF"
    echo "a_sid=$A_SID"; echo "p0_sid=$P0_SID"; echo "p1_sid=$P1_SID"
    echo "gerror_irq=$GIRQ"; echo "features=$(dmesg | sed -n 's/.*(features \(0x[0-9a-f]*\)).*/\1/p' | head -n1)"
    echo "kernel_variant=$VARIANT"
} >>"$R/setup.facts"
for d in "$A_BDF" "$P0_BDF" "$P1_BDF"; do
    echo "$d ats_ctrl=$(od -An -tx2 -j 0x106 -N2 "/sys/bus/pci/devices/$d/config" 2>/dev/null | tr -d ' ')"
done >>"$R/setup.facts"
smmutrace --version >"$R/version.txt" 2>&1
gt_setup 2>"$R/gt-setup.err" || say "tracefs ground-truth probes failed: $(cat "$R/gt-setup.err")"
gerror_cpu "$GIRQ" 1
taskset -p 1 $$ >/dev/null
# every SID the scenarios touch is watched: per-SID ATC_INV counters
for sid in $A_SID $P0_SID $P1_SID; do atc_select "$sid"; done

# ---- one scenario's frame --------------------------------------------------------
LOADS=""
load_on() { # disk: reads on CPU1 until /tmp/stop-load
    ( DISK=$1; while [ ! -e /tmp/stop-load ]; do dread 32 2 || exit 1; done ) &
    LOADS="$LOADS $!"
}
loads_stop() {
    touch /tmp/stop-load
    rc=0; for p in $LOADS; do wait "$p" || rc=$?; done
    LOADS=""; rm -f /tmp/stop-load
    return $rc
}
begin() { # name
    NAME=$1; kmark "begin $NAME"
    fact "$NAME" "t_begin=$(uptime_s)"
    gt_snap "$NAME.0"
    FAIL0=$(atc_nr_fail); INV0=$(atc_nr_inv)
    for sid in $A_SID $P0_SID $P1_SID; do eval "SINV0_$sid=$(atc_sid_inv $sid)"; done
    st_start "$NAME" "$R/$NAME.ndjson" --live --json --duration 300 --record "$R/$NAME.cap" || return 1
    gt_snap "$NAME.1"
}
# the SMMU reports an incident's end only after it is quiet: wait, then stop
finish() {
    sleep 3
    gt_snap "$NAME.2"
    st_stop "$NAME"
    gt_snap "$NAME.3"
    fact "$NAME" "t_end=$(uptime_s)"
    kmark "end $NAME"
}
# this scenario's part of the kernel log so far
section() { dmesg | sed -n "/SMMUTRACE-E2E begin $NAME\$/,\$p"; }
# positions (wrap + index, decimal) of this scenario's ATC timeouts, and of
# the patched driver's bitmap lines ("CMD_SYNC for ATC_INV timeout at prod=")
err_pos() {
    for c in $(section | sed -n 's/.*CMDQ error (cons 0x\([0-9a-f]*\)): ATC invalidate timeout.*/\1/p'); do
        echo $((0x$c & POSMASK))
    done | sort -un
}
bitmap_pos() {
    for p in $(section | sed -n 's/.*CMD_SYNC for ATC_INV timeout at prod=0x\([0-9a-f]*\).*/\1/p'); do
        echo $((0x$p & POSMASK))
    done
}
has() { # word list...
    _w=$1; shift
    for _x in "$@"; do [ "$_x" = "$_w" ] && return 0; done
    return 1
}
# the bits this scenario left: ATC timeouts no bitmap line answered (the
# told issuer prints one at once; a claim of a left bit is a lap away)
left_slots() {
    _b=$(bitmap_pos)
    # shellcheck disable=SC2086
    for _p in $(err_pos); do has "$_p" $_b || echo "$_p"; done
}
# bitmap lines at no position this scenario failed: claims of left bits
claim_pos() {
    _e=$(err_pos)
    # shellcheck disable=SC2086
    for _p in $(bitmap_pos); do has "$_p" $_e || echo "$_p"; done
}
# wait (up to $2 s) until the kernel printed $1 ATC timeout lines here:
# a held-off error interrupt reports seconds after the SMMU failed the sync
wait_errors() { # n seconds
    _w=0
    while [ "$(section | grep -c 'ATC invalidate timeout')" -lt "$1" ]; do
        _w=$((_w + 1)); [ $_w -gt $(($2 * 10)) ] && return 1
        sleep 0.1
    done
}
# truth: what this scenario injected and what the injector counted; BITMAP:
# whether its failures reach a polling issuer (only matters with the bitmap)
BITMAP=true
truth() { # faulty-sids(csv) faulty-bdfs(csv) innocent-bdfs(csv) delay_us count extra-json
    inv=""
    for sid in $A_SID $P0_SID $P1_SID; do
        eval "n0=\$SINV0_$sid"
        inv="$inv${inv:+, }\"$sid\": $(( $(atc_sid_inv $sid) - n0 ))"
    done
    q() { echo "$1" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? ", " : ""), $i }'; }
    cat >"$R/$NAME.truth.json" <<EOT
{"scenario": "$NAME", "faulty_sids": [$1], "faulty_devices": [$(q "$2")],
 "innocent_devices": [$(q "$3")], "delay_us": $4, "count": $5,
 "atc_inv_per_sid": {$inv}, "atc_inv": $(( $(atc_nr_inv) - INV0 )),
 "cmd_sync_failed": $(( $(atc_nr_fail) - FAIL0 )), "kernel": "$(uname -r)",
 "kernel_variant": "$VARIANT", "bitmap_expected": $([ "$VARIANT" = stock ] && echo false || echo "$BITMAP"),
 "issuer_cpu": 1$6}
EOT
}

# ---- scenarios ----------------------------------------------------------------------
atc_single() {
    begin atc_single || return 1
    atc_arm "$A_SID" 2 0
    load_on "$A"; load_on "$P0"
    atc_wait_fail $((FAIL0 + 2)) 30; w=$?
    sleep 0.5; loads_stop; l=$?
    fact atc_single "wait_rc=$w"; fact atc_single "load_rc=$l"
    truth "$A_SID" "$A_BDF" "$P0_BDF,$P1_BDF" 0 2 ', "gerror_cpu": 0'
    finish
}

atc_two_devices() {
    begin atc_two_devices || return 1
    atc_arm "$P1_SID" 2 0
    load_on "$P0"
    atc_wait_fail $((FAIL0 + 2)) 30; w1=$?
    loads_stop; l1=$?
    sleep 1
    # P0 leaves the group: from now on P1's ATC_INVs travel alone
    echo 1 >"/sys/bus/pci/devices/$P0_BDF/remove"; fact atc_two_devices "remove_rc=$?"
    fact atc_two_devices "t_removed=$(uptime_s)"
    sleep 1
    atc_arm "$P1_SID" 1 0
    load_on "$P1"
    atc_wait_fail $((FAIL0 + 3)) 30; w2=$?
    sleep 0.5; loads_stop; l2=$?
    fact atc_two_devices "wait_rc=$w1,$w2"; fact atc_two_devices "load_rc=$l1,$l2"
    truth "$P1_SID" "$P1_BDF" "$P0_BDF,$A_BDF" 0 3 ', "gerror_cpu": 0, "shared_with": ["'"$P0_BDF"'"]'
    finish
}

hw_before_sw() {
    begin hw_before_sw || return 1
    load_on "$A"
    sleep 0.5
    atc_arm "$A_SID" 1 200000
    atc_wait_fail $((FAIL0 + 1)) 30; w1=$?
    fact hw_before_sw "t_prompt=$(uptime_s)"
    sleep 1
    loads_stop; l=$?
    # The error interrupt now on CPU1, behind the completion interrupt that
    # unmaps (IRQs off, each CMD_SYNC wait up to 1 s).  One read only: under
    # a continuous load a new completion is always pending when CPU1 takes
    # interrupts again, and the GIC serves the lower-numbered one first, so
    # the error interrupt would starve for as long as the load lasts.
    gerror_cpu "$GIRQ" 2
    fact hw_before_sw "t_held=$(uptime_s)"
    atc_arm "$A_SID" 1 200000
    dread 1 2; r=$?
    atc_wait_fail $((FAIL0 + 2)) 30; w2=$?
    fact hw_before_sw "t_held_done=$(uptime_s)"; fact hw_before_sw "held_read_rc=$r"
    gerror_cpu "$GIRQ" 1
    fact hw_before_sw "wait_rc=$w1,$w2"; fact hw_before_sw "load_rc=$l"
    truth "$A_SID" "$A_BDF" "$P1_BDF" 200000 2 ', "gerror_cpu": [0, 1]'"$(claim_left 2)"
    finish
}

sw_before_hw() {
    begin sw_before_hw || return 1
    load_on "$A"
    sleep 0.5
    atc_arm "$A_SID" 1 3000000
    atc_wait_fail $((FAIL0 + 1)) 60; w=$?
    sleep 0.5; loads_stop; l=$?
    fact sw_before_hw "wait_rc=$w"; fact sw_before_hw "load_rc=$l"
    BITMAP=false
    truth "$A_SID" "$A_BDF" "$P1_BDF" 3000000 1 ', "gerror_cpu": 0'"$(claim_left 1)"
    BITMAP=true
    finish
}

# On the patched kernel, once the kernel printed the scenario's N ATC
# timeouts: the bits they left (no issuer was there to be told), claimed by
# reads on P1 until a CMD_SYNC lands in each of their slots (which slot each
# read's CMD_SYNC takes depends on what went before: a lap of the ring or a
# few; at most STALE_CLAIM_S seconds).  Prints the truth file's extra keys.
claim_left() { # n
    [ "$VARIANT" != stock ] || return 0
    wait_errors "$1" 30 || fact "$NAME" "errors_rc=1"
    sleep 0.5
    left=$(left_slots)
    t0=$(uptime_s)
    if [ -n "$left" ]; then
        load_on "$P1"
        i=0
        while [ $i -lt $((${STALE_CLAIM_S:-60} * 10)) ]; do
            c=$(claim_pos); all=1
            for p in $left; do
                hit=0
                for q in $c; do [ $((q & IDXMASK)) = $((p & IDXMASK)) ] && hit=1; done
                [ $hit = 1 ] || all=0
            done
            [ $all = 1 ] && break
            sleep 0.1; i=$((i + 1))
        done
        sleep 0.2; loads_stop; l=$?
        fact "$NAME" "stale_claim_load_rc=$l"
    fi
    claims=$(claim_pos)
    fact "$NAME" "stale_claim_s=$(awk "BEGIN{print $(uptime_s) - $t0}")"
    fact "$NAME" "stale_claims=$(echo $claims | wc -w)"
    csv() { echo "$*" | tr ' ' ','; }
    # shellcheck disable=SC2086
    printf ', "stale_claim_device": "%s", "left_slots": [%s], "stale_claim_slots": [%s], "stale_claims": %d' \
        "$P1_BDF" "$(csv $left)" "$(csv $claims)" "$(echo $claims | wc -w)"
}

atc_repeated() {
    begin atc_repeated || return 1
    load_on "$A"
    rep=1; w=0
    while [ $rep -le 4 ]; do
        sleep 1
        atc_arm "$A_SID" 1 0
        atc_wait_fail $((FAIL0 + rep)) 30 || w=1
        rep=$((rep + 1))
    done
    sleep 0.5; loads_stop; l=$?
    fact atc_repeated "wait_rc=$w"; fact atc_repeated "load_rc=$l"
    truth "$A_SID" "$A_BDF" "$P1_BDF" 0 4 ', "gerror_cpu": 0'
    finish
}

for s in $SCEN; do
    say "== scenario $s"
    rc=0; "$s" || rc=$?
    fact "$s" "scenario_rc=$rc"
    say "== scenario $s done (rc $rc)"
done
# disarm everything: nothing may fail after the scenarios
for sid in $A_SID $P0_SID $P1_SID; do atc_select "$sid"; devmem $REG_ATCINJ_COUNT 32 0; done
echo 0 >$T/tracing_on
cat $T/trace >"$R/trace.txt"
say "done"
exit 0
