#!/usr/bin/env python3
"""Host-side assertions of the ATC scenarios of `make e2e` (one boot, one kernel).

    check_atc.py RESULTS_DIR [--scenarios a,b]
    check_atc.py --replay NDJSON TRUTH     (truth checks only: tests/cli)

RESULTS_DIR is what tests/e2e/guest/atc.sh left: per scenario smmutrace's
NDJSON, its capture, the scenario's truth file (NAME.truth.json: what the
guest injected into our SMMU model and what the model counted), the facts,
the kernel log (dmesg.txt, split at the SMMUTRACE-E2E markers), the tracefs
record and counters (as check.py reads them).

Every expected value comes from the run: the truth file (faulty SIDs and
devices, the SMMU's delay, how many CMD_SYNCs the model failed, how many
ATC_INVs reached it per SID) and the kernel's own lines and counters.  The
1 s is the driver's poll limit (ARM_SMMU_POLL_TIMEOUT_US), not a guess.

On the rig's patched kernel (truth: kernel_variant v2 or v3) the issuer of a
failing CMD_SYNC is told through the bitmap: -ETIMEDOUT (v2) or -EIO (v3)
within the poll, the kernel's "CMD_SYNC for ATC_INV timeout at prod=" line
at that CMD_SYNC, and smmutrace's incident confirmed by the bitmap, saying
which semantics it saw.  Where the issuer had given up before the error
interrupt ran (the driver's 1 s timeout fired first, or the interrupt was
held off) the bit stays set: smmutrace must say so when it is set
(bitmap_left_set), and when a later CMD_SYNC in that slot is failed by it
(the kernel's bitmap line with no error of its own) flag that incident
stale_bitmap, link it to the incident that left the bit (stale_from) and
blame nobody.

The rule for a batch of several devices (all kernels): the failure of the
CMD_SYNC may be certain (on the patched kernel the bit says so), but the
bit names a CMD_SYNC, not one of its ATC_INVs: such an incident is
"suspect" with every device of the batch, and names a likely culprit only
when the narrowing across incidents singled it out ("narrowed").  A device
alone in a confirmed incident is the culprit, and a device seen only in
failing batches that also held that culprit is cleared.

Writes RESULTS_DIR/verdict.json; exit 0 only if every scenario passed.
"""
import importlib.util
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("e2e_check", os.path.join(HERE, "check.py"))
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)

SEC = check.SEC
SW_POLL_NS = SEC                 # the driver's CMD_SYNC poll limit
CONF_OK = ("confirmed", "probable")
SW_LINE = re.compile(r"CMD_SYNC timeout at 0x([0-9a-f]+) \[hwprod 0x([0-9a-f]+), hwcons 0x([0-9a-f]+)\]$")
BITMAP_LINE = re.compile(r"CMD_SYNC for ATC_INV timeout at prod=0x([0-9a-f]+)$")
ERRNO = {"v2": -110, "v3": -5}   # the patch's -ETIMEDOUT / -EIO
ATC_LINE = re.compile(r"CMDQ error \(cons 0x([0-9a-f]+)\): ATC invalidate timeout$")
SCENARIOS = ("atc_single", "atc_two_devices", "hw_before_sw", "sw_before_hw", "atc_repeated")


def named(inc):
    """devices an incident puts forward: its suspects and its likely culprit"""
    devs = {s.get("device") or "sid 0x%x" % (s.get("sid") or 0) for s in inc.get("suspects") or []}
    lc = inc.get("likely_culprit")
    if lc:
        devs.add(lc.get("device") or "sid 0x%x" % (lc.get("sid") or 0))
    return devs


def stale(r):
    return "stale_bitmap" in (r.get("flags") or [])


def patched(truth):
    return truth.get("kernel_variant", "stock") in ERRNO


def flagged(r, flag):
    return flag in (r.get("flags") or [])


def bm(r):
    return r.get("atc_sync_bitmap") or {}


def devices(r):
    return {s.get("device") or "sid 0x%x" % (s.get("sid") or 0) for s in r.get("suspects") or []}


def posmask(incs):
    shift = next((r["max_n_shift"] for r in incs if r.get("max_n_shift")), None)
    return (2 << shift) - 1 if shift else 0xffffffff


def shared_batch_rule(sc, atc, truth, summ):
    """a batch of several devices: the failure certain, the device not"""
    faulty = set(truth["faulty_devices"])
    for r in (r for r in atc if len(devices(r)) > 1):
        what = "incident #%s (batch of %s)" % (r.get("id"), ",".join(sorted(devices(r))))
        sc.check(r.get("confidence") == "suspect",
                 "%s: several devices, none singled out by this batch: suspect" % what,
                 "confidence %s" % r.get("confidence"))
        lc = (r.get("likely_culprit") or {}).get("device")
        sc.check(lc is None or (flagged(r, "narrowed") and lc in faulty),
                 "%s: a likely culprit only from the narrowing, and only a faulty device" % what,
                 "likely culprit %s, flags %s" % (lc, r.get("flags")))
        if patched(truth):
            sc.check(bm(r).get("failed") is True,
                     "%s: the bitmap's confirmation that this CMD_SYNC failed is shown" % what,
                     "atc_sync_bitmap %s" % r.get("atc_sync_bitmap"))
            ev = [s.get("evidence") or [] for s in r.get("suspects") or []]
            sc.check(all("atc_sync_bitmap" in e for e in ev),
                     "%s: every device of the marked batch carries atc_sync_bitmap evidence" % what,
                     str(ev))
    devs = {d.get("device"): d for d in summ.get("devices", [])}
    culprits = {next(iter(devices(r))) for r in atc
                if r.get("confidence") == "confirmed" and len(devices(r)) == 1} & faulty
    for d in sorted(culprits):
        sc.check((devs.get(d) or {}).get("verdict") == "culprit",
                 "verdict for %s, alone in a confirmed incident: culprit" % d,
                 "verdict %s" % (devs.get(d) or {}).get("verdict"))
    sets = [devices(r) for r in atc if r.get("suspects")]
    for d in sorted(set(truth.get("innocent_devices", [])) & set().union(*sets or [set()])):
        if all(st & culprits for st in sets if d in st):
            sc.check((devs.get(d) or {}).get("verdict") == "cleared",
                     "verdict for %s, only in failing batches with the culprit: cleared" % d,
                     "verdict %s" % (devs.get(d) or {}).get("verdict"))


def bitmap_truth(sc, incs, truth, summ):
    """what smmutrace said about the bitmap, against what the guest saw the kernel do"""
    variant = truth["kernel_variant"]
    mask = posmask(incs)
    idx = mask >> 1
    atc = [r for r in incs if r.get("kind") == "atc_timeout" and not stale(r)]
    flagged_stale = [r for r in incs if stale(r)]
    if "left_slots" in truth:
        left = sorted(p & mask for p in truth["left_slots"])
        sc.check(sorted((r.get("cons") or 0) & mask for r in atc if flagged(r, "bitmap_left_set")) == left,
                 "every bit the kernel left set (%s) is one incident flagged bitmap_left_set" % (
                     ",".join("0x%x" % p for p in left) or "none"),
                 "flagged at %s" % [hex(r.get("cons") or 0) for r in atc if flagged(r, "bitmap_left_set")])
    for r in atc:
        what = "incident #%s" % r.get("id")
        if flagged(r, "bitmap_left_set"):
            sc.check(bm(r).get("failed") is True and bm(r).get("told") is False,
                     "%s: bit left set: this CMD_SYNC failed, its issuer was not told by the bit" % what,
                     "atc_sync_bitmap %s" % r.get("atc_sync_bitmap"))
        else:
            sc.check(bm(r).get("told") is True and bm(r).get("semantics") == variant,
                     "%s: its issuer told by the bit, %s semantics seen" % (what, variant),
                     "atc_sync_bitmap %s" % r.get("atc_sync_bitmap"))
    if "stale_claim_slots" in truth:
        sc.check(sorted(p & mask for p in truth["stale_claim_slots"]) ==
                 sorted((r.get("prod") or 0) & mask for r in flagged_stale),
                 "every claim of a left bit the kernel printed (%s) is one stale_bitmap incident" % (
                     ",".join("0x%x" % p for p in truth["stale_claim_slots"]) or "none"),
                 "stale_bitmap at %s" % [hex(r.get("prod") or 0) for r in flagged_stale])
    for r in flagged_stale:
        what = "incident #%s (stale_bitmap)" % r.get("id")
        src = [x for x in atc if flagged(x, "bitmap_left_set") and x.get("id") < r.get("id") and
               (x.get("cons") or 0) & idx == (r.get("prod") or 0) & idx]
        want = src[-1].get("id") if src else None
        sc.check(r.get("stale_from") == want,
                 "%s: linked to the incident that left the bit (%s)" % (what, want),
                 "stale_from %s" % r.get("stale_from"))
        sc.check(bm(r).get("failed") is False and bm(r).get("told") is True and
                 bm(r).get("semantics") == variant,
                 "%s: a false failure its issuer was told of (%s)" % (what, variant),
                 "atc_sync_bitmap %s" % r.get("atc_sync_bitmap"))
    for s in summ.get("smmus", []):
        b = s.get("atc_sync_bitmap") or {}
        told = sum(1 for r in atc if bm(r).get("told") is True)
        want = {"semantics": variant if told or flagged_stale else None, "told": told,
                "left_set": sum(1 for r in atc if flagged(r, "bitmap_left_set")),
                "stale_claims": len(flagged_stale)}
        sc.check(b == want, "summary of %s: the bitmap's semantics and counts %s" % (s.get("smmu"), want),
                 "got %s" % s.get("atc_sync_bitmap"))


def truth_checks(sc, recs, truth):
    """what smmutrace said against what the guest injected (no kernel log needed)"""
    faulty = set(truth["faulty_devices"])
    innocent = set(truth.get("innocent_devices", []))
    delay_ns = truth["delay_us"] * 1000
    incs = [r for r in recs if r.get("type") == "incident"]
    # a stale bit's claim is no failure of this CMD_SYNC (bitmap_checks)
    atc = [r for r in incs if r.get("kind") == "atc_timeout" and not stale(r)]
    strong = [r for r in atc if r.get("confidence") in CONF_OK]
    sc.check(strong, "at least one atc_timeout incident confirmed or probable",
             str([(r.get("id"), r.get("confidence")) for r in atc]))
    for r in strong:
        sc.check(named(r) <= faulty, "incident #%s (%s) names only faulty devices %s" % (
            r.get("id"), r.get("confidence"), sorted(faulty)), "named %s" % sorted(named(r)))
    for r in atc:
        lc = (r.get("likely_culprit") or {}).get("device")
        sc.check(lc not in innocent, "incident #%s: no innocent device as likely culprit" % r.get("id"),
                 "likely culprit %s" % lc)
    ids = [r.get("id") for r in incs]
    sc.check(ids == sorted(ids), "incidents come out in order (%s)" % ids)
    for r in atc:
        what = "incident #%s" % r.get("id")
        first = r.get("fired_first")
        if delay_ns < SW_POLL_NS:
            sc.check(first == "smmu", "%s: the SMMU's timeout (%d us) fired first" % (what, truth["delay_us"]),
                     "fired_first %s" % first)
        else:
            sc.check(first == "software", "%s: the driver's 1 s timeout fired first (SMMU: %d us)" % (
                what, truth["delay_us"]), "fired_first %s" % first)
        det = r.get("detect_ns")
        # the SMMU reports no earlier than its delay after reaching the
        # CMD_SYNC (10%: the guest's timer against the BPF clock); served at
        # once unless a timeout line shows CONS already carried the error
        sc.check(det is not None and det >= delay_ns * 0.9,
                 "%s: measured wait %s ns covers the SMMU's delay %d ns" % (what, det, delay_ns))
        if first == "software" or not r.get("sw_timeouts"):
            sc.check(det is not None and det <= delay_ns + SW_POLL_NS,
                     "%s: measured wait %s ns within a second of the SMMU's delay" % (what, det))
        if r.get("sw_timeouts"):
            sc.check(r.get("issuer_notified") is True and any(
                (i.get("ret") or 0) < 0 for i in r.get("issuers") or []),
                "%s: its issuer gave up (-ETIMEDOUT): told" % what, "issuers %s" % r.get("issuers"))
        elif patched(truth):
            bitmap_told(sc, r, what, truth)
        else:
            sc.check(r.get("issuer_notified") is False,
                     "%s: the issuer got 0 back: not told (unpatched kernel)" % what,
                     "issuer_notified %s" % r.get("issuer_notified"))
        if first == "smmu" and r.get("sw_timeouts"):
            sc.check((r.get("irq_held_ns") or 0) > 0,
                     "%s: CONS showed the error in a timeout line: interrupt held off %s ns" % (
                         what, r.get("irq_held_ns")))
    summ = recs[-1] if recs and recs[-1].get("type") == "summary" else {}
    if patched(truth):
        for r in (r for r in incs if stale(r)):
            stale_blames_nobody(sc, r, innocent)
        bitmap_truth(sc, incs, truth, summ)
    shared_batch_rule(sc, atc, truth, summ)
    atc_ids = {r.get("id") for r in atc}
    for r in incs:
        if r.get("kind") == "sync_timeout":
            sc.check("collateral" in (r.get("flags") or []) and r.get("blocked_by") in atc_ids,
                     "sync_timeout #%s queued behind an ATC timeout (blocked_by %s)" % (
                         r.get("id"), r.get("blocked_by")))
    devs = {d.get("device"): d for d in summ.get("devices", [])}
    for d in sorted(faulty):
        v = (devs.get(d) or {}).get("verdict")
        sc.check(v in ("culprit", "likely"), "verdict for faulty %s: %s" % (d, v))
    for d in sorted(innocent):
        v = (devs.get(d) or {}).get("verdict")
        sc.check(v not in ("culprit", "likely"), "verdict for innocent %s: %s" % (d, v or "none"))
    return atc


def bitmap_told(sc, r, what, truth):
    """the patched driver told the issuer through the bitmap, and smmutrace saw it"""
    errno = ERRNO[truth["kernel_variant"]]
    iss = r.get("issuers") or []
    sc.check(r.get("issuer_notified") is True and any(
        i.get("ret") == errno and (i.get("duration_ns") or SW_POLL_NS) < SW_POLL_NS for i in iss),
        "%s: the bitmap told its issuer within the poll: %d (%s)" % (what, errno, truth["kernel_variant"]),
        "issuers %s" % [(i.get("ret"), i.get("duration_ns")) for i in iss])
    sc.check((r.get("queue_walk") or {}).get("bitmap") is True,
             "%s: smmutrace read the CMD_SYNC's bit set at the error interrupt" % what,
             "queue_walk %s" % r.get("queue_walk"))
    ev = {d.get("device"): d.get("evidence") or [] for d in r.get("suspects") or []}
    faulty = [d for d in truth["faulty_devices"] if d in ev]
    sc.check(faulty and all("atc_sync_bitmap" in ev[d] for d in faulty),
             "%s: the faulty device carries atc_sync_bitmap evidence" % what, "suspects %s" % ev)
    if truth["bitmap_expected"] and len(ev) == 1:
        sc.check(r.get("confidence") == "confirmed" and set(ev) <= set(truth["faulty_devices"]),
                 "%s: alone in its batch: confirmed, naming %s" % (what, ",".join(ev)),
                 "%s %s" % (r.get("confidence"), sorted(ev)))


def stale_blames_nobody(sc, r, innocent):
    what = "incident #%s (stale_bitmap)" % r.get("id")
    sc.check(r.get("confidence") not in CONF_OK and not r.get("likely_culprit"),
             "%s: a leftover bit: neither confirmed nor probable, no likely culprit" % what,
             "%s, likely culprit %s" % (r.get("confidence"), r.get("likely_culprit")))
    sc.check(not named(r) & innocent, "%s: no innocent device named" % what, str(sorted(named(r))))


def left_slots(res, name, idx_mask):
    """queue slots where bits were left set (issuer gone when the error interrupt
    ran), in this boot's scenarios up to this one, as the guest read the kernel's
    lines (truth files), or where an issuer's timeout line came first"""
    out = set()
    for n in SCENARIOS[:SCENARIOS.index(name) + 1]:
        try:
            t = json.load(open(os.path.join(res, n + ".truth.json")))
        except (OSError, ValueError):
            t = {}
        out |= {p & idx_mask for p in t.get("left_slots", [])}
        for line in check.read(os.path.join(res, n + ".ndjson"), "").splitlines():
            r = json.loads(line)
            if r.get("kind") == "atc_timeout" and r.get("sw_timeouts") and r.get("cons") is not None:
                out.add(r["cons"] & idx_mask)
    return out


# a told issuer prints its bitmap line within its 1 s poll of the error interrupt
TOLD_WITHIN_S = 1.5


def bitmap_checks(sc, res, name, recs, truth, tsec, errs, mask):
    """the patched driver's own lines against smmutrace's incidents, in one section"""
    lines, err_t = [], {}
    for ts, t in tsec:
        m = check.DRV.match(t)
        b = m and BITMAP_LINE.match(m.group(2))
        if b:
            lines.append((ts, int(b.group(1), 16)))
        a = m and ATC_LINE.match(m.group(2))
        if a:
            err_t.setdefault(int(a.group(1), 16) & mask, ts)
    incs = [r for r in recs if r.get("type") == "incident" and r.get("kind") == "atc_timeout"]
    for r in (r for r in incs if not stale(r)):
        at = (r.get("cons") or 0) & mask
        t0 = err_t.get(at)
        told = t0 is not None and any(p & mask == at and t0 <= ts <= t0 + TOLD_WITHIN_S for ts, p in lines)
        sc.check(bm(r).get("told") is told and flagged(r, "bitmap_left_set") is not told,
                 "incident #%s: the kernel %s 'CMD_SYNC for ATC_INV timeout at prod=' at its CMD_SYNC "
                 "(0x%x): %s" % (r.get("id"), "printed" if told else "printed no",
                                 at, "told" if told else "bit left set"),
                 "atc_sync_bitmap %s, flags %s" % (r.get("atc_sync_bitmap"), r.get("flags")))
        if not r.get("sw_timeouts"):
            sc.check(told, "incident #%s: no timeout line before its error: its issuer was told" % r.get("id"),
                     "lines at %s" % [hex(p) for _, p in lines])
    lines = [p for _, p in lines]
    # a bitmap line at no CMD_SYNC the SMMU failed here: a claim of a leftover bit
    claims = [p for p in lines if not any(p & mask == c & mask for c in errs)]
    stales = [r for r in incs if stale(r)]
    sc.check(sorted(p & mask for p in claims) == sorted((r.get("prod") or 0) & mask for r in stales),
             "every claim of a leftover bit (%s) is one stale_bitmap incident at that position" % (
                 ",".join("0x%x" % p for p in claims) or "none"),
             "stale_bitmap incidents at %s" % [hex(r.get("prod") or 0) for r in stales])
    left = left_slots(res, name, mask >> 1)
    for r in stales:
        sc.check((r.get("prod") or 0) & (mask >> 1) in left,
                 "incident #%s (stale_bitmap): its slot 0x%x is one whose issuer gave up before "
                 "the SMMU reported" % (r.get("id"), (r.get("prod") or 0) & (mask >> 1)),
                 "slots left set: %s" % sorted(hex(x) for x in left))
    if truth.get("left_slots"):
        sc.check(all(any(c & (mask >> 1) == p & (mask >> 1) for c in claims) for p in truth["left_slots"]),
                 "every bit this scenario left was claimed in its run by reads on %s (%d claims)" % (
                     truth["stale_claim_device"], truth["stale_claims"]),
                 "left %s, claims %s" % ([hex(p) for p in truth["left_slots"]], [hex(c) for c in claims]))
    return len(claims)


def kernel_checks(sc, res, name, recs, truth, ctx):
    """the kernel's own lines and counters of the same run"""
    tsec = check.section(ctx["dmesg"], name)
    sec = [t for _, t in tsec]
    errs, sws = [], []
    for t in sec:
        m = check.DRV.match(t)
        if not m:
            continue
        a = ATC_LINE.match(m.group(2))
        if a:
            errs.append(int(a.group(1), 16))
        s = SW_LINE.match(m.group(2))
        if s:
            sws.append((int(s.group(1), 16), int(s.group(3), 16)))
    if not sc.check(errs, "the kernel printed 'CMDQ error (cons ...): ATC invalidate timeout'",
                    "no such line between the markers"):
        return
    sc.check(len(errs) == truth["cmd_sync_failed"],
             "one kernel line per CMD_SYNC the SMMU failed (%d)" % truth["cmd_sync_failed"],
             "%d lines" % len(errs))
    mask = (2 << ctx["shift"]) - 1
    if patched(truth):
        ctx["stale_claims"] = ctx.get("stale_claims", 0) + bitmap_checks(sc, res, name, recs, truth, tsec,
                                                                         errs, mask)
    atc = [r for r in recs if r.get("type") == "incident" and r.get("kind") == "atc_timeout"
           and not stale(r)]
    sc.check(sorted(r.get("cons") for r in atc) == sorted(errs),
             "one atc_timeout incident per kernel line, at its CONS (%s)" % ",".join("0x%08x" % c for c in errs),
             "incidents at %s" % [hex(r.get("cons") or 0) for r in atc])
    k0, k3 = check.kernel_counts(res, name, 0), check.kernel_counts(res, name, 3)
    top = max(check.CONTEXTS, key=lambda c: k3["ctx." + c] - k0["ctx." + c]) if k0 and k3 else None
    for r in atc:
        what = "incident #%s" % r.get("id")
        idx, wrap = r.get("cons", 0) & ((1 << ctx["shift"]) - 1), (r.get("cons", 0) >> ctx["shift"]) & 1
        sc.check(r.get("idx") == idx and r.get("wrap") == wrap,
                 "%s: CMD_SYNC idx 0x%x wrap %d, from the kernel's CONS" % (what, idx, wrap),
                 "got idx %s wrap %s" % (r.get("idx"), r.get("wrap")))
        iss = r.get("issuers") or []
        if sc.check(iss, "%s: names its issuer" % what):
            sc.check(all(i.get("cpu") == truth["issuer_cpu"] for i in iss),
                     "%s: issuer on CPU %d, where the guest ran the reads" % (what, truth["issuer_cpu"]),
                     "cpus %s" % [i.get("cpu") for i in iss])
            sc.check(all(i.get("context") == top for i in iss),
                     "%s: issuer context %s, the kernel's own count of who issued" % (what, top),
                     "contexts %s" % [i.get("context") for i in iss])
    for r in atc:
        waited = sum(1 for _, hwcons in sws if hwcons & mask == (r.get("cons") or 0) & mask)
        sc.check(r.get("sw_timeouts") == waited,
                 "incident #%s: %d 'CMD_SYNC timeout' lines waited on its CMD_SYNC" % (r.get("id"), waited),
                 "sw_timeouts %s" % r.get("sw_timeouts"))
        if waited:
            early = any(hwcons & mask == r["cons"] & mask and (hwcons >> 24) & 0x7f for _, hwcons in sws)
            want = "smmu" if early else "software"
            sc.check(r.get("fired_first") == want,
                     "incident #%s: fired_first %s, as the kernel's hwcons %s CERROR" % (
                         r.get("id"), want, "carried" if early else "did not carry"),
                     "got %s" % r.get("fired_first"))
    sto = [r for r in recs if r.get("type") == "incident" and r.get("kind") == "sync_timeout"]
    joined = sum(1 for r in atc if r.get("sw_timeouts"))
    sc.check(len(sto) + joined == len(sws),
             "every 'CMD_SYNC timeout' line is an incident (%d)" % len(sws),
             "%d sync_timeout + %d joined" % (len(sto), joined))
    summ = check.final_summary(sc, recs)
    if not summ:
        return
    check.no_losses(sc, recs, summ)
    e = check.smmu_entry(sc, summ, ctx["smmu"], ctx["shift"])
    if e:
        sc.check(e.get("ats") is True, "the SMMU has ATS (IDR0.ATS from our model)")
        n = (e.get("issuer") or {}).get("commands", {}).get("ATC_INV", 0)
        sc.check(n > 0, "smmutrace counted the ATC_INVs the driver issued (%d)" % n)
        rets = check.nonzero_returns(check.section(ctx["trace"], name, text=lambda t: t["text"]))
        check.issuer_stats(sc, res, name, e, len(rets))


def scenario(res, sc, ctx):
    name = sc.name
    f = check.facts(res, name)
    sc.check(f.get("scenario_rc") == "0", "guest scenario ran", "rc %s" % f.get("scenario_rc"))
    sc.check(all(w == "0" for w in (f.get("wait_rc") or "x").split(",")),
             "the SMMU failed as many CMD_SYNCs as armed (wait rc %s)" % f.get("wait_rc"))
    check.rc_zero(sc, res, name)
    try:
        truth = json.load(open(os.path.join(res, name + ".truth.json")))
    except (OSError, ValueError) as e:
        sc.check(False, "the guest wrote %s.truth.json" % name, str(e))
        return
    for sid in truth["faulty_sids"]:
        sc.check(truth["atc_inv_per_sid"].get(str(sid), 0) > 0,
                 "ATC_INVs for faulty SID 0x%x reached the SMMU (%s)" % (
                     sid, truth["atc_inv_per_sid"].get(str(sid))))
    sc.check(truth["cmd_sync_failed"] == truth["count"],
             "the model failed %d CMD_SYNCs, as armed" % truth["count"], "%s" % truth["cmd_sync_failed"])
    recs = check.load_ndjson(sc, res, name)
    if recs is None:
        return
    atc = truth_checks(sc, recs, truth)
    kernel_checks(sc, res, name, recs, truth, ctx)
    strong = [r for r in atc if r.get("confidence") in CONF_OK]
    stales = [r for r in recs if r.get("type") == "incident" and stale(r)]
    sc.note("%s%d atc_timeout (%d confirmed/probable) on %s; first %s; wait %s" % (
        "%s: %d told by the bitmap, %d stale; " % (
            truth["kernel_variant"], sum(1 for r in atc if (r.get("queue_walk") or {}).get("bitmap")
                                         and not r.get("sw_timeouts")), len(stales))
        if patched(truth) else "",
        len(atc), len(strong), ",".join(truth["faulty_devices"]),
        "/".join(sorted({str(r.get("fired_first")) for r in atc})),
        "/".join("%.2f" % ((r.get("detect_ns") or 0) / SEC) for r in atc[:4]) + " s"))


TABLE = {name: scenario for name in SCENARIOS}


def run(res, names=None, out=sys.stdout):
    return check.run(res, names, out, TABLE)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--replay":
        sc = check.Scenario("replay")
        recs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
        truth_checks(sc, recs, json.load(open(sys.argv[3])))
        return 0 if sc.verdict == "PASS" else 1
    return check.main(TABLE)


if __name__ == "__main__":
    sys.exit(main())
