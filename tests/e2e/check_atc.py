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
ATC_LINE = re.compile(r"CMDQ error \(cons 0x([0-9a-f]+)\): ATC invalidate timeout$")
SCENARIOS = ("atc_single", "atc_two_devices", "hw_before_sw", "sw_before_hw", "atc_repeated")


def named(inc):
    """devices an incident puts forward: its suspects and its likely culprit"""
    devs = {s.get("device") or "sid 0x%x" % (s.get("sid") or 0) for s in inc.get("suspects") or []}
    lc = inc.get("likely_culprit")
    if lc:
        devs.add(lc.get("device") or "sid 0x%x" % (lc.get("sid") or 0))
    return devs


def truth_checks(sc, recs, truth):
    """what smmutrace said against what the guest injected (no kernel log needed)"""
    faulty = set(truth["faulty_devices"])
    innocent = set(truth.get("innocent_devices", []))
    delay_ns = truth["delay_us"] * 1000
    incs = [r for r in recs if r.get("type") == "incident"]
    atc = [r for r in incs if r.get("kind") == "atc_timeout"]
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
        else:
            sc.check(r.get("issuer_notified") is False,
                     "%s: the issuer got 0 back: not told (unpatched kernel)" % what,
                     "issuer_notified %s" % r.get("issuer_notified"))
        if first == "smmu" and r.get("sw_timeouts"):
            sc.check((r.get("irq_held_ns") or 0) > 0,
                     "%s: CONS showed the error in a timeout line: interrupt held off %s ns" % (
                         what, r.get("irq_held_ns")))
    atc_ids = {r.get("id") for r in atc}
    for r in incs:
        if r.get("kind") == "sync_timeout":
            sc.check("collateral" in (r.get("flags") or []) and r.get("blocked_by") in atc_ids,
                     "sync_timeout #%s queued behind an ATC timeout (blocked_by %s)" % (
                         r.get("id"), r.get("blocked_by")))
    summ = recs[-1] if recs and recs[-1].get("type") == "summary" else {}
    devs = {d.get("device"): d for d in summ.get("devices", [])}
    for d in sorted(faulty):
        v = (devs.get(d) or {}).get("verdict")
        sc.check(v in ("culprit", "likely"), "verdict for faulty %s: %s" % (d, v))
    for d in sorted(innocent):
        v = (devs.get(d) or {}).get("verdict")
        sc.check(v not in ("culprit", "likely"), "verdict for innocent %s: %s" % (d, v or "none"))
    return atc


def kernel_checks(sc, res, name, recs, truth, ctx):
    """the kernel's own lines and counters of the same run"""
    sec = [t for _, t in check.section(ctx["dmesg"], name)]
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
    atc = [r for r in recs if r.get("type") == "incident" and r.get("kind") == "atc_timeout"]
    sc.check(sorted(r.get("cons") for r in atc) == sorted(errs),
             "one atc_timeout incident per kernel line, at its CONS (%s)" % ",".join("0x%08x" % c for c in errs),
             "incidents at %s" % [hex(r.get("cons") or 0) for r in atc])
    mask = (2 << ctx["shift"]) - 1
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
    sc.note("%d atc_timeout (%d confirmed/probable) on %s; first %s; wait %s" % (
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
