#!/usr/bin/env python3
"""Live tests of smmutrace on this machine (root).

1. `smmutrace check`: output and exit status.
2. `smmutrace --live --json`: the printk:console BPF program sees real driver
   lines written to /dev/kmsg (ACPI and DT instance names, every message
   kind); the incidents and the final summary are asserted, then SIGINT must
   end the run cleanly with exit status 0.
3. --record and --prom: the capture replays to the live report; SIGHUP,
   SIGQUIT, SIGPIPE and SIGTERM end a run like SIGINT (summary, metrics, a
   whole capture); a closed stdout with SIGPIPE ignored is noticed and fails
   the run.
4. --duration with --smmu: ends by itself, the filter holds.
5. without BPF privileges: /dev/kmsg follow mode with CAP_SYSLOG, and a
   clear refusal without it.

The driver lines here are written to /dev/kmsg by this script, so every
run counts them only with --accept-user-kmsg; test_rootsafe.py checks that
without it they are left out.

Usage: test_live.py path/to/smmutrace
"""
import json
import os
import select
import signal
import subprocess
import sys
import time

BIN = [a for a in sys.argv[1:] if not a.startswith("--")][0]
HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_CHECK = os.path.join(HERE, "..", "schema", "validate.py")
ACPI = "arm-smmu-v3.0.auto"
DT = "9050000.smmuv3"

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print(f"  FAIL: {what}", file=sys.stderr)
    return cond


def kmsg(text, level=3):
    """One record per open: /dev/kmsg ratelimits writers per open file."""
    with open("/dev/kmsg", "w") as f:
        f.write(f"<{level}>{text}\n")


def drv(dev, body, level=3, driver="arm-smmu-v3"):
    kmsg(f"{driver} {dev}: {body}", level)


class Run:
    """smmutrace as a child; stdout (NDJSON) and stderr read incrementally."""

    def __init__(self, args, preexec=None, user_cmd=None):
        cmd = (user_cmd or []) + [BIN] + args
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  preexec_fn=preexec)
        for fd in (self.p.stdout, self.p.stderr):
            os.set_blocking(fd.fileno(), False)
        self.out = b""
        self.err = b""

    def pump(self, timeout):
        fds = [f for f in (self.p.stdout, self.p.stderr) if not f.closed]
        r, _, _ = select.select(fds, [], [], timeout)
        for f in r:
            data = f.read()
            if not data:
                continue
            if f is self.p.stdout:
                self.out += data
            else:
                self.err += data

    def wait_for(self, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            if self.p.poll() is not None:
                self.pump(0)
                return pred()
            self.pump(0.2)
        return pred()

    def records(self):
        return [json.loads(line) for line in self.out.decode().splitlines() if line.strip()]

    def incidents(self):
        return [r for r in self.records() if r["type"] == "incident"]

    def finish(self, sig=None, timeout=10):
        if sig:
            self.p.send_signal(sig)
        end = time.time() + timeout
        while self.p.poll() is None and time.time() < end:
            self.pump(0.2)
        if self.p.poll() is None:
            self.p.kill()
        out, err = self.p.communicate()
        self.out += out or b""
        self.err += err or b""
        return self.p.returncode

    def stderr(self):
        return self.err.decode(errors="replace")


def find(incs, smmu, **kv):
    for i in incs:
        if i["smmu"] == smmu and all(i.get(k) == v for k, v in kv.items()):
            return i
    return None


def kernel_config():
    """The running kernel's build config, from where the kernel or distro puts it."""
    import gzip
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            return f.read()
    except OSError:
        pass
    try:
        with open(f"/boot/config-{os.uname().release}") as f:
            return f.read()
    except OSError:
        return None


def host_has_kprobes():
    """Ground truth independent of smmutrace's own probing where the config is readable."""
    cfg = kernel_config()
    if cfg is not None:
        return "CONFIG_KPROBES=y" in cfg.splitlines()
    return os.path.exists("/sys/bus/event_source/devices/kprobe/type")


def host_has_driver():
    if os.path.isdir("/sys/bus/platform/drivers/arm-smmu-v3"):
        return True
    with open("/proc/kallsyms") as f:
        return any(line.rstrip().endswith(" arm_smmu_cmdq_issue_cmdlist") for line in f)


HOST_KPROBES = host_has_kprobes()
HOST_DRIVER = host_has_driver()
# the live tests feed the driver's text through printk:console: on a host
# where full mode would be chosen, ask for log-capture mode explicitly
LIVE_ARGS = ["--no-kprobes"] if HOST_KPROBES and HOST_DRIVER else []


def test_check():
    print(f"== smmutrace check (this host: kprobes {'yes' if HOST_KPROBES else 'no'}, "
          f"arm-smmu-v3 driver {'yes' if HOST_DRIVER else 'no'}, tracefs "
          f"{'mounted' if os.path.isdir('/sys/kernel/tracing/events') else 'not mounted'})")
    p = subprocess.run([BIN, "check"], capture_output=True, text=True)
    out = p.stdout
    for line in out.splitlines():
        if line.startswith(("mode:", "  because", "kprobes:", "tracepoints:", "verifier:",
                            "driver:")):
            print("  " + line)
    check(p.returncode == 0, f"check exit status {p.returncode}, want 0")
    if HOST_KPROBES and HOST_DRIVER:
        check("mode:         full" in out, "kprobes and the driver: check names full mode")
    else:
        check("mode:         log capture (printk:console tracepoint, no kprobes)" in out,
              "check names log-capture mode")
        check("will run in log-capture mode" in out,
              "check says plainly it runs in log-capture mode")
    check(("the kernel has no kprobes" in out) == (not HOST_KPROBES),
          "check gives 'no kprobes' as a reason exactly when the kernel has none")
    check(("no arm-smmu-v3 driver" in out) == (not HOST_DRIVER),
          "check gives 'no driver' as a reason exactly when there is none")
    forced = subprocess.run([BIN, "check", "--no-kprobes"], capture_output=True, text=True)
    check(forced.returncode == 0 and "mode:         log capture" in forced.stdout
          and "--no-kprobes was given" in forced.stdout,
          "check --no-kprobes: log-capture mode, and says why")
    check("printk:console yes" in out, "check sees printk:console")
    check("iommu:io_page_fault never fires for arm-smmu-v3" in out,
          "check says io_page_fault is no source of arm-smmu-v3 faults")
    check("the planned programs load on this kernel" in out, "check's verifier dry run")
    check("driver log text        raw_tp    console" in out, "probe table lists console")


def scenario():
    """Real driver lines, in the order the driver prints them."""
    drv(ACPI, "allocated 65536 entries for cmdq", 6)
    drv(ACPI, "ias 48-bit, oas 48-bit (features 0x001c1eff)", 6)
    drv(DT, "allocated 131072 entries for cmdq", 6)
    kmsg("smmutrace-live-test: a line nobody should parse", 6)
    kmsg("usb 1-1: new high-speed USB device number 2 using xhci_hcd", 6)
    # PCIe AER: the device timed out on a completion just before
    kmsg("pcieport 0000:00:01.0: AER: Uncorrected (Non-Fatal) error received: 0000:01:00.0")
    kmsg("nvme 0000:01:00.0:    [14] CmpltTO                (First)")
    # ACPI: an ATC timeout, retried once, then the next batch fails too
    drv(ACPI, "unexpected global error reported (0x00000001), this could be serious", 4)
    drv(ACPI, "CMDQ error (cons 0x0302bb84): ATC invalidate timeout")
    drv(ACPI, "CMDQ error (cons 0x0302bb84): ATC invalidate timeout")
    drv(ACPI, "CMDQ error (cons 0x0302bb88): ATC invalidate timeout")
    # a patched kernel's issuer learns about its failed sync
    drv(ACPI, "CMD_SYNC for ATC_INV timeout at prod=0x0000bb90")
    drv(ACPI, "CMDQ timeout")
    drv(ACPI, "EVTQ overflow detected -- events lost")
    # DT: an event record (<= 6.13 form), and the 6.19 decoded form naming SID 0x100
    drv(DT, "event 0x10 received:", 6)
    for dw in ("0x0000010000000010", "0x0000000000000000", "0x0000000000008000",
               "0x0000000000000000"):
        drv(DT, "\t" + dw, 6)
    drv(DT, "event: F_TRANSLATION client: 0000:01:00.0 sid: 0x100 ssid: 0 iova: 0x8000 ipa: 0")
    # DT: an illegal command (a CFGI_STE for SID 0x100), with its dump
    drv(DT, "unexpected global error reported (0x00000001), this could be serious", 4)
    drv(DT, "CMDQ error (cons 0x01000044): Illegal command")
    drv(DT, "skipping command in error state:")
    drv(DT, "\t0x0000010000000003")
    drv(DT, "\t0x0000000000000001")
    drv(DT, "CMDQ error (cons 0x0302bb84): ATC invalidate timeout")
    drv(DT, "CMDQ error (cons 0x02000050): Abort on command fetch")
    drv(DT, "retrying command fetch")
    drv(DT, "CMD_SYNC timeout at 0x00000c80 [hwprod 0x00000c81, hwcons 0x00000c7f]")
    kmsg("arm_smmu_cmdq_issue_cmdlist: 37 callbacks suppressed", 4)
    # the driver unbound: dev_printk says "platform"
    drv("arm-smmu-v3.1.auto", "CMDQ error (cons 0x03000003): ATC invalidate timeout",
        driver="platform")


EXPECTED_INCIDENTS = 8


def test_live_json():
    print("== smmutrace --live --json (printk:console tracepoint)")
    r = Run(LIVE_ARGS + ["--live", "--json", "--accept-user-kmsg"])
    ready = r.wait_for(lambda: b"tracing;" in r.err, 20)
    if not check(ready, "smmutrace --live became ready"):
        r.finish(signal.SIGKILL)
        print(r.stderr())
        return
    check("mode: log capture" in r.stderr(), "live banner names log-capture mode")
    check("driver log text        raw_tp    console                        attached"
          in r.stderr(), "console program attached")
    scenario()
    # incidents are printed as they settle, before any signal
    r.wait_for(lambda: len(r.incidents()) >= EXPECTED_INCIDENTS, 12)
    before = len(r.incidents())
    check(before >= 1, "incidents printed while running (settled by the clock tick)")
    rc = r.finish(signal.SIGINT)
    recs = r.records()
    incs = r.incidents()
    print(f"  {before} incidents before SIGINT, {len(incs)} in all; exit status {rc}")
    check(rc == 0, f"exit status after SIGINT {rc}, want 0")
    check("stopped by Interrupt" in r.stderr(), "stderr says it stopped on SIGINT")
    check(len(incs) == EXPECTED_INCIDENTS,
          f"{len(incs)} incidents, want {EXPECTED_INCIDENTS}: "
          + ", ".join(f"{i['smmu']}/{i['kind']}/{i['cons']}" for i in incs))

    a = find(incs, ACPI, cons=0x0302bb84)
    if check(a is not None, "ACPI ATC timeout at cons 0x0302bb84"):
        print(f"  {ACPI} cons=0x{a['cons']:08x} kind={a['kind']} idx=0x{a['idx']:x} "
              f"wrap={a['wrap']} retries={a['retries']} suspects="
              + str([(s['device'], s['evidence']) for s in a['suspects']]))
        check(a["kind"] == "atc_timeout" and a["cerror"] == 3, "bb84: kind atc_timeout, cerror 3")
        check(a["max_n_shift"] == 16 and a["idx"] == 0xbb84 and a["wrap"] == 0,
              "bb84: idx 0xbb84 wrap 0 after 'allocated 65536 entries'")
        check(a["retries"] == 1, "bb84: the repeated line counts as a retry")
        check(a["gerror"] == 1, "bb84: GERROR 0x1 joined")
        check(a["issuer_notified"] is None, "bb84: unpatched kernel, issuer not known to be told")
        check(a["source"] == "live" and a["time"] and a["mono_ns"], "bb84: live source, times")
        check(any(s["device"] == "0000:01:00.0" and "aer_completion_timeout" in s["evidence"]
                  for s in a["suspects"]), "bb84: AER CmpltTO device is a suspect")
    check(find(incs, ACPI, cons=0x0302bb88, kind="atc_timeout", retries=0) is not None,
          "ACPI next batch bb88 is its own incident")
    p = find(incs, ACPI, prod=0xbb90)
    if check(p is not None, "patched-kernel issuer line is an incident"):
        check(p["kind"] == "atc_timeout" and p["patched_kernel"] is True
              and p["issuer_notified"] is True, "patched line: atc_timeout, issuer notified")
    ill = find(incs, DT, cons=0x01000044)
    if check(ill is not None, "DT illegal command"):
        sk = ill["skipped_command"] or {}
        print(f"  {DT} cons=0x{ill['cons']:08x} kind={ill['kind']} skipped={sk.get('decoded')} "
              f"suspects={[(s['sid'], s['device']) for s in ill['suspects']]}")
        check(ill["kind"] == "illegal_command", "0x01000044: illegal_command")
        check(sk.get("opcode") == 3 and sk.get("name") == "CFGI_STE",
              "skipped command decoded as CFGI_STE")
        check(any(s["sid"] == 0x100 and s["device"] == "0000:01:00.0" for s in ill["suspects"]),
              "skipped command's SID 0x100 named from the event line's client")
    d = find(incs, DT, cons=0x0302bb84)
    if check(d is not None, "DT ATC timeout"):
        check(d["max_n_shift"] == 17 and d["idx"] == 0xbb84 and d["wrap"] == 1,
              "DT bb84: idx 0xbb84 wrap 1 with 131072 entries")
    f = find(incs, DT, kind="fetch_abort")
    check(f is not None and f["fetch_retries"] == 1 and f["cons"] == 0x02000050,
          "DT fetch abort with one retry")
    s = find(incs, DT, kind="sync_timeout")
    check(s is not None and s["prod"] == 0xc80 and s["hwprod"] == 0xc81
          and s["hwcons"] == 0xc7f and s["issuer_notified"] is True,
          "DT software CMD_SYNC timeout with hwprod/hwcons")
    check(find(incs, "arm-smmu-v3.1.auto", cons=0x03000003, kind="atc_timeout") is not None,
          "'platform' prefixed line (unbound driver) is attributed to its SMMU")

    sums = [x for x in recs if x["type"] == "summary"]
    check(len(sums) == 1 and recs[-1]["type"] == "summary" and recs[-1]["final"] is True,
          "one final summary, last")
    if not sums:
        return
    sm = sums[-1]
    print(f"  summary: incidents={sm['incidents']} suppressed={sm['suppressed']} "
          f"driver_messages={sm['driver_messages']} lost={sm.get('lost')}")
    check(sm["incidents"] == {"atc_timeout": 5, "illegal_command": 1, "fetch_abort": 1,
                              "unknown_cerror": 0, "sync_timeout": 1}, "summary counts by kind")
    check(sm["suppressed"] == 37
          and sm["suppressed_by_function"] == {"arm_smmu_cmdq_issue_cmdlist": 37},
          "ratelimit note counted per function")
    smmus = {x["smmu"]: x for x in sm["smmus"]}
    check(ACPI in smmus and smmus[ACPI]["max_n_shift"] == 16 and smmus[ACPI]["ats"] is True,
          "ACPI SMMU: 16-bit queue, ATS from the features line")
    check(DT in smmus and smmus[DT]["max_n_shift"] == 17 and smmus[DT]["evtq_events"] >= 1,
          "DT SMMU: 17-bit queue, event records counted")
    check(all("issuer" not in x for x in sm["smmus"]),
          "no issuer statistics claimed without kprobes")
    devs = {x["device"]: x for x in sm["devices"] if x["device"]}
    check("0000:01:00.0" in devs and devs["0000:01:00.0"]["aer_completion_timeouts"] >= 1,
          "device table: 0000:01:00.0 with its AER completion timeout")
    check(sm["driver_messages"] >= 25, f"driver messages parsed: {sm['driver_messages']}")
    check(sm.get("lost", {}).get("ringbuf", 0) == 0, "no ring-buffer losses")
    if os.path.exists(SCHEMA_CHECK):
        path = "/tmp/smmutrace-live-test.ndjson"
        with open(path, "wb") as fp:
            fp.write(r.out)
        v = subprocess.run([sys.executable, SCHEMA_CHECK, path], capture_output=True, text=True)
        check(v.returncode == 0, "live NDJSON validates against the JSON Schema: "
              + (v.stdout + v.stderr).strip()[-300:])
        os.unlink(path)


def normalized(recs):
    """What must match between a live run and the replay of its capture."""
    out = []
    for r in recs:
        if r["type"] == "incident":
            r = dict(r, source=None)
        elif r["type"] == "summary" and r["final"]:
            r = {k: v for k, v in r.items()
                 if k not in ("lines", "driver_messages", "malformed", "long_lines",
                              "unrecognized", "unrecognized_lines", "records", "time",
                              "mono_ns")}
        else:
            continue
        out.append(json.dumps(r, sort_keys=True))
    return out


def test_record_replay():
    print("== --record and --prom, then replay of the capture")
    cap = "/tmp/smmutrace-live-test.cap"
    prom = "/tmp/smmutrace-live-test.prom"
    for f in (cap, prom):
        if os.path.exists(f):
            os.unlink(f)
    r = Run(LIVE_ARGS + ["--json", "--record", cap, "--prom", prom, "--interval", "1",
                         "--accept-user-kmsg"])
    if not check(r.wait_for(lambda: b"tracing" in r.err, 20), "ready"):
        r.finish(signal.SIGKILL)
        return
    scenario()
    r.wait_for(lambda: len(r.incidents()) >= EXPECTED_INCIDENTS, 12)
    # the capture is readable while it is being written
    mid = subprocess.run([BIN, "replay", "--json", cap], capture_output=True, text=True)
    check(mid.returncode in (0, 1) and '"type":"summary"' in mid.stdout,
          "a capture being written replays up to its last flush")
    check(os.path.exists(prom) and "smmutrace_incidents_total" in open(prom).read(),
          "--prom written every --interval")
    rc = r.finish(signal.SIGINT)
    check(rc == 0, f"recording run exit status {rc}")
    check(oct(os.stat(cap).st_mode & 0o777) == "0o600", "capture created 0600")
    rep = subprocess.run([BIN, "replay", "--json", cap], capture_output=True, text=True)
    check(rep.returncode == 0, f"replay of the capture: exit {rep.returncode} {rep.stderr}")
    live = normalized(r.records())
    replayed = normalized(json.loads(x) for x in rep.stdout.splitlines())
    check(len(live) > 1 and live == replayed,
          f"replay of the capture equals the live report ({len(live)} records)")
    if live != replayed:
        for a, b in zip(live, replayed):
            if a != b:
                print("  live:   " + a[:400] + "\n  replay: " + b[:400], file=sys.stderr)
                break
    again = subprocess.run([BIN, "--json", "--duration", "1", "--record", cap],
                           capture_output=True, text=True)
    check(again.returncode == 1 and "use --force" in again.stderr,
          "an existing capture is not overwritten without --force")
    os.unlink(cap)
    os.unlink(prom)


def recording_run(tag, **popen):
    """A live run with --record and --prom, ready, that saw one incident."""
    cap = "/tmp/smmutrace-live-%s.cap" % tag
    prom = "/tmp/smmutrace-live-%s.prom" % tag
    for f in (cap, prom):
        if os.path.exists(f):
            os.unlink(f)
    r = Run(LIVE_ARGS + ["--json", "--record", cap, "--prom", prom, "--accept-user-kmsg"],
            **popen)
    if not check(r.wait_for(lambda: b"tracing" in r.err, 20), "%s: ready" % tag):
        r.finish(signal.SIGKILL)
        return None, cap, prom
    return r, cap, prom


def capture_replays(cap, tag, want_cons):
    """The capture ends with its trailer and holds the incident."""
    rep = subprocess.run([BIN, "replay", "--json", cap], capture_output=True, text=True)
    incs = [json.loads(x) for x in rep.stdout.splitlines()]
    check(rep.returncode == 0 and "truncated" not in rep.stderr,
          "%s: the capture is whole (exit %d) %s" % (tag, rep.returncode, rep.stderr.strip()))
    check(any(i.get("cons") == want_cons for i in incs), "%s: the capture holds the incident" % tag)


def test_stop_signals():
    print("== SIGHUP, SIGQUIT, SIGPIPE, SIGTERM end a run like SIGINT")
    for n, sig in enumerate((signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE, signal.SIGTERM)):
        tag = sig.name
        r, cap, prom = recording_run(tag)
        if not r:
            continue
        cons = 0x0300ab00 + 4 * n
        drv(DT, "CMDQ error (cons 0x%08x): ATC invalidate timeout" % cons)
        r.wait_for(lambda: len(r.incidents()) >= 1, 12)
        rc = r.finish(sig)
        recs = r.records()
        check(rc == 0, "%s: exit status %d, want 0" % (tag, rc))
        check(recs and recs[-1]["type"] == "summary" and recs[-1]["final"],
              "%s: the final summary is written" % tag)
        check("stopped by" in r.stderr(), "%s: stderr says it stopped" % tag)
        check(os.path.exists(prom) and "smmutrace_incidents_total" in open(prom).read(),
              "%s: --prom written at exit" % tag)
        capture_replays(cap, tag, cons)
        for f in (cap, prom):
            if os.path.exists(f):
                os.unlink(f)


def test_broken_stdout():
    print("== stdout closed with SIGPIPE ignored (systemd's default): EPIPE is noticed")
    ignore = lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    r, cap, prom = recording_run("epipe", preexec=ignore)
    if not r:
        return
    r.p.stdout.close()
    drv(DT, "CMDQ error (cons 0x0300abf0): ATC invalidate timeout")
    rc = r.finish(None, timeout=15)
    check(rc == 1, "broken stdout: exit status %d, want 1" % rc)
    check("stdout: Broken pipe" in r.stderr(), "broken stdout: said on stderr: "
          + r.stderr().strip().splitlines()[-1])
    check(os.path.exists(prom), "broken stdout: --prom still written")
    capture_replays(cap, "broken stdout", 0x0300abf0)
    for f in (cap, prom):
        if os.path.exists(f):
            os.unlink(f)


def test_duration_filter():
    print("== --duration 3 --smmu 9050000.smmuv3 -v")
    r = Run(LIVE_ARGS + ["--json", "--duration", "3", "--smmu", DT, "-v",
                         "--accept-user-kmsg"])
    if not check(r.wait_for(lambda: b"tracing" in r.err, 20), "ready"):
        r.finish(signal.SIGKILL)
        return
    drv(ACPI, "CMDQ error (cons 0x0300abc0): ATC invalidate timeout")
    drv(DT, "CMDQ error (cons 0x0300abc4): ATC invalidate timeout")
    t0 = time.time()
    rc = r.finish(None, timeout=15)
    took = time.time() - t0
    incs = r.incidents()
    sums = [x for x in r.records() if x["type"] == "summary"]
    check(rc == 0, f"--duration run exit status {rc}")
    check(took < 10, "--duration ended the run by itself")
    check(len(incs) == 1 and incs[0]["smmu"] == DT and incs[0]["cons"] == 0x0300abc4,
          "--smmu shows only the DT instance's incident")
    check(sums and sums[-1]["final"] and sums[-1]["filtered_out"] == 1,
          "the ACPI incident was counted as filtered out")
    check("libbpf: " in r.stderr(), "-v shows libbpf's log")


def test_without_bpf_privileges():
    print("== without BPF privileges")
    user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    p = subprocess.run(user + ["--inh-caps=-all", BIN, "--duration", "1"],
                       capture_output=True, text=True)
    dmesg_restrict = open("/proc/sys/kernel/dmesg_restrict").read().strip() == "1"
    if dmesg_restrict:
        check(p.returncode == 1, f"unprivileged, no /dev/kmsg: exit {p.returncode}, want 1")
        check("cannot trace: not root and no CAP_BPF" in p.stderr,
              "unprivileged refusal names the missing privilege")
        print("  " + p.stderr.strip().splitlines()[-1])
    else:
        check(p.returncode == 0 and "kmsg follow" in p.stderr,
              "unprivileged with readable /dev/kmsg: follows it")
    # CAP_SYSLOG alone: no BPF, but /dev/kmsg can be followed
    r = Run(["--json", "--duration", "4", "--accept-user-kmsg"],
            user_cmd=user + ["--inh-caps=+syslog", "--ambient-caps=+syslog"])
    if not check(r.wait_for(lambda: b"tracing" in r.err, 20), "kmsg mode ready"):
        r.finish(signal.SIGKILL)
        print(r.stderr())
        return
    check("mode: kmsg follow" in r.stderr() and "not root" in r.stderr(),
          "banner: kmsg follow mode, because not root")
    drv(DT, "allocated 65536 entries for cmdq", 6)
    drv(DT, "CMDQ error (cons 0x0301abcd): ATC invalidate timeout")
    rc = r.finish(None, timeout=15)
    incs = r.incidents()
    check(rc == 0, f"kmsg mode exit status {rc}")
    i = find(incs, DT, cons=0x0301abcd)
    check(i is not None and i["idx"] == 0x1abcd & 0xffff and i["time"] is not None,
          "kmsg mode: incident from /dev/kmsg with idx and wall time")


def main():
    if os.geteuid() != 0:
        print("test_live: needs root", file=sys.stderr)
        return 1
    t0 = time.time()
    test_check()
    if "--check-only" in sys.argv[1:]:
        print(f"  check without tracefs: {passed} passed, {failed} failed")
        return 1 if failed else 0
    test_live_json()
    test_record_replay()
    test_stop_signals()
    test_broken_stdout()
    test_duration_filter()
    test_without_bpf_privileges()
    print(f"  live tests: {passed} passed, {failed} failed ({time.time() - t0:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
