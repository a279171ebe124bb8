#!/usr/bin/env python3
"""Self-test of the e2e checker on the run it just checked.

    mutate.py RESULTS_DIR          the scenarios of check.py
    mutate.py --atc RESULTS_DIR    the ATC scenarios of check_atc.py

Each mutation takes a copy of a results directory that passed, breaks one
thing smmutrace or the kernel said (a wrong CONS, a lost issuer, a wrong
context, a dropped kernel line...), and runs check.py's scenario on it: the
scenario must now FAIL.  A mutation the checker lets through is a check that
cannot fail, and fails this script.
"""
import importlib.util
import io
import json
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("e2e_check", os.path.join(HERE, "check.py"))
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)
spec = importlib.util.spec_from_file_location("e2e_check_atc", os.path.join(HERE, "check_atc.py"))
check_atc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_atc)


def edit_records(d, name, fn):
    """fn(list of records) edits them in place"""
    path = os.path.join(d, name + ".ndjson")
    recs = [json.loads(l) for l in open(path) if l.strip()]
    fn(recs)
    with open(path, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


def incidents(recs, kind):
    return [r for r in recs if r.get("type") == "incident" and r.get("kind") == kind]


def summary_issuer(recs):
    return recs[-1]["smmus"][0]["issuer"]


def first_issuer(recs):
    return incidents(recs, "sync_timeout")[0]["issuers"][0]


def drop_dmesg(d, needle):
    path = os.path.join(d, "dmesg.txt")
    lines = open(path).read().splitlines(True)
    open(path, "w").write("".join(l for l in lines if needle not in l))


def add_incident(recs):
    inc = dict(incidents([json.loads(l) for l in open(SAMPLE_ILLEGAL)], "illegal_command")[0])
    recs.insert(0, inc)


def setf(d, name, key, value):
    path = os.path.join(d, name + ".facts")
    lines = [l for l in open(path).read().splitlines() if not l.startswith(key + "=")]
    open(path, "w").write("\n".join(lines + ["%s=%s" % (key, value)]) + "\n")


MUTATIONS = [
    ("traffic", "an incident appears in a quiet run", lambda d: edit_records(d, "traffic", add_incident)),
    ("traffic", "one call too many", lambda d: edit_records(
        d, "traffic", lambda r: summary_issuer(r).__setitem__("calls", summary_issuer(r)["calls"] + 1))),
    ("traffic", "hard-IRQ calls counted as task context", lambda d: edit_records(
        d, "traffic", lambda r: summary_issuer(r)["contexts"].update(
            task=summary_issuer(r)["contexts"]["hardirq"], hardirq=0))),
    ("traffic", "TLBI_NH_VA count off", lambda d: edit_records(
        d, "traffic", lambda r: summary_issuer(r)["commands"].__setitem__(
            "TLBI_NH_VA", summary_issuer(r)["commands"].get("TLBI_NH_VA", 0) // 2))),
    ("traffic", "a ring-buffer drop", lambda d: edit_records(
        d, "traffic", lambda r: r[-1]["lost"].__setitem__("ringbuf", 1))),
    ("traffic", "smmutrace exits non-zero", lambda d: open(os.path.join(d, "traffic.rc"), "w").write("1\n")),
    ("traffic", "a record breaks the schema", lambda d: edit_records(
        d, "traffic", lambda r: r[-1].__setitem__("schema", 2))),
    ("sw_timeout", "issuer returned 0", lambda d: edit_records(
        d, "sw_timeout", lambda r: first_issuer(r).__setitem__("ret", 0))),
    ("sw_timeout", "the next call, which got 0, named as an issuer too", lambda d: edit_records(
        d, "sw_timeout", lambda r: incidents(r, "sync_timeout")[0]["issuers"].append(
            dict(first_issuer(r), ret=0)))),
    ("sw_timeout", "no issuer named", lambda d: edit_records(
        d, "sw_timeout", lambda r: incidents(r, "sync_timeout")[0].__setitem__("issuers", []))),
    ("sw_timeout", "wait under 1 s", lambda d: edit_records(
        d, "sw_timeout", lambda r: first_issuer(r).__setitem__("duration_ns", 999_000_000))),
    ("sw_timeout", "wrong context", lambda d: edit_records(
        d, "sw_timeout", lambda r: first_issuer(r).__setitem__("context", "softirq"))),
    ("sw_timeout", "wrong CPU", lambda d: edit_records(
        d, "sw_timeout", lambda r: first_issuer(r).__setitem__("cpu", first_issuer(r)["cpu"] ^ 1))),
    ("sw_timeout", "queue position off by one", lambda d: edit_records(
        d, "sw_timeout", lambda r: incidents(r, "sync_timeout")[0].__setitem__(
            "prod", incidents(r, "sync_timeout")[0]["prod"] + 1))),
    ("sw_timeout", "issuer's CMD_SYNC slot past the printed prod", lambda d: edit_records(
        d, "sw_timeout", lambda r: first_issuer(r).__setitem__(
            "sync_prod", incidents(r, "sync_timeout")[0]["prod"] + 5))),
    ("sw_timeout", "the kernel printed no timeout", lambda d: drop_dmesg(d, "CMD_SYNC timeout at")),
    ("sw_timeout", "an incident too many", lambda d: edit_records(
        d, "sw_timeout", lambda r: r.insert(0, dict(incidents(r, "sync_timeout")[0], id=99)))),
    ("illegal", "CONS off by one", lambda d: edit_records(
        d, "illegal", lambda r: incidents(r, "illegal_command")[0].__setitem__(
            "cons", incidents(r, "illegal_command")[0]["cons"] + 1))),
    ("illegal", "wrong SMMU", lambda d: edit_records(
        d, "illegal", lambda r: incidents(r, "illegal_command")[0].__setitem__("smmu", "arm-smmu-v3.0.auto"))),
    ("illegal", "skipped command misdecoded", lambda d: edit_records(
        d, "illegal", lambda r: incidents(r, "illegal_command")[0]["skipped_command"].update(dw0=0x46, opcode=0x46))),
    ("illegal", "incident missing", lambda d: edit_records(
        d, "illegal", lambda r: r.remove(incidents(r, "illegal_command")[0]))),
    ("illegal", "the kernel printed no CMDQ error", lambda d: drop_dmesg(d, "CMDQ error")),
    ("illegal", "disk dead afterwards", lambda d: setf(d, "illegal", "health_rc", "1")),
    ("attach", "error-interrupt probe on the wrong function", lambda d: open(
        os.path.join(d, "kallsyms.txt"), "a").write("T __arm_smmu_cmdq_skip_err\n")
     if "__arm_smmu_cmdq_skip_err" not in open(os.path.join(d, "kallsyms.txt")).read()
     else drop_kallsyms(d, "__arm_smmu_cmdq_skip_err")),
    ("attach", "issuer entry in the other flavour", lambda d: flip_kind(d, "traffic.err", "issuer entry")),
    ("attach", "issuer return in the other flavour", lambda d: flip_kind(d, "traffic.err", "issuer return")),
    ("attach", "check plans another flavour than live used", lambda d: flip_kind(d, "check.txt", "error interrupt")),
    ("attach", "the kernel config says the opposite about direct calls", lambda d: (
        drop_kconfig(d, "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS"),
        open(os.path.join(d, "kconfig.txt"), "a").write("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y\n"))
     if "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y" not in open(os.path.join(d, "kconfig.txt")).read()
     else drop_kconfig(d, "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS")),
    ("attach", "forced fentry: the error interrupt ends in the other flavour",
     lambda d: flip_kind(d, "forced.err", "error interrupt")),
    ("attach", "check --no-fentry still plans fentry somewhere",
     lambda d: flip_kind(d, "check-no-fentry.txt", "issuer entry")),
    ("attach", "check reports the other series semantics", lambda d: flip_series(d)),
    ("attach", "the driver's atc_sync_errno is not the boot's setting",
     lambda d: setf(d, "setup", "atc_sync_errno", "7")),
]


def flip_series(d):
    path = os.path.join(d, "check.txt")
    text = open(path).read()
    a, b = "series:       atc_sync_timeouts bitmap", "series:       no atc_sync_timeouts bitmap"
    open(path, "w").write(text.replace(b, "\0").replace(a, b).replace("\0", a))


def atc(recs):
    return incidents(recs, "atc_timeout")


def truth(d, name):
    return json.load(open(os.path.join(d, name + ".truth.json")))


def edit_truth(d, name, fn):
    t = truth(d, name)
    fn(t)
    json.dump(t, open(os.path.join(d, name + ".truth.json"), "w"))


def blame_innocent(d, name):
    """a confirmed/probable incident names an innocent device instead"""
    bad = truth(d, name)["innocent_devices"][0]

    def fn(recs):
        r = [i for i in atc(recs) if i["confidence"] in ("confirmed", "probable")][0]
        r["suspects"][0]["device"] = bad
        if r.get("likely_culprit"):
            r["likely_culprit"]["device"] = bad
    edit_records(d, name, fn)


def swap_first_two(recs):
    i = [k for k, r in enumerate(recs) if r.get("type") == "incident"][:2]
    recs[i[0]], recs[i[1]] = recs[i[1]], recs[i[0]]


def innocent_culprit(d, name):
    bad = truth(d, name)["innocent_devices"][0]

    def fn(recs):
        devs = recs[-1]["devices"]
        hit = [x for x in devs if x["device"] == bad]
        if hit:
            hit[0]["verdict"] = "culprit"
        else:
            devs.append(dict(devs[0], device=bad, verdict="culprit"))
    edit_records(d, name, fn)


def with_sw(recs):
    return [r for r in atc(recs) if r.get("sw_timeouts")]


ATC_MUTATIONS = [
    ("atc_single", "an innocent device blamed", lambda d: blame_innocent(d, "atc_single")),
    ("atc_single", "an incident missing", lambda d: edit_records(
        d, "atc_single", lambda r: r.remove(atc(r)[0]))),
    ("atc_single", "incidents out of order", lambda d: edit_records(d, "atc_single", swap_first_two)),
    ("atc_single", "the issuer said to be told", lambda d: edit_records(
        d, "atc_single", lambda r: atc(r)[0].__setitem__("issuer_notified", True))),
    ("atc_single", "the issuer on the wrong CPU", lambda d: edit_records(
        d, "atc_single", lambda r: atc(r)[0]["issuers"][0].__setitem__("cpu", atc(r)[0]["issuers"][0]["cpu"] ^ 1))),
    ("atc_single", "the issuer in task context", lambda d: edit_records(
        d, "atc_single", lambda r: atc(r)[0]["issuers"][0].__setitem__("context", "task"))),
    ("atc_single", "CMD_SYNC index off by one", lambda d: edit_records(
        d, "atc_single", lambda r: atc(r)[0].__setitem__("idx", atc(r)[0]["idx"] + 1))),
    ("atc_single", "the kernel printed no ATC timeout", lambda d: drop_dmesg(d, "ATC invalidate timeout")),
    ("atc_single", "no ATC_INV reached the SMMU for the faulty SID", lambda d: edit_truth(
        d, "atc_single", lambda t: t["atc_inv_per_sid"].__setitem__(str(t["faulty_sids"][0]), 0))),
    ("atc_single", "smmutrace counted no ATC_INV", lambda d: edit_records(
        d, "atc_single", lambda r: summary_issuer(r)["commands"].__setitem__("ATC_INV", 0))),
    ("atc_two_devices", "an ambiguous incident raised to confirmed", lambda d: edit_records(
        d, "atc_two_devices", lambda r: [i for i in atc(r) if len(i["suspects"]) > 1][0].__setitem__(
            "confidence", "confirmed"))),
    ("atc_two_devices", "the shared partner made the culprit", lambda d: innocent_culprit(d, "atc_two_devices")),
    ("atc_two_devices", "the shared partner not cleared", lambda d: edit_records(
        d, "atc_two_devices", lambda r: [x.__setitem__("verdict", "possible") for x in r[-1]["devices"]
                                         if x["device"] in truth(d, "atc_two_devices")["shared_with"]])),
    ("atc_two_devices", "a shared batch names a culprit the narrowing did not single out",
     lambda d: edit_records(d, "atc_two_devices", lambda r: shared(r).__setitem__(
         "likely_culprit", {"sid": 0, "device": truth(d, "atc_two_devices")["faulty_devices"][0], "score": 1.0}))),
    ("hw_before_sw", "the measured wait shorter than the SMMU's delay", lambda d: edit_records(
        d, "hw_before_sw", lambda r: atc(r)[0].__setitem__("detect_ns", 1000))),
    ("hw_before_sw", "the held-off interrupt not reported", lambda d: edit_records(
        d, "hw_before_sw", lambda r: with_sw(r)[0].__setitem__("irq_held_ns", None))),
    ("hw_before_sw", "a timeout line not counted", lambda d: edit_records(
        d, "hw_before_sw", lambda r: with_sw(r)[0].__setitem__("sw_timeouts", with_sw(r)[0]["sw_timeouts"] - 1))),
    ("sw_before_hw", "the SMMU said to fire first", lambda d: edit_records(
        d, "sw_before_hw", lambda r: atc(r)[0].__setitem__("fired_first", "smmu"))),
    ("sw_before_hw", "a collateral timeout not linked", lambda d: edit_records(
        d, "sw_before_hw", lambda r: incidents(r, "sync_timeout")[0].__setitem__("blocked_by", None))),
    ("atc_repeated", "the model failed fewer CMD_SYNCs than armed", lambda d: edit_truth(
        d, "atc_repeated", lambda t: t.__setitem__("cmd_sync_failed", t["count"] - 1))),
    ("atc_repeated", "the faulty device not singled out", lambda d: edit_records(
        d, "atc_repeated", lambda r: [x.__setitem__("verdict", "possible") for x in r[-1]["devices"]])),
]


def flip_kind(d, name, what):
    """the probe table line of `what` in NAME.err (or NAME): the other flavour"""
    path = os.path.join(d, name)
    swap = {"fentry": "kprobe", "kprobe": "fentry", "fexit": "kretprobe", "kretprobe": "fexit"}
    line_re = re.compile(r"^(  %s\s+)(fentry|fexit|kprobe|kretprobe)(\s.*)$" % re.escape(what), re.S)
    out = []
    for line in open(path).read().splitlines(True):
        m = line_re.match(line)
        out.append(m.group(1) + swap[m.group(2)] + m.group(3) if m else line)
    open(path, "w").write("".join(out))


def drop_kconfig(d, opt):
    path = os.path.join(d, "kconfig.txt")
    open(path, "w").write("".join(l for l in open(path) if not l.startswith(opt + "=")))


def drop_kallsyms(d, sym):
    path = os.path.join(d, "kallsyms.txt")
    open(path, "w").write("".join(l for l in open(path) if sym not in l))


SAMPLE_ILLEGAL = None


def first_bitmap(recs):
    """the first incident the patched driver's bitmap confirmed"""
    return [r for r in atc(recs) if (r.get("queue_walk") or {}).get("bitmap") and not r.get("sw_timeouts")][0]


def other_errno(recs):
    r = first_bitmap(recs)
    for i in r["issuers"]:
        i["ret"] = {-110: -5, -5: -110}.get(i["ret"], i["ret"])


def stale_incident(recs):
    return [r for r in atc(recs) if "stale_bitmap" in (r.get("flags") or [])][0]


def shared(recs):
    """the first incident whose batch held several devices"""
    return [i for i in atc(recs) if len({s["device"] for s in i["suspects"]}) > 1][0]


def left_incident(recs):
    return [r for r in atc(recs) if "bitmap_left_set" in (r.get("flags") or [])][0]


def unflag_left(recs):
    r = left_incident(recs)
    r["flags"] = [f for f in r["flags"] if f != "bitmap_left_set"]


def other_semantics(recs):
    r = first_bitmap(recs)
    r["atc_sync_bitmap"]["semantics"] = {"v2": "v3", "v3": "v2"}[r["atc_sync_bitmap"]["semantics"]]


def blame_claimer(d):
    dev = truth(d, "sw_before_hw")["stale_claim_device"]

    def fn(recs):
        r = stale_incident(recs)
        r["confidence"] = "probable"
        r["likely_culprit"] = {"sid": 0, "device": dev, "score": 1.0}
    edit_records(d, "sw_before_hw", fn)


# the rig's patched kernel (truth kernel_variant v2/v3): the bitmap path
ATC_BITMAP_MUTATIONS = [
    ("atc_single", "the bitmap's evidence dropped", lambda d: edit_records(
        d, "atc_single", lambda r: [x.__setitem__("evidence", [e for e in x["evidence"] if e != "atc_sync_bitmap"])
                                    for x in first_bitmap(r)["suspects"]])),
    ("atc_single", "the issuer got the other semantics' error", lambda d: edit_records(d, "atc_single", other_errno)),
    ("atc_single", "the bit not read at the error interrupt", lambda d: edit_records(
        d, "atc_single", lambda r: first_bitmap(r)["queue_walk"].__setitem__("bitmap", False))),
    ("atc_single", "the kernel printed no bitmap line", lambda d: drop_dmesg(d, "CMD_SYNC for ATC_INV timeout at prod=")),
    ("sw_before_hw", "a leftover bit's claim blamed on the device that claimed it", blame_claimer),
    ("sw_before_hw", "a leftover bit's claim not flagged", lambda d: edit_records(
        d, "sw_before_hw", lambda r: stale_incident(r).__setitem__("flags", []))),
    ("atc_single", "the other version's semantics reported", lambda d: edit_records(d, "atc_single", other_semantics)),
    ("atc_single", "a told issuer's bit said to be left set", lambda d: edit_records(
        d, "atc_single", lambda r: first_bitmap(r)["flags"].append("bitmap_left_set"))),
    ("atc_single", "the summary's semantics of the other version", lambda d: edit_records(
        d, "atc_single", lambda r: r[-1]["smmus"][0]["atc_sync_bitmap"].__setitem__(
            "semantics", {"v2": "v3", "v3": "v2"}[r[-1]["smmus"][0]["atc_sync_bitmap"]["semantics"]]))),
    ("atc_two_devices", "a shared batch's failure not confirmed by its bit", lambda d: edit_records(
        d, "atc_two_devices", lambda r: shared(r)["atc_sync_bitmap"].__setitem__("failed", None))),
    ("hw_before_sw", "the bit the held-off interrupt left not reported", lambda d: edit_records(
        d, "hw_before_sw", unflag_left)),
    ("sw_before_hw", "the bit left set not reported", lambda d: edit_records(d, "sw_before_hw", unflag_left)),
    ("sw_before_hw", "a leftover bit's claim not linked to the incident that left it", lambda d: edit_records(
        d, "sw_before_hw", lambda r: stale_incident(r).__setitem__("stale_from", None))),
    ("sw_before_hw", "a leftover bit's claim linked to the wrong incident", lambda d: edit_records(
        d, "sw_before_hw", lambda r: stale_incident(r).__setitem__("stale_from", (stale_incident(r).get("stale_from") or 0) + 1))),
    ("sw_before_hw", "the bit left set never claimed in the run", lambda d: edit_truth(
        d, "sw_before_hw", lambda t: t.__setitem__("stale_claim_slots", []))),
]
# stock semantics only: with the bitmap the issuer is told
ATC_STOCK_ONLY = ("the issuer said to be told",)


def atc_mutations(res):
    try:
        variant = truth(res, "atc_single").get("kernel_variant", "stock")
    except (OSError, ValueError):
        variant = "stock"
    if variant == "stock":
        return ATC_MUTATIONS
    return [m for m in ATC_MUTATIONS if m[1] not in ATC_STOCK_ONLY] + ATC_BITMAP_MUTATIONS


def main():
    global SAMPLE_ILLEGAL
    atc_mode = sys.argv[1] == "--atc"
    res = sys.argv[2] if atc_mode else sys.argv[1]
    checker, mutations = (check_atc, atc_mutations(res)) if atc_mode else (check, MUTATIONS)
    base = checker.run(res, out=io.StringIO())
    if any(v["result"] != "PASS" for v in base.values()):
        print("  MUTATE   skipped: the run itself did not pass")
        return 0
    SAMPLE_ILLEGAL = os.path.join(res, "illegal.ndjson")
    caught, missed = 0, []
    for scen, what, fn in mutations:
        tmp = tempfile.mkdtemp(prefix="e2e-mutate.")
        try:
            d = os.path.join(tmp, "r")
            shutil.copytree(res, d)
            fn(d)
            v = checker.run(d, [scen], out=io.StringIO())
            if v[scen]["result"] == "FAIL":
                caught += 1
            else:
                missed.append("%s: %s" % (scen, what))
        finally:
            shutil.rmtree(tmp)
    print("  MUTATE   %d of %d broken copies of this run caught by the checker" % (caught, len(mutations)))
    for m in missed:
        print("  MUTATE   NOT CAUGHT: %s" % m)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
