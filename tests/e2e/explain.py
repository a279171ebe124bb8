#!/usr/bin/env python3
"""The end of `make demo`: what happened, in plain words.

    explain.py GUEST_RESULTS REPLAY_NDJSON capture|log OUTDIR

Reads smmutrace's record of the run (its capture replayed on the host with
`smmutrace replay --json`, or the kernel log if no capture was written) and
what the kernel printed (dmesg.txt), and tells them side by side.
"""
import json
import os
import re
import sys

DRV = re.compile(r"^\[\s*[0-9.]+\]\s?arm-smmu-v3 (\S+): (.*)$")
CTX = {"hardirq": "hard-IRQ", "softirq": "softirq", "task": "task", "nmi": "NMI"}


def human_ns(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= div:
            return "%.3g %s" % (ns / div, unit)
    return "%d ns" % ns


def wrap(text, indent="    "):
    out, line = [], ""
    for w in text.split():
        if len(line) + len(w) + 1 > 92 - len(indent):
            out.append(line)
            line = w
        else:
            line = (line + " " + w).strip()
    out.append(line)
    return ("\n" + indent).join(out)


def atc_story(kern, incs, summary, facts):
    """the ATC step: the kernel's line, the device smmutrace named and why"""
    errs = [int(m.group(1), 16) for _, t in kern
            for m in [re.match(r"CMDQ error \(cons 0x([0-9a-f]+)\): ATC invalidate timeout$", t)] if m]
    if not errs:
        return "ATC invalidation timeout. The kernel printed no 'ATC invalidate timeout': the injection did not take."
    text = ("ATC invalidation timeout. Device %s stopped answering ATS invalidations; the SMMU failed "
            "the CMD_SYNC behind its ATC_INV and the kernel printed 'CMDQ error (cons 0x%08x): ATC "
            "invalidate timeout', which names no device." % (facts.get("atc_bdf", "?"), errs[0]))
    atc = [r for r in incs if r.get("kind") == "atc_timeout" and r.get("cons") == errs[0]]
    if not atc:
        return text + " smmutrace reported NO atc_timeout incident at that CONS."
    r = atc[0]
    lc = r.get("likely_culprit") or {}
    ev = sorted({e for s in r.get("suspects") or [] for e in s.get("evidence", [])})
    text += (" smmutrace named %s (StreamID 0x%x), confidence %s, from %s: %s." % (
        lc.get("device") or "nobody", lc.get("sid") or 0, r.get("confidence"),
        " and ".join(ev) or "no evidence",
        "the ATC_INVs it read back from the command queue before the failing CMD_SYNC "
        "(slot 0x%x) and the issuer's batch" % (r.get("idx") or 0)
        if "queue_walk" in ev else "the issuer's batch"))
    if facts.get("atc_bdf") and lc.get("device") == facts["atc_bdf"]:
        text += " That is the device the demo made faulty."
    iss = (r.get("issuers") or [{}])[0]
    if r.get("issuer_notified") is False:
        text += (" The issuer (%s on CPU %s, %s context) got 0 back after %s: the driver retried "
                 "the CMD_SYNC and never told it (a silent failure on unpatched kernels)." % (
                     iss.get("comm", "?"), iss.get("cpu", "?"), CTX.get(iss.get("context"), "?"),
                     human_ns(iss.get("duration_ns") or 0)))
    if r.get("fired_first") == "smmu" and r.get("detect_ns"):
        text += " The SMMU's timeout fired first, %s after the CMD_SYNC was queued." % human_ns(r["detect_ns"])
    devs = [d for d in summary.get("devices", []) if d.get("device") == lc.get("device")]
    if devs:
        text += " Verdict for the device: %s." % devs[0].get("verdict")
    return text


def main():
    res, ndjson, src, outdir = sys.argv[1:5]
    recs = [json.loads(l) for l in open(ndjson, encoding="utf-8") if l.strip()]
    incs = [r for r in recs if r.get("type") == "incident"]
    sums = [r for r in recs if r.get("type") == "summary"]
    summary = sums[-1] if sums else {}
    kern = []
    for line in open(os.path.join(res, "dmesg.txt"), encoding="utf-8", errors="replace"):
        m = DRV.match(line.rstrip("\n"))
        if m:
            kern.append((m.group(1), m.group(2)))
    facts = {}
    if os.path.exists(os.path.join(res, "demo.facts")):
        for line in open(os.path.join(res, "demo.facts")):
            k, _, v = line.strip().partition("=")
            facts[k] = v
    shift = next((int(m.group(1)).bit_length() - 1 for _, t in kern
                  for m in [re.match(r"allocated (\d+) entries for cmdq$", t)] if m), None)

    print("What happened")
    print("-------------")
    n = 1
    print(" 1. %s" % wrap(atc_story(kern, incs, summary, facts)))
    # 1. traffic
    smmus = [s for s in summary.get("smmus", []) if s.get("issuer")]
    n += 1
    if smmus:
        s = smmus[0]
        st = s["issuer"]
        cmds = ", ".join("%s %d" % kv for kv in sorted(st.get("commands", {}).items()))
        ctx = st.get("contexts", {})
        top = max(ctx, key=ctx.get) if ctx else "?"
        share = 100.0 * ctx.get(top, 0) / st["calls"] if st.get("calls") else 0
        lat = st.get("sync_latency_log2_ns", [])
        total, acc, med = sum(lat), 0, None
        for i, c in enumerate(lat):
            acc += c
            if med is None and total and acc * 2 >= total:
                med = i
        text = ("DMA traffic. smmutrace counted %d calls of the driver's command issuer "
                "(arm_smmu_cmdq_issue_cmdlist) on %s: %s. %.0f%% ran in %s context: the "
                "disk's completion interrupt unmaps each buffer, and with iommu.strict=1 every "
                "unmap waits for its CMD_SYNC." % (st["calls"], s["smmu"], cmds, share,
                                                  CTX.get(top, top)))
        if med is not None:
            text += " A typical CMD_SYNC took %s to %s." % (human_ns(1 << med), human_ns(2 << med))
    elif src == "log":
        text = "DMA traffic. The kernel log alone carries no issuer statistics."
    else:
        text = "DMA traffic. smmutrace reported no issuer statistics: its driver probes were not attached."
    print(" %d. %s" % (n, wrap(text)))

    # 2. software timeout
    n += 1
    lines = [(d, int(m.group(1), 16)) for d, t in kern
             for m in [re.match(r"CMD_SYNC timeout at 0x([0-9a-f]+) ", t)] if m]
    tos = [r for r in incs if r.get("kind") == "sync_timeout"]
    text = ("Software timeout. With CR0.CMDQEN cleared the SMMU stopped reading its command "
            "queue; the issuer waiting for its CMD_SYNC gave up after the driver's 1 s limit. "
            "The kernel printed %d 'CMD_SYNC timeout at' line%s (%s); smmutrace reported %d "
            "sync_timeout incident%s" % (
                len(lines), "" if len(lines) == 1 else "s",
                ", ".join("0x%08x" % p for _, p in lines) or "none",
                len(tos), "" if len(tos) == 1 else "s"))
    same = [r for r in tos if r.get("prod") in {p for _, p in lines}]
    if tos:
        text += " at queue index%s %s (%s)." % ("es" if len(tos) > 1 else "",
                                               ", ".join("0x%x" % (r.get("idx") or 0) for r in tos),
                                  ("the same position%s" % ("s" if len(tos) > 1 else ""))
                                  if len(same) == len(lines) == len(tos)
                                  else "NOT matching the kernel's lines")
        for r in tos:
            bad = [i for i in r.get("issuers") or [] if i.get("ret", 0) < 0]
            if bad:
                i = bad[0]
                who = "the idle task" if i.get("tid") == 0 else "%s (tid %d)" % (i.get("comm"), i.get("tid"))
                if i.get("context") == "hardirq":
                    text += (" The issuer was an interrupt handler (the disk's completion interrupt "
                             "unmapping a buffer) on CPU %d, on top of %s;" % (i.get("cpu", -1), who))
                else:
                    text += (" The issuer was %s on CPU %d, in %s context;" % (
                        who, i.get("cpu", -1), CTX.get(i.get("context"), i.get("context"))))
                text += " it waited %s and got %d (-ETIMEDOUT)." % (
                    human_ns(i.get("duration_ns") or 0), i.get("ret"))
                break
        else:
            text += (" smmutrace did not name the issuing thread for %s." %
                     ("these" if len(tos) > 1 else "it"))
    else:
        text += "."
    print(" %d. %s" % (n, wrap(text)))

    # 3. illegal command
    n += 1
    errs = [(d, int(m.group(1), 16)) for d, t in kern
            for m in [re.match(r"CMDQ error \(cons 0x([0-9a-f]+)\): Illegal command$", t)] if m]
    ill = [r for r in incs if r.get("kind") == "illegal_command"]
    if errs:
        dev, cons = errs[0]
        text = ("Illegal command. The SMMU reported an illegal command at CONS 0x%08x: the kernel "
                "printed 'CMDQ error (cons 0x%08x): Illegal command'." % (cons, cons))
        if ill:
            r = ill[0]
            sk = r.get("skipped_command") or {}
            text += (" smmutrace attributed it to %s, queue index 0x%x (wrap %s), CONS 0x%08x (%s)"
                     % (r.get("smmu"), r.get("idx") or 0, r.get("wrap"), r.get("cons") or 0,
                        "the same" if r.get("cons") == cons and r.get("smmu") == dev else "DIFFERENT"))
            if "prod_before" in facts:
                text += (", the very slot the demo made the SMMU execute (CMDQ_PROD was 0x%08x)"
                         % int(facts["prod_before"], 0))
            if sk:
                text += (", and decoded the command the driver skipped: opcode 0x%02x, dwords "
                         "0x%x 0x%x (a zeroed slot the driver never wrote)" % (
                             sk.get("opcode", 0), sk.get("dw0", 0), sk.get("dw1", 0)))
            text += "."
        if facts.get("health_rc") == "0":
            text += " The disk kept working afterwards."
        elif "health_rc" in facts:
            text += " Disk reads FAILED afterwards."
        else:
            text += " smmutrace reported NO illegal_command incident."
    else:
        text = "Illegal command. The kernel printed no 'CMDQ error' line: the injection did not take."
    print(" %d. %s" % (n, wrap(text)))

    lost = summary.get("lost", {})
    print()
    if any(lost.values()):
        print(" smmutrace lost records: %s" % lost)
    else:
        print(" Nothing was lost: no ring-buffer drops, no full maps.")
    rel = os.path.relpath(os.path.join(res, "demo.cap"))
    if src == "capture":
        print(" smmutrace recorded the run; replay it here, on any machine:")
        print("     smmutrace replay %s" % rel)
    else:
        print(" (smmutrace wrote no capture: the explanation above comes from replaying the")
        print("  guest's kernel log, %s)" % os.path.relpath(os.path.join(res, "dmesg.txt")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
