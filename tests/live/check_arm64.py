#!/usr/bin/env python3
"""Assertions on one arm64 guest run of tests/live/arm64-scenario.sh.

Usage: check_arm64.py RESULTS_DIR KERNEL [SYNC_SLOT]
RESULTS_DIR holds check.txt, live.ndjson, live.err (smmutrace -v), live.rc.
"""
import json
import os
import re
import sys

res, kernel = sys.argv[1], sys.argv[2]
sync_slot = len(sys.argv) > 3 and sys.argv[3] not in ("", "0")
failed = 0
passed = 0


def check(cond, what):
    global failed, passed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"  FAIL: {what}")
    return cond


def read(name):
    with open(os.path.join(res, name), errors="replace") as f:
        return f.read()


check_txt = read("check.txt")
err = read("live.err")
recs = [json.loads(line) for line in read("live.ndjson").splitlines() if line.strip()]
ver = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", kernel).groups())
v612 = ver >= (6, 12)

check("rc=0" in check_txt, "check exit status 0")
check("mode:         full" in check_txt, "check plans full mode")
check(read("live.rc").strip() == "rc=0", "live run ended by SIGINT with exit status 0")
check("smmutrace: mode: full" in err, "live ran in full mode")

isr = "__arm_smmu_cmdq_skip_err" if v612 else "arm_smmu_gerror_handler"
for what, target in (("issuer entry", "arm_smmu_cmdq_issue_cmdlist"),
                     ("issuer return", "arm_smmu_cmdq_issue_cmdlist"),
                     ("error interrupt", isr), ("error interrupt return", isr),
                     ("SID -> device", "arm_smmu_atc_inv_master.isra.0"),
                     ("driver log text", "console")):
    check(re.search(rf"^  {re.escape(what)} +\S+ +{re.escape(target)} +attached", err, re.M),
          f"{what} attached to {target}")
slot_line = re.search(r"^  issuer sync slot .*$", err, re.M)
check(slot_line and (("attached" in slot_line.group(0)) == sync_slot),
      f"sync-slot probe attached only on request ({sync_slot})")

# SID -> device from the stream rb-tree walk: the test disk behind the SMMU
sids = dict(re.findall(r"bpf sid \S+ (0x[0-9a-f]+) -> (\S+)", err))
check(len(sids) >= 1 and all(re.match(r"0000:00:0[0-9a-f]\.0$", d) for d in sids.values()),
      f"stream tree mapped SIDs to PCI devices: {sids}")

# the injected illegal command: the walk found a zeroed slot at CONS
walks = re.findall(r"bpf walk \S+ cons=(0x[0-9a-f]+) shift=(\d+) slot=(0x[0-9a-f]+) stop=(\d)",
                   err)
incs = [r for r in recs if r["type"] == "incident"]
ill = [i for i in incs if i["kind"] == "illegal_command"]
if check(len(walks) == 1 and len(ill) == 1, f"one queue walk ({walks}), one illegal command"):
    cons, shift, slot, stop = walks[0]
    check(int(cons, 16) == ill[0]["cons"] and shift == "16",
          "walk at the incident's CONS with the queue's max_n_shift")
    check(int(slot, 16) == 0 and stop == "3", "walk: zeroed slot, stop=NOT_SYNC")

# the software timeout: an issuer in hard IRQ context got -ETIMEDOUT after ~1 s
timeouts = [m for m in re.finditer(r"bpf issue .* ctx=(\d) pid=(\d+) comm=(\S+) .* ret=(-?\d+) "
                                   r"dur=(\d+)ns prod=(0x[0-9a-f]+)\.\.(0x[0-9a-f]+) "
                                   r"sync_prod=(0x[0-9a-f]+) .* why=(0x[0-9a-f]+)", err)
            if m.group(4) == "-110"]
if check(timeouts, "an issuer record with ret=-110"):
    t = timeouts[0]
    # the unmap runs in the disk's completion IRQ: comm is whichever task it interrupted
    check(t.group(1) == "2", f"issuer context hardirq (interrupted task {t.group(3)})")
    check(int(t.group(5)) > 900_000_000, "issuer waited about 1 s")
    check(int(t.group(9), 16) & 0x5 == 0x5, "emitted because of ret and slowness")
    sp, lo, hi = int(t.group(8), 16), int(t.group(6), 16), int(t.group(7), 16)
    if sync_slot:
        check(lo < sp <= hi, f"exact sync slot {sp:#x} inside the prod window {lo:#x}..{hi:#x}")
        # CONS polling (no MSI here) prints the queue's shared prod, read after
        # our CMD_SYNC was queued: the slot lies between the stalled CONS and it
        m = re.search(r"CMD_SYNC timeout at (0x[0-9a-f]+) \[hwprod 0x[0-9a-f]+, "
                      r"hwcons (0x[0-9a-f]+)\]", err)
        if check(m, "the driver's CMD_SYNC timeout line"):
            printed, hwcons = int(m.group(1), 16), int(m.group(2), 16)
            check(hwcons < sp < printed,
                  f"sync slot {sp:#x} between hwcons {hwcons:#x} and the printed {printed:#x}")
    else:
        check(sp == 0xffffffff, "no sync slot without the extra probe")
sto = [i for i in incs if i["kind"] == "sync_timeout"]
check(any(any(s["ret"] == -110 and s["context"] == "hardirq" for s in i["issuers"])
          for i in sto), "a sync_timeout incident names its issuer (hardirq, -110)")

# per-SMMU issuer statistics from the per-CPU maps
sums = [r for r in recs if r["type"] == "summary"]
if check(sums and sums[-1]["final"], "final summary"):
    st = sums[-1]["smmus"][0].get("issuer") if sums[-1]["smmus"] else None
    if check(st is not None, "issuer statistics in the summary"):
        check(st["calls"] > 1000 and st["sync_calls"] == st["calls"], f"calls {st['calls']}")
        check(st["commands"].get("TLBI_NH_VA", 0) > 0, "TLBI_NH_VA counted")
        check(sum(st["sync_latency_log2_ns"]) == st["sync_calls"], "histogram holds every sync")
        check(st["failed_calls"] >= 1, "the timed-out call counted as failed")
        check(st["contexts"]["hardirq"] > 0, "hard-IRQ issuers counted")
    check(sums[-1]["lost"]["ringbuf"] == 0 and sums[-1]["lost"]["map_full"] == 0, "nothing lost")

print(f"  {kernel}{' sync-slot' if sync_slot else ''}: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
