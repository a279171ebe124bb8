#!/usr/bin/env python3
"""Host-side assertions of `make e2e` for one boot of one kernel.

    check.py RESULTS_DIR [--scenarios traffic,sw_timeout,illegal]

RESULTS_DIR is what the guest left in /results (tests/e2e/guest/e2e.sh):
smmutrace's NDJSON per scenario, the kernel log (dmesg.txt, split at the
SMMUTRACE-E2E markers), the tracefs record (trace.txt: printk:console lines
with the pid/CPU/context that printed them, and non-zero returns of
arm_smmu_cmdq_issue_cmdlist), tracefs histograms of the issuer
(gt.<scenario>.<0..3>.hist/.hits) and the guest's facts (what it injected,
when, and what the registers said).

Every expected value comes from that run: what the kernel printed or counted,
or what the guest wrote to the SMMU.  Counters are compared with bounds from
the kernel's own kprobe counters: snapshots 1..2 were taken while smmutrace
was tracing (a lower bound), 0..3 enclose its whole run (an upper bound).

Writes RESULTS_DIR/verdict.json and prints one line per check; exit 0 only if
every scenario passed.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = os.path.join(HERE, "..", "schema", "validate.py")
ETIMEDOUT = 110          # the driver's poll returns -ETIMEDOUT (Linux errno)
SEC = 1_000_000_000
SLACK_NS = SEC // 2      # clock granularity: /proc/uptime is in 10 ms steps

# SMMUv3 opcodes (Arm IHI 0070, as arm-smmu-v3.h defines them) -> smmutrace's class names
OPCLASS = {
    0x01: "PREFETCH_CFG", 0x03: "CFGI_STE", 0x04: "CFGI_ALL", 0x05: "CFGI_CD",
    0x06: "CFGI_CD_ALL", 0x10: "TLBI_NH_ALL", 0x11: "TLBI_NH_ASID", 0x12: "TLBI_NH_VA",
    0x13: "TLBI_NH_VAA", 0x20: "TLBI_EL2", 0x21: "TLBI_EL2", 0x22: "TLBI_EL2",
    0x28: "TLBI_S12_VMALL", 0x2a: "TLBI_S2_IPA", 0x30: "TLBI_NSNH_ALL",
    0x40: "ATC_INV", 0x41: "PRI_RESP/RESUME", 0x44: "PRI_RESP/RESUME", 0x46: "CMD_SYNC",
}
CONTEXTS = ("task", "softirq", "hardirq", "nmi")
DRV = re.compile(r"^arm-smmu-v3 (\S+): (.*)$")


# ---------------------------------------------------------------- parsing
def read(path, default=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def facts(res, name):
    out = {}
    for line in (read(os.path.join(res, name + ".facts"), "") or "").splitlines():
        k, _, v = line.partition("=")
        out[k] = v
    return out


def num(v):
    return int(v, 0) if isinstance(v, str) else v


def dmesg_lines(res):
    out = []
    for line in (read(os.path.join(res, "dmesg.txt"), "") or "").splitlines():
        m = re.match(r"^\[\s*([0-9.]+)\]\s?(.*)$", line)
        if m:
            out.append((float(m.group(1)), m.group(2)))
    return out


def section(lines, name, text=lambda x: x[1]):
    """lines between the guest's begin/end markers of one scenario"""
    out, inside = [], False
    for ln in lines:
        t = text(ln)
        if t.endswith("SMMUTRACE-E2E begin " + name):
            inside = True
        elif t.endswith("SMMUTRACE-E2E end " + name):
            inside = False
        elif inside:
            out.append(ln)
    return out


TRACE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([0-9.]+): (\w+): (.*)$")


def trace_lines(res):
    out = []
    for line in (read(os.path.join(res, "trace.txt"), "") or "").splitlines():
        m = TRACE.match(line)
        if m:
            out.append({"comm": m.group(1), "pid": int(m.group(2)), "cpu": int(m.group(3)),
                        "flags": m.group(4), "ts": float(m.group(5)), "event": m.group(6),
                        "text": m.group(7)})
    return out


def flags_context(flags):
    """the irq-context column of a trace line (5 flag characters)"""
    c = flags[2] if len(flags) > 2 else "."
    return {"h": "hardirq", "H": "hardirq", "s": "softirq", "z": "nmi", "Z": "nmi"}.get(c, "task")


def common_flags_context(v):
    # TRACE_FLAG_NMI 0x40, _HARDIRQ 0x08, _SOFTIRQ 0x10 (kernel/trace/trace.h)
    if v & 0x40:
        return "nmi"
    if v & 0x08:
        return "hardirq"
    if v & 0x10:
        return "softirq"
    return "task"


def parse_hist(path):
    ctx = dict.fromkeys(CONTEXTS, 0)
    ops = {}
    text = read(path)
    if text is None:
        return None
    for line in text.splitlines():
        m = re.match(r"\{ common_flags:\s*(\d+) \} hitcount:\s*(\d+)", line)
        if m:
            ctx[common_flags_context(int(m.group(1)))] += int(m.group(2))
            continue
        m = re.match(r"\{ op0:\s*(\d+), sync:\s*(\d+) \} hitcount:\s*(\d+)\s+n:\s*(-?\d+)", line)
        if m:
            ops[(int(m.group(1)), int(m.group(2)))] = (int(m.group(3)), int(m.group(4)))
    return {"ctx": ctx, "ops": ops}


def kernel_counts(res, name, i):
    """the kernel's issuer counters at snapshot i of a scenario"""
    h = parse_hist(os.path.join(res, "gt.%s.%d.hist" % (name, i)))
    hits = read(os.path.join(res, "gt.%s.%d.hits" % (name, i)))
    if h is None or hits is None or not hits.strip():
        return None
    c = {"calls": int(hits.split()[0])}
    c.update({"ctx." + k: v for k, v in h["ctx"].items()})
    c["sync_calls"] = sum(hc for (op, s), (hc, n) in h["ops"].items() if s)
    cmds = {}
    for (op, s), (hc, n) in h["ops"].items():
        cls = OPCLASS.get(op, "other")
        cmds[cls] = cmds.get(cls, 0) + n
    c.update({"cmd." + k: v for k, v in cmds.items()})
    c["cmd.all"] = sum(cmds.values())
    return c


def log2_entries(dmesg):
    """SMMU name -> max_n_shift of its command queue, from the probe lines"""
    out = {}
    for _, text in dmesg:
        m = DRV.match(text)
        if m:
            e = re.match(r"allocated (\d+) entries for cmdq$", m.group(2))
            if e:
                out[m.group(1)] = int(e.group(1)).bit_length() - 1
    return out


# ---------------------------------------------------------------- checking
class Scenario:
    def __init__(self, name):
        self.name = name
        self.failed = []
        self.notes = []
        self.n = 0

    def check(self, cond, what, detail=""):
        self.n += 1
        if cond:
            print("    ok    %s" % what)
        else:
            self.failed.append(what + (": " + detail if detail else ""))
            print("    FAIL  %s%s" % (what, ": " + detail if detail else ""))
        return bool(cond)

    def note(self, s):
        self.notes.append(s)

    @property
    def verdict(self):
        return "FAIL" if self.failed or not self.n else "PASS"


def load_ndjson(sc, res, name):
    path = os.path.join(res, name + ".ndjson")
    text = read(path)
    if not sc.check(text is not None, "smmutrace wrote %s.ndjson" % name):
        return None
    recs = []
    for i, line in enumerate(text.splitlines(), 1):
        try:
            recs.append(json.loads(line))
        except ValueError as e:
            sc.check(False, "%s.ndjson line %d is JSON" % (name, i), str(e))
            return None
    if not sc.check(recs, "smmutrace printed records", "%s.ndjson is empty" % name):
        return None
    p = subprocess.run([sys.executable, VALIDATE, path], capture_output=True, text=True)
    sc.check(p.returncode == 0, "every record valid against the NDJSON schema",
             (p.stderr or p.stdout).strip()[:400])
    return recs


def final_summary(sc, recs):
    sums = [r for r in recs if r.get("type") == "summary"]
    ok = sc.check(sums and recs[-1].get("type") == "summary" and recs[-1].get("final") is True,
                  "the run ends with a final summary record")
    return recs[-1] if ok else None


def smmu_entry(sc, summary, smmu, shift):
    ents = [s for s in summary.get("smmus", []) if s.get("smmu") == smmu]
    if not sc.check(len(ents) == 1, "summary has the SMMU the kernel probed (%s)" % smmu,
                    "smmus: %s" % [s.get("smmu") for s in summary.get("smmus", [])]):
        return None
    e = ents[0]
    sc.check(e.get("max_n_shift") == shift,
             "its max_n_shift matches the kernel's 'allocated N entries for cmdq' (%s)" % shift,
             "got %s" % e.get("max_n_shift"))
    return e


def in_bounds(sc, what, got, lo, hi):
    return sc.check(got is not None and lo <= got <= hi,
                    "%s = %s within the kernel's count [%d, %d]" % (what, got, lo, hi))


def issuer_stats(sc, res, name, entry, expect_failed):
    """smmutrace's issuer histogram against the kernel's kprobe counters"""
    st = entry.get("issuer") if entry else None
    if not sc.check(st is not None, "summary has issuer statistics"):
        return
    k = [kernel_counts(res, name, i) for i in range(4)]
    if not sc.check(all(k), "the kernel's tracefs counters were captured"):
        return
    lo = {key: k[2][key] - k[1].get(key, 0) for key in k[2]}
    hi = {key: k[3][key] - k[0].get(key, 0) for key in k[3]}
    sc.check(st["calls"] > 0, "issuer calls counted (%d)" % st["calls"])
    in_bounds(sc, "calls", st["calls"], lo["calls"], hi["calls"])
    in_bounds(sc, "sync_calls", st["sync_calls"], lo["sync_calls"], hi["sync_calls"])
    cmds = st.get("commands", {})
    sc.check(cmds.get("CMD_SYNC") == st["sync_calls"],
             "commands.CMD_SYNC = sync_calls (%s)" % cmds.get("CMD_SYNC"))
    for key in sorted(hi):
        if key.startswith("cmd.") and key != "cmd.all" and hi[key]:
            cls = key[4:]
            sc.check(cmds.get(cls, 0) > 0 or lo.get(key, 0) == 0, "commands.%s non-zero" % cls)
            in_bounds(sc, "commands.%s" % cls, cmds.get(cls, 0), lo.get(key, 0), hi[key])
    others = sum(v for c, v in cmds.items() if c != "CMD_SYNC")
    in_bounds(sc, "commands other than CMD_SYNC", others, lo["cmd.all"], hi["cmd.all"])
    lat = st.get("sync_latency_log2_ns", [])
    sc.check(sum(lat) == st["sync_calls"] and sum(lat) > 0,
             "sync latency histogram holds every sync call (%d)" % sum(lat))
    for c in CONTEXTS:
        got = st.get("contexts", {}).get(c)
        in_bounds(sc, "contexts.%s" % c, got, lo["ctx." + c], hi["ctx." + c])
    top_k = max(CONTEXTS, key=lambda c: hi["ctx." + c])
    top_s = max(CONTEXTS, key=lambda c: st.get("contexts", {}).get(c, 0))
    sc.check(top_k == top_s, "main issuer context is the kernel's (%s)" % top_k, "smmutrace: %s" % top_s)
    if name == "traffic":
        sc.note("%d calls (%s), %s" % (st["calls"], ", ".join(
            "%s %d" % (c, v) for c, v in sorted(cmds.items())), top_s))
    if expect_failed is not None:
        sc.check(st["failed_calls"] == expect_failed,
                 "failed_calls = %d, the kernel's non-zero returns" % expect_failed,
                 "got %s" % st["failed_calls"])


def no_losses(sc, recs, summary):
    lost = [r for r in recs if r.get("type") == "lost"]
    sc.check(not lost and summary and not any(summary.get("lost", {}).values()),
             "no records lost", "lost records %s, summary %s" % (lost, summary and summary.get("lost")))


def rc_zero(sc, res, name):
    rc = (read(os.path.join(res, name + ".rc"), "") or "").strip()
    sc.check(rc == "0", "smmutrace exited 0", "exit status %r; stderr: %s" % (
        rc, (read(os.path.join(res, name + ".err"), "") or "").strip()[-300:]))


def nonzero_returns(trace_sec):
    return [t for t in trace_sec if t["event"] == "issue_ret"
            and re.search(r"ret=-?\d+$", t["text"]) and not t["text"].endswith("ret=0")]


def ret_of(t):
    return int(re.search(r"ret=(-?\d+)$", t["text"]).group(1))


def mode_full(sc, res, name):
    err = read(os.path.join(res, name + ".err"), "") or ""
    sc.check("mode: full" in err, "smmutrace traced in full mode (driver probes + tracepoints)",
             (re.search(r"mode: .*", err) or [""])[0])


# ---------------------------------------------------------------- scenarios
PROBE_LINE = re.compile(r"^\s+(\S.*?)\s+(kprobe|kretprobe|raw_tp|tp|fentry|fexit)\s+(\S+)\s+(\S+)\s*(.*)$")
DRIVER_HOOKS = ("issuer entry", "issuer return", "error interrupt", "error interrupt return",
                "SID -> device")


def probe_table(text):
    """smmutrace's probe table (check or the live banner): name -> (kind, target, state, notes)"""
    out = {}
    for line in (text or "").splitlines():
        p = PROBE_LINE.match(line)
        if p:
            out[p.group(1)] = (p.group(2), p.group(3), p.group(4), p.group(5))
    return out


def kconfig(res):
    """the kernel's build config (copied from its Debian package by run.sh)"""
    text = read(os.path.join(res, "kconfig.txt"))
    if text is None:
        return None
    return dict(l.split("=", 1) for l in text.splitlines() if l.startswith("CONFIG_") and "=" in l)


def btf_dump(res):
    """the kernel's own BTF (the guest's /sys/kernel/btf/vmlinux), as bpftool prints it"""
    path = os.path.join(res, "vmlinux.btf")
    if not os.path.exists(path):
        return None
    try:
        p = subprocess.run(["bpftool", "btf", "dump", "file", path], capture_output=True,
                           text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return p.stdout


def btf_funcs(dump):
    """names of the FUNCs in a BTF dump"""
    return set(re.findall(r"^\[\d+\] FUNC '([^']+)'", dump, re.M))


def btf_members(dump, struct):
    """member names of the first STRUCT of that name in a BTF dump, None if absent"""
    m = re.search(r"^\[\d+\] STRUCT '%s' size=\d+ vlen=\d+\n((?:\t.*\n)*)" % re.escape(struct),
                  dump, re.M)
    return re.findall(r"^\t'([^']*)'", m.group(1), re.M) if m else None


def attach(res, sc, ctx):
    chk = read(os.path.join(res, "check.txt"), "") or ""
    krel = ctx["meta"].get("kernel", "")
    sc.check((read(os.path.join(res, "check.rc"), "") or "").strip() == "0", "smmutrace check exits 0")
    m = re.match(r"(\d+)\.(\d+)", krel)
    v612 = m and (int(m.group(1)), int(m.group(2))) >= (6, 12)
    lay = re.search(r"layout:\s+(.*)", chk)
    sc.check(lay and lay.group(1).startswith("6.12+") == bool(v612),
             "check reports the issuer layout of %s (%s)" % (krel, "5 arguments" if v612 else "4 arguments"),
             lay.group(1) if lay else "no layout line")
    syms = set((read(os.path.join(res, "kallsyms.txt"), "") or "").split()[1::2])
    want = "__arm_smmu_cmdq_skip_err" if "__arm_smmu_cmdq_skip_err" in syms else "arm_smmu_gerror_handler"
    err = read(os.path.join(res, "traffic.err"), "") or ""
    probes = probe_table(err)
    mode_full(sc, res, "traffic")

    # The flavour each hook must get, from the kernel's own build config and
    # BTF (not from smmutrace's survey): fentry/fexit where the kernel has
    # ftrace direct calls and a BTF FUNC of that exact name, else kprobes.
    cfg = kconfig(res)
    dump = btf_dump(res)
    if not sc.check(cfg is not None, "the kernel's build config was captured (kconfig.txt)"):
        return
    if not sc.check(dump is not None, "the kernel's BTF was captured and read (vmlinux.btf, bpftool)"):
        return
    funcs = btf_funcs(dump)
    series(sc, res, ctx, chk, dump)
    direct = cfg.get("CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS") == "y"

    def fentry_ok(sym):
        return direct and sym in funcs

    def kinds(sym):
        return ("fentry", "fexit") if fentry_ok(sym) else ("kprobe", "kretprobe")

    issue = "arm_smmu_cmdq_issue_cmdlist"
    sid = probes.get("SID -> device", ("", "", "", ""))[1]
    want_tab = {
        "issuer entry": (kinds(issue)[0], issue),
        "issuer return": (kinds(issue)[1], issue),
        "error interrupt": (kinds(want)[0], want),
        "error interrupt return": (kinds(want)[1], want),
        "SID -> device": (kinds(sid)[0], sid),
    }
    for name, (kind, target) in want_tab.items():
        got = probes.get(name)
        why = ("direct calls, BTF FUNC" if fentry_ok(target) else
               "no CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS" if not direct else "no BTF FUNC %s" % target)
        sc.check(got is not None and got[:3] == (kind, target, "attached"),
                 "%s: %s attached to %s (%s)" % (name, kind, target, why), str(got))
    sc.check(sid.startswith("arm_smmu_atc_inv_master"), "SID -> device hook on arm_smmu_atc_inv_master", sid)
    sc.check(probes.get("driver log text", ("", "", ""))[2] == "attached", "printk:console tracepoint attached")

    # check predicted what live tracing did
    ctab = probe_table(chk)
    for name in DRIVER_HOOKS:
        c, l = ctab.get(name), probes.get(name)
        sc.check(c and l and c[:2] == l[:2] and c[2] == "planned",
                 "check plans %s as live tracing attached it (%s)" % (name, l[0] if l else "?"),
                 "check %s, live %s" % (c, l))
    sc.check("verifier:     the planned programs load on this kernel" in chk,
             "check's verifier dry run loads the planned programs",
             (re.search(r"verifier: .*", chk) or [""])[0])
    # the optional sync-slot hook and --no-fentry, through the verifier
    ss = read(os.path.join(res, "check-sync-slot.txt"), "") or ""
    got = probe_table(ss).get("issuer sync slot")
    ws = "arm_smmu_cmdq_write_entries"
    sc.check(got and got[:3] == (kinds(ws)[0], ws, "planned") and "the planned programs load" in ss,
             "check --sync-slot: %s on %s, and it loads" % (kinds(ws)[0], ws), str(got))
    nf = read(os.path.join(res, "check-no-fentry.txt"), "") or ""
    nft = probe_table(nf)
    sc.check(all(nft.get(n) and nft[n][0] in ("kprobe", "kretprobe") and "--no-fentry" in nft[n][3]
                 for n in DRIVER_HOOKS) and "the planned programs load" in nf,
             "check --no-fentry: kprobes on every driver hook, and they load",
             str({n: nft.get(n, ("?",))[0] for n in DRIVER_HOOKS}))

    # fentry forced where the kernel has no trampolines: attach fails, kprobes take over
    fe = read(os.path.join(res, "forced.err"), "") or ""
    ft = probe_table(fe)
    sc.check((read(os.path.join(res, "forced.rc"), "") or "").strip() == "0" and "mode: full" in fe,
             "SMMUTRACE_FORCE_FENTRY run: full mode, exit 0",
             (re.search(r"mode: .*", fe) or [""])[0] + " rc " + (read(os.path.join(res, "forced.rc"), "") or "").strip())
    isr = ft.get("error interrupt")
    if direct:
        sc.check(isr and isr[:3] == (kinds(want)[0], want, "attached") and "using kprobes" not in fe,
                 "forced: the trampoline on %s attaches (direct calls)" % want, str(isr))
        forced = "forced: attaches"
    else:
        m = re.search(r"fentry/fexit attach to (\S+) failed \(([^)]*)\); using kprobes", fe)
        sc.check(m and m.group(1) == want and "ENOTSUPP" in m.group(2),
                 "forced: attaching a trampoline to %s fails with ENOTSUPP, said on stderr" % want,
                 m.group(0) if m else "no fallback message")
        sc.check(isr and isr[:3] == ("kprobe", want, "attached") and "fell back from fentry" in isr[3],
                 "forced: the error interrupt falls back to a kprobe, and the table says why", str(isr))
        sc.check(ft.get("error interrupt return", ("",))[0] == "kretprobe",
                 "forced: its return hook falls back with it (kretprobe)")
        forced = "forced: %s" % (m.group(2).split(",")[0] if m else "?")
    sc.note("%s%s-arg issuer %s/%s, %s on %s; %s" % (
        "bitmap %s; " % ctx["variant"] if ctx.get("variant") else "",
        "5" if v612 else "4", kinds(issue)[0], kinds(issue)[1], kinds(want)[0], want, forced))


def series(sc, res, ctx, chk, dump):
    """check's report of the driver's ATC-timeout semantics, against the kernel's own BTF
    and boot: the quarantine series' bitmap, and the patched rig kernel's errno setting"""
    cmdq = btf_members(dump, "arm_smmu_cmdq") or []
    bitmap = "atc_sync_timeouts" in cmdq
    ser = re.search(r"^series:\s+(.*)$", chk, re.M)
    want = "atc_sync_timeouts bitmap" if bitmap else "no atc_sync_timeouts bitmap"
    sc.check(ser and ser.group(1).startswith(want),
             "check reports %s, as the kernel's struct arm_smmu_cmdq has it" % want,
             ser.group(1) if ser else "no series line")
    cmd_struct = btf_members(dump, "arm_smmu_cmd") is not None
    lay = re.search(r"layout:\s+(.*)", chk)
    want = "struct arm_smmu_cmd (7.2+)" if cmd_struct else "u64[2] (<= 7.1)"
    sc.check(lay and "commands as " + want in lay.group(1),
             "check reports commands as %s, as the kernel's BTF has them" % want,
             lay.group(1) if lay else "no layout line")
    sc.check("iommu:io_page_fault never fires for arm-smmu-v3" in chk,
             "check says io_page_fault is no source of arm-smmu-v3 faults")
    # the rig's patched kernel: the semantics asked for on the command line are in force
    asked = re.search(r"arm_smmu_v3\.atc_sync_errno=(\d+)", ctx["meta"].get("cmdline", ""))
    param = facts(res, "setup").get("atc_sync_errno")
    expect = (asked.group(1) if asked else "110") if bitmap else "none"
    sc.check(param == expect, "arm_smmu_v3.atc_sync_errno is %s (%s)" % (
        expect, "the boot's setting" if asked else "default" if bitmap else "stock driver: no such parameter"),
        "got %s" % param)
    if bitmap:
        ctx["variant"] = {"110": "v2", "5": "v3"}.get(param, "?")


CAP_BPF = 39


def privileges(res, sc, live_summary):
    """after attach: the sudo caller's ids, the capabilities the kernel needs and no
    more (none since 5.19, where kernel.unprivileged_bpf_disabled stopped blocking
    map reads: commit c8644cd0efe7), and outputs created by that user"""
    f = facts(res, "traffic")
    st = dict(line.split(":", 1) for line in (read(os.path.join(res, "traffic.status"), "")
                                               or "").splitlines() if ":" in line)
    st = {k: v.strip() for k, v in st.items()}
    if not sc.check(st, "smmutrace's /proc/PID/status captured while tracing"):
        return
    sc.check(st.get("Uid", "").split() == ["1000"] * 4 and st.get("Gid", "").split() == ["1000"] * 4
             and st.get("Groups") == "", "runs as the sudo caller (uid/gid 1000, no groups)",
             "Uid %s Gid %s Groups %r" % (st.get("Uid"), st.get("Gid"), st.get("Groups")))
    eff = int(st.get("CapEff", "f" * 16), 16)
    err = read(os.path.join(res, "traffic.err"), "") or ""
    m = re.search(r"running as (.*); capabilities kept: (\S+)", err)
    kept = m.group(2) if m else "?"
    want = 0 if kept == "none" else (1 << CAP_BPF) if kept == "cap_bpf" else -1
    rel = re.match(r"(\d+)\.(\d+)", f.get("kernel", "0.0"))
    modern = rel and (int(rel.group(1)), int(rel.group(2))) >= (5, 19)
    sc.check(eff == want and all(int(st.get(k, "1"), 16) == eff for k in ("CapPrm", "CapBnd"))
             and int(st.get("CapAmb", "1"), 16) == 0 and int(st.get("CapInh", "1"), 16) == 0
             and st.get("NoNewPrivs") == "1",
             "capabilities after attach: %s (CapEff %s), no_new_privs" % (kept, st.get("CapEff")),
             "CapPrm %s CapBnd %s CapAmb %s" % (st.get("CapPrm"), st.get("CapBnd"), st.get("CapAmb")))
    sc.check(kept == "none" if modern else kept in ("none", "cap_bpf"),
             "kept only what this kernel needs for map reads (%s on %s)" % (kept, f.get("kernel")))
    sc.note("after attach: %s, kept %s" % (m.group(1) if m else "?", kept))
    sc.check("left out 1 messages that user space wrote to /dev/kmsg" in err,
             "the driver line the guest forged through /dev/kmsg was left out")
    own = {}
    for line in (read(os.path.join(res, "traffic.outfiles"), "") or "").splitlines():
        p = line.split()
        if len(p) == 4:
            own[os.path.basename(p[0])] = p[1:]
    sc.check(own.get("traffic.cap") == ["1000", "1000", "600"]
             and own.get("traffic.prom") == ["1000", "1000", "644"],
             "capture (0600) and metrics (0644) created by the sudo caller", str(own))
    prom = read(os.path.join(res, "traffic.prom"), "") or ""
    sc.check(re.search(r"^smmutrace_issuer_calls_total\{[^}]*\} [1-9]", prom, re.M),
             "the metrics written after the drop count the issuer calls")
    rep = [json.loads(x) for x in (read(os.path.join(res, "traffic-replay.ndjson"), "")
                                   or "").splitlines() if x.strip()]
    calls = lambda s: [e.get("issuer", {}).get("calls") for e in (s or {}).get("smmus", [])]
    sc.check((read(os.path.join(res, "traffic-replay.rc"), "") or "").strip() == "0" and rep
             and calls(rep[-1]) == calls(live_summary),
             "the capture written after the drop replays to the same issuer counts",
             "%s vs %s" % (calls(rep[-1]) if rep else None, calls(live_summary)))


def traffic(res, sc, ctx):
    f = facts(res, "traffic")
    sc.check(f.get("scenario_rc") == "0", "guest scenario ran", "rc %s" % f.get("scenario_rc"))
    sc.check(f.get("dd_rc") == "0", "O_DIRECT reads succeeded (%s reads)" % f.get("reads"))
    sc.check(f.get("covered") == "1", "the load ended while smmutrace was tracing (--duration long enough)")
    rc_zero(sc, res, "traffic")
    if f.get("t_exit") and f.get("t_tracing") and f.get("duration"):
        ran = float(f["t_exit"]) - float(f["t_tracing"])
        d = int(f["duration"])
        sc.check(d - 0.3 <= ran <= d + 5, "stopped by itself after --duration %d (%.1f s)" % (d, ran))
    recs = load_ndjson(sc, res, "traffic")
    if recs is None:
        return
    summary = final_summary(sc, recs)
    inc = [r for r in recs if r.get("type") == "incident"]
    sec = section(ctx["dmesg"], "traffic")
    drv = [t for _, t in sec if DRV.match(t)]
    sc.check(not drv, "the kernel printed no SMMU message during the run", "; ".join(drv[:3]))
    sc.check(not inc, "no incident", json.dumps(inc[:1])[:300])
    if summary:
        sc.check(not any(summary["incidents"].values()), "summary counts no incident", str(summary["incidents"]))
        no_losses(sc, recs, summary)
        e = smmu_entry(sc, summary, ctx["smmu"], ctx["shift"])
        rets = nonzero_returns(section(ctx["trace"], "traffic", text=lambda t: t["text"]))
        issuer_stats(sc, res, "traffic", e, len(rets))
        privileges(res, sc, summary)


def sw_timeout(res, sc, ctx):
    f = facts(res, "sw_timeout")
    sc.check(f.get("scenario_rc") == "0", "guest scenario ran", "rc %s" % f.get("scenario_rc"))
    sc.check(f.get("cr0_cleared") and not num(f["cr0_cleared"]) & 0x8 and num(f["cr0"]) & 0x8,
             "CR0.CMDQEN was cleared (CR0 %s -> %s)" % (f.get("cr0"), f.get("cr0_cleared")))
    sc.check(f.get("health_rc") == "0" and f.get("load_rc") == "0",
             "disk reads still work afterwards (load rc %s, reads rc %s)" % (f.get("load_rc"), f.get("health_rc")))
    rc_zero(sc, res, "sw_timeout")
    sync_slot = f.get("sync_slot") == "1"
    if sync_slot:
        err = read(os.path.join(res, "sw_timeout.err"), "") or ""
        sc.check(re.search(r"issuer sync slot\s+(kprobe|fentry)\s+arm_smmu_cmdq_write_entries\s+attached", err),
                 "--sync-slot: the write_entries probe is attached")
    recs = load_ndjson(sc, res, "sw_timeout")
    if recs is None:
        return
    summary = final_summary(sc, recs)
    window_ns = int((float(f.get("t_restore", 0)) - float(f.get("t_clear", 0))) * SEC)
    sc.check(window_ns > SEC, "CMDQEN stayed off longer than the driver's 1 s poll limit (%.2f s)" % (window_ns / SEC))
    sec = section(ctx["dmesg"], "sw_timeout")
    tsec = section(ctx["trace"], "sw_timeout", text=lambda t: t["text"])
    lines = []
    for _, text in sec:
        m = DRV.match(text)
        t = m and re.match(r"CMD_SYNC timeout at 0x([0-9a-f]+) \[hwprod 0x([0-9a-f]+), hwcons 0x([0-9a-f]+)\]$",
                           m.group(2))
        if t:
            lines.append((m.group(1), int(t.group(1), 16), int(t.group(2), 16), int(t.group(3), 16), text))
    if not sc.check(lines, "the kernel printed 'CMD_SYNC timeout at' (injection worked)",
                    "no such line between the markers; CR0 window %.2f s" % (window_ns / SEC)):
        return
    rets = nonzero_returns(tsec)
    incs = [r for r in recs if r.get("type") == "incident"]
    tos = [r for r in incs if r.get("kind") == "sync_timeout"]
    sc.check(len(incs) == len(tos), "only sync_timeout incidents",
             str([r.get("kind") for r in incs]))
    sc.check(len(tos) == len(rets), "one sync_timeout incident per failed issuer call the kernel saw (%d)" % len(rets),
             "%d incidents" % len(tos))
    sc.check(all(ret_of(t) == -ETIMEDOUT for t in rets), "the kernel's failed calls returned -ETIMEDOUT",
             str([ret_of(t) for t in rets]))
    mask = (1 << ctx["shift"]) - 1
    waits = []
    for smmu, at, hwprod, hwcons, text in lines:
        what = "CMD_SYNC timeout at 0x%08x" % at
        cand = [r for r in tos if r.get("prod") == at and r.get("smmu") == smmu]
        if not sc.check(len(cand) == 1, "%s: one incident on %s at that prod" % (what, smmu),
                        "incidents at %s" % [hex(r.get("prod") or 0) for r in tos]):
            continue
        r = cand[0]
        sc.check(r.get("idx") == at & mask and r.get("wrap") == (at >> ctx["shift"]) & 1,
                 "%s: idx 0x%x wrap %d" % (what, at & mask, (at >> ctx["shift"]) & 1),
                 "got idx %s wrap %s" % (r.get("idx"), r.get("wrap")))
        sc.check(r.get("hwprod") == hwprod and r.get("hwcons") == hwcons,
                 "%s: hwprod 0x%x hwcons 0x%x as printed" % (what, hwprod, hwcons),
                 "got %s %s" % (r.get("hwprod"), r.get("hwcons")))
        sc.check(r.get("issuer_notified") is True, "%s: issuer_notified true" % what)
        # who printed it: the issuer itself, in its own context
        pr = [t for t in tsec if t["event"] == "console" and t["text"] == text]
        failing = [i for i in r.get("issuers") or [] if i.get("ret", 0) < 0]
        if not sc.check(failing, "%s: the incident names the issuer that failed" % what,
                        "issuers: %s" % r.get("issuers")):
            continue
        # one call printed the line; a later one that waited out the same
        # stall (and got 0, or timed out on its own) is no issuer of it
        sc.check(len(r.get("issuers") or []) == 1, "%s: it names only that issuer" % what,
                 "issuers: %s" % [(i.get("ret"), i.get("duration_ns")) for i in r.get("issuers") or []])
        i = failing[0]
        if pr:
            p = pr[0]
            kret = [t for t in rets if t["pid"] == p["pid"] and t["cpu"] == p["cpu"] and t["ts"] >= p["ts"]]
            want_ret = ret_of(kret[0]) if kret else -ETIMEDOUT
            sc.check(i.get("ret") == want_ret, "%s: issuer ret %d as the kernel returned" % (what, want_ret),
                     "got %s" % i.get("ret"))
            comm = "swapper/%d" % p["cpu"] if p["pid"] == 0 else p["comm"]
            sc.check(i.get("tid") == p["pid"] and i.get("cpu") == p["cpu"],
                     "%s: issuer tid %d on CPU %d, as the kernel's console record" % (what, p["pid"], p["cpu"]),
                     "got tid %s cpu %s" % (i.get("tid"), i.get("cpu")))
            if not comm.startswith("<"):
                sc.check(i.get("comm") == comm, "%s: issuer comm %s" % (what, comm), "got %r" % i.get("comm"))
            want_ctx = flags_context(p["flags"])
            sc.check(i.get("context") == want_ctx, "%s: issuer context %s (%s)" % (what, want_ctx, p["flags"]),
                     "got %s" % i.get("context"))
        else:
            sc.check(False, "%s: the kernel's console record of it was captured" % what)
        # The issuer's own CMD_SYNC slot, seen in the kernel: required with the
        # optional write_entries probe (--sync-slot); without it the
        # engine matched the issuer by its prod window and null is right.
        # Without MSI polling (QEMU's SMMU has none) the driver prints the
        # queue's shared prod as the poll began, not the issuer's slot:
        # __arm_smmu_cmdq_poll_until_consumed() reloads llq->val.  The slot
        # lies between what the SMMU had consumed and that printed prod.
        if sync_slot or i.get("sync_prod") is not None:
            sp = i.get("sync_prod")
            pm = (2 << ctx["shift"]) - 1
            sc.check(sp is not None and ((sp - hwcons) & pm) < ((at - hwcons) & pm),
                     "%s: the issuer's own CMD_SYNC slot (sync_prod) lies in [hwcons 0x%x, 0x%x)" % (
                         what, hwcons, at), "got %s" % (hex(sp) if sp is not None else None))
        meas = [v for v in (i.get("duration_ns"), r.get("detect_ns")) if v is not None]
        sc.check(meas and all(SEC <= v <= window_ns + SLACK_NS for v in meas),
                 "%s: measured wait >= 1 s and within the %.2f s CMDQEN-off window" % (what, window_ns / SEC),
                 "duration_ns %s detect_ns %s" % (i.get("duration_ns"), r.get("detect_ns")))
        waits.append(max(meas) if meas else 0)
        ictx = i.get("context")
    if summary:
        no_losses(sc, recs, summary)
        sc.check(summary["incidents"].get("sync_timeout") == len(tos),
                 "summary counts %d sync_timeout" % len(tos), str(summary["incidents"]))
        e = smmu_entry(sc, summary, ctx["smmu"], ctx["shift"])
        issuer_stats(sc, res, "sw_timeout", e, len(rets))
    sc.notes.insert(0, "%d line%s at %s, %d incident%s; ret %s; wait %s; %s%s" % (
        len(lines), "s" if len(lines) != 1 else "", ",".join("0x%x" % l[1] for l in lines),
        len(tos), "s" if len(tos) != 1 else "",
        ",".join(str(ret_of(t)) for t in rets) or "-",
        "/".join("%.2f" % (w / SEC) for w in waits) + " s" if waits else "-", locals().get("ictx", "?"),
        "; sync slot probe" if sync_slot else ""))


def kernel_events(sec):
    """(event id, StreamID) of each 'event 0x.. received:' dump: dword 0 holds both"""
    out = []
    for k, text in enumerate(sec):
        h = re.search(r": event 0x([0-9a-f]+) received:$", text)
        if not h:
            continue
        d0 = next((re.search(r":\s*0x([0-9a-f]{16})$", t) for t in sec[k + 1:k + 2]), None)
        out.append((int(h.group(1), 16), int(d0.group(1), 16) >> 32 if d0 else None))
    return out


def illegal(res, sc, ctx):
    f = facts(res, "illegal")
    sc.check(f.get("scenario_rc") == "0", "guest scenario ran", "rc %s" % f.get("scenario_rc"))
    if not sc.check(f.get("inject_rc") == "0", "CMDQ_PROD advanced past the driver's prod",
                    "inject rc %s (2 = the ring had wrapped: too much traffic before)" % f.get("inject_rc")):
        return
    sc.check(f.get("health_rc") == "0", "disk reads still work afterwards (in %ss)" % f.get("t_health"))
    rc_zero(sc, res, "illegal")
    recs = load_ndjson(sc, res, "illegal")
    if recs is None:
        return
    summary = final_summary(sc, recs)
    sec = [t for _, t in section(ctx["dmesg"], "illegal")]
    errs = []
    for k, text in enumerate(sec):
        m = DRV.match(text)
        c = m and re.match(r"CMDQ error \(cons 0x([0-9a-f]+)\): (.*)$", m.group(2))
        if c:
            dws = []
            if k + 1 < len(sec) and DRV.match(sec[k + 1]).group(2) == "skipping command in error state:":
                for t in sec[k + 2:k + 4]:
                    d = re.match(r"^\t?0x([0-9a-f]{16})$", DRV.match(t).group(2) if DRV.match(t) else "")
                    if d:
                        dws.append(int(d.group(1), 16))
            errs.append((m.group(1), int(c.group(1), 16), c.group(2), dws))
    gerr = [int(g.group(1), 16) for g in (re.search(r"unexpected global error reported \(0x([0-9a-f]+)\)", t)
                                           for t in sec) if g]
    if not sc.check(len(errs) == 1 and errs[0][2] == "Illegal command",
                    "the kernel printed one 'CMDQ error (cons ...): Illegal command'",
                    "; ".join(e[2] for e in errs) or "no CMDQ error line"):
        return
    smmu, cons, _, dws = errs[0]
    mask = (1 << ctx["shift"]) - 1
    pos_mask = (mask << 1) | 1
    sc.check(cons & pos_mask == num(f["prod_before"]) & pos_mask,
             "the kernel's cons 0x%08x is the slot the guest made the SMMU execute (PROD was %s)" % (
                 cons, f["prod_before"]))
    incs = [r for r in recs if r.get("type") == "incident"]
    ill = [r for r in incs if r.get("kind") == "illegal_command"]
    sc.check(len(ill) == 1 and len(incs) == 1, "one illegal_command incident, nothing else",
             str([r.get("kind") for r in incs]))
    if ill:
        r = ill[0]
        sc.check(r.get("smmu") == smmu, "on the SMMU that reported it (%s)" % smmu, "got %s" % r.get("smmu"))
        sc.check(r.get("cons") == cons, "cons 0x%08x as the kernel printed" % cons,
                 "got %s" % (hex(r["cons"]) if isinstance(r.get("cons"), int) else r.get("cons")))
        sc.check(r.get("cerror") == (cons >> 24) & 0x7f, "cerror %d (ILL)" % ((cons >> 24) & 0x7f),
                 "got %s" % r.get("cerror"))
        sc.check(r.get("idx") == cons & mask and r.get("wrap") == (cons >> ctx["shift"]) & 1,
                 "idx 0x%x wrap %d" % (cons & mask, (cons >> ctx["shift"]) & 1),
                 "got idx %s wrap %s" % (r.get("idx"), r.get("wrap")))
        sk = r.get("skipped_command") or {}
        if sc.check(len(dws) == 2, "the kernel printed the skipped command's two dwords"):
            sc.check(sk.get("dw0") == dws[0] and sk.get("dw1") == dws[1],
                     "skipped command decoded: dw0 0x%x dw1 0x%x" % tuple(dws),
                     "got %s" % sk)
            sc.check(sk.get("opcode") == dws[0] & 0xff, "skipped opcode 0x%02x" % (dws[0] & 0xff),
                     "got %s" % sk.get("opcode"))
        if gerr:
            sc.check(r.get("gerror") == gerr[0], "gerror 0x%x as printed" % gerr[0], "got %s" % r.get("gerror"))
        sc.note("cons 0x%08x (kernel: 0x%08x); skipped opcode %s; disk %s" % (
            r.get("cons") or 0, cons, sk.get("opcode"), "ok" if f.get("health_rc") == "0" else "FAILED"))
    after = [t for t in sec if "CMD_SYNC timeout" in t or "CMDQ timeout" in t]
    sc.check(not after, "no command-queue timeout afterwards", "; ".join(after[:2]))
    if summary:
        no_losses(sc, recs, summary)
        sc.check(summary["incidents"].get("illegal_command") == 1, "summary counts 1 illegal_command",
                 str(summary["incidents"]))
        e = smmu_entry(sc, summary, ctx["smmu"], ctx["shift"])
        if e:
            evl = sum(1 for t in sec if re.search(r": event 0x[0-9a-f]+ received:$", t))
            sc.check(e.get("evtq_events") == evl,
                     "evtq_events = %d 'event received' lines the kernel printed" % evl,
                     "got %s" % e.get("evtq_events"))
            kev = kernel_events(sec)
            rev = [(r.get("event"), r.get("sid")) for r in recs if r.get("type") == "event"]
            sc.check(sorted(rev, key=str) == sorted(kev, key=str),
                     "event records: the %d dumps' event ids and StreamIDs" % len(kev),
                     "got %s, kernel %s" % (rev[:4], kev[:4]))
        rets = nonzero_returns(section(ctx["trace"], "illegal", text=lambda t: t["text"]))
        issuer_stats(sc, res, "illegal", e, len(rets))


SCENARIOS = {"attach": attach, "traffic": traffic, "sw_timeout": sw_timeout, "illegal": illegal}


def run(res, names=None, out=sys.stdout, table=None):
    """check the scenarios (of table, default SCENARIOS) of one results directory"""
    table = table or SCENARIOS
    names = names or list(table)
    meta = {}
    for line in (read(os.path.join(res, "meta.txt"), "") or "").splitlines():
        k, _, v = line.partition("=")
        meta[k] = v
    dm = dmesg_lines(res)
    shifts = log2_entries(dm)
    ctx = {"meta": meta, "dmesg": dm, "trace": trace_lines(res),
           "smmu": next(iter(shifts), None), "shift": next(iter(shifts.values()), None)}
    verdict = {}
    saved, sys.stdout = sys.stdout, out
    try:
        for name in names:
            sc = Scenario(name)
            print("  %s (%s)" % (name, meta.get("kernel", "?")))
            if not dm:
                sc.check(False, "the guest's kernel log came back", "no dmesg.txt in %s" % res)
            elif not shifts:
                sc.check(False, "the kernel probed an SMMUv3 ('allocated N entries for cmdq')")
            else:
                try:
                    table[name](res, sc, ctx)
                except Exception as e:     # a checker bug must fail loudly, not pass
                    sc.check(False, "checker ran", "%s: %s" % (type(e).__name__, e))
            verdict[name] = {"result": sc.verdict, "checks": sc.n, "failed": sc.failed,
                             "notes": "; ".join(sc.notes)}
    finally:
        sys.stdout = saved
    return verdict


def main(table=None):
    res = sys.argv[1]
    names = None
    if len(sys.argv) > 3 and sys.argv[2] == "--scenarios":
        names = sys.argv[3].split(",")
    verdict = run(res, names, table=table)
    with open(os.path.join(res, "verdict.json"), "w") as f:
        json.dump(verdict, f, indent=1)
    return 0 if all(v["result"] == "PASS" for v in verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
