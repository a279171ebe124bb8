#!/bin/bash
# Command-line tests of `smmutrace replay`: real files, real exit codes,
# bad input.  Usage: tests/cli/run.sh path/to/smmutrace
set -uo pipefail

. "$(dirname "$0")/lib.sh"
cli_setup "$@"

echo "  CLI      replay formats"
expect 0 "$BIN" replay --json "$FIX/atc-dmesg.log"
json_check 'len(inc) == 2 and inc[0]["kind"] == "atc_timeout" and inc[0]["issuer_notified"] is True and inc[0]["retries"] == 1 and inc[1]["kind"] == "illegal_command" and inc[1]["confidence"] == "confirmed" and summ["suppressed"] == 37' "dmesg fixture"

expect 0 "$BIN" replay --json "$FIX/example-host.log"
json_check 'summ["incidents"]["atc_timeout"] == 2 and summ["incidents"]["illegal_command"] == 1 and {s["smmu"] for s in summ["smmus"]} == {"arm-smmu-v3.0.auto", "arm-smmu-v3.1.auto"} and all(s["max_n_shift"] == 19 for s in summ["smmus"])' "example host"

# one file, every timestamp format mixed
cat >"$TMP/mixed.log" <<'EOF'
[  813.000120] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000010): ATC invalidate timeout
[Tue May 19 10:11:12 2026] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000020): ATC invalidate timeout
May 19 10:21:12 node kernel: arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000030): ATC invalidate timeout
May 19 10:31:12.000001 node kernel: arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000040): ATC invalidate timeout
2026-05-19T10:41:12+0000 node kernel: arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000050): ATC invalidate timeout
3,1234,913000120,-;arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03000060): ATC invalidate timeout
 SUBSYSTEM=platform
CMDQ error (cons 0x03000070): ATC invalidate timeout
kern  :err   : [  999.000000] platform 16000000.iommu: CMDQ error (cons 0x03000080): ATC invalidate timeout
EOF
expect 0 "$BIN" replay --json --year 2026 "$TMP/mixed.log"
json_check 'sorted(i["cons"] & 0xff for i in inc) == [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80] and sum(1 for i in inc if i["time"]) == 4 and {i["smmu"] for i in inc} == {"arm-smmu-v3.0.auto", None, "16000000.iommu"}' "mixed formats"

echo "  CLI      compressed, stdin, several files"
gzip -c "$FIX/atc-dmesg.log" >"$TMP/atc.log.gz"
expect 0 "$BIN" replay --json "$TMP/atc.log.gz"
json_check 'len(inc) == 2' "gzip input"
expect 0 bash -c "cat '$FIX/atc-dmesg.log' | '$BIN' replay --json -"
json_check 'len(inc) == 2' "stdin"
expect 0 "$BIN" replay --json "$FIX/atc-dmesg.log" "$FIX/example-host.log"
json_check 'len(inc) == 5' "two files"

# several machines' files: same-named SMMUs and devices stay apart (each file's syslog host)
for h in node7 node9; do
	printf 'May 19 10:11:12 %s kernel: [  812.3] mlx5_core 0000:01:00.0: AER:    [14] CmpltTO\nMay 19 10:11:13 %s kernel: [  813.0] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb84): ATC invalidate timeout\nMay 19 10:11:13 %s kernel: [  813.1] arm-smmu-v3 arm-smmu-v3.0.auto: event 0x10 received:\nMay 19 10:11:13 %s kernel: [  813.1] arm-smmu-v3 arm-smmu-v3.0.auto: \t0x0000010000000010\n' $h $h $h $h >"$TMP/$h.log"
done
expect 0 "$BIN" replay --json --year 2026 "$TMP/node7.log" "$TMP/node9.log"
json_check 'sorted(i["host"] for i in inc) == ["node7", "node9"] and sorted(s["host"] for s in summ["smmus"]) == ["node7", "node9"] and sorted(d["host"] for d in summ["devices"]) == ["node7", "node9"] and all(d["incidents"] == 1 for d in summ["devices"]) and sorted(r["host"] for r in recs if r["type"] == "event") == ["node7", "node9"]' "two machines kept apart"
expect 0 "$BIN" replay --json --record "$TMP/two.cap" --year 2026 "$TMP/node7.log" "$TMP/node9.log"
expect 0 "$BIN" replay --json "$TMP/two.cap"
json_check 'sorted(s["host"] for s in summ["smmus"]) == ["node7", "node9"] and sorted(i["host"] for i in inc) == ["node7", "node9"]' "a capture of two machines keeps them apart"
# one machine's files are one machine
cp "$TMP/node7.log" "$TMP/node7-again.log"
expect 0 "$BIN" replay --json --year 2026 "$TMP/node7.log" "$TMP/node7-again.log"
json_check 'len(summ["smmus"]) == 1 and summ["smmus"][0]["host"] is None' "one machine's files merge"

echo "  CLI      text report"
expect 0 "$BIN" replay "$FIX/example-host.log"
contains "$TMP/out" "INCIDENTS"
contains "$TMP/out" "atc_timeout on arm-smmu-v3.0.auto"
contains "$TMP/out" "skipped command: ATC_INV sid=0x90100"
contains "$TMP/out" "12 rate-limited command-queue messages (CMD_SYNC and CMDQ timeouts) never reached the log"
if awk 'length > 99 { exit 1 }' "$TMP/out"; then ok; else bad "text lines over 99 columns"; fi

# the operator's next step, from what the incidents said
contains "$TMP/out" "NEXT STEPS"
contains "$TMP/out" "likely culprit (across incidents): 0000:01:00.1"
contains "$TMP/out" "Reset it before trusting its DMA again"
contains "$TMP/out" "PCIe AER completion timeouts logged for 0000:01:00.1"
printf '[1.0] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n' >"$TMP/nosize.log"
expect 0 "$BIN" replay "$TMP/nosize.log"
contains "$TMP/out" 'the log has no "allocated N entries for cmdq" line'
contains "$TMP/out" "sudo smmutrace --live (with kprobes or fentry)"
if awk 'length > 99 { exit 1 }' "$TMP/out"; then ok; else bad "next steps over 99 columns"; fi

echo "  CLI      filters"
expect 0 "$BIN" replay --json --device 0000:01:00.1 "$FIX/example-host.log"
json_check 'len(inc) == 1 and inc[0]["suspects"][0]["device"] == "0000:01:00.1" and summ["filtered_out"] == 2' "--device"
expect 0 "$BIN" replay --json --sid 0x90100 "$FIX/example-host.log"
json_check 'len(inc) == 1 and inc[0]["kind"] == "illegal_command"' "--sid"
expect 0 "$BIN" replay --json --smmu arm-smmu-v3.1.auto "$FIX/example-host.log"
json_check 'len(inc) == 1' "--smmu"

echo "  CLI      bad input"
: >"$TMP/empty.log"
expect 1 "$BIN" replay --json "$TMP/empty.log"
contains "$TMP/err" "empty.log: file is empty"
json_check 'len(inc) == 0 and summ["lines"] == 0' "empty file still gets a summary"
expect 0 "$BIN" replay "$BIN"
contains "$TMP/err" "binary data"
contains "$TMP/out" "No SMMU command-queue incidents found."
head -c 3000000 /dev/urandom >"$TMP/random.bin"
expect 0 "$BIN" replay --json "$TMP/random.bin"
{ head -c 1048576 /dev/zero | tr '\0' 'x'; echo; cat "$FIX/atc-dmesg.log"; } >"$TMP/long.log"
expect 0 "$BIN" replay --json "$TMP/long.log"
json_check 'len(inc) == 2 and summ["long_lines"] == 1' "1 MB line"
printf '[1.0] arm-smmu-v3 s: CMDQ error (cons 0x0302bb84): ATC invalidate timeout\n\xff\xfe\x00\x01\n[2.0] arm-smmu-v3 \xc3\x28: CMDQ error (cons 0x0302bb88): ATC invalidate timeout\n' >"$TMP/utf8.log"
expect 0 "$BIN" replay --json "$TMP/utf8.log"
json_check 'len(inc) == 2 and inc[1]["smmu"] == "\\xc3(" ' "invalid UTF-8"
expect 1 "$BIN" replay "$TMP/does-not-exist.log"
contains "$TMP/err" "does-not-exist.log: cannot open: No such file or directory"
expect 1 "$BIN" replay "$TMP"
contains "$TMP/err" "is a directory"
# a truncated gzip: the report covers what was read, and says so
for i in $(seq 60); do cat "$FIX/example-host.log"; done | gzip -c >"$TMP/full.gz"
head -c $(($(stat -c %s "$TMP/full.gz") * 2 / 3)) "$TMP/full.gz" >"$TMP/cut.gz"
expect 1 "$BIN" replay --json "$TMP/cut.gz"
contains "$TMP/err" "truncated"
json_check 'summ["truncated"] is True and 10 <= len(inc) < 180' "truncated gzip keeps what was read"
# one bad file among good ones: the good ones are still reported
expect 1 "$BIN" replay --json "$FIX/atc-dmesg.log" "$TMP/nope.log"
json_check 'len(inc) == 2' "good file reported despite a bad one"

echo "  CLI      pasted excerpts"
# corpus-clean.log is written from the driver's format strings; the pasted
# copies are it quoted and wrapped by a mailer, and quoted-printable encoded
expect 0 "$BIN" replay --json "$FIX/corpus-clean.log"
cp "$TMP/out" "$TMP/clean.json"
# what the corpus holds: an ATC timeout retried once, its issuer's timeout line, an illegal
# command, a fetch abort, a patched kernel's ATC line, and on the other SMMU a timeout
# line whose hwcons already carries ERR=3 before its CMDQ error: five CMD_SYNCs failed
json_check 'sorted(i["kind"] for i in inc) == ["atc_timeout"] * 3 + ["fetch_abort", "illegal_command"] and sorted(i["cons"] for i in inc if i["cons"] is not None) == [0x01000c41, 0x02001000, 0x03001070, 0x0302bb84] and summ["unrecognized"] == 0 and summ["suppressed_events"] == 12 and summ["suppressed_cmdq"] == 37' "clean corpus"
# event records, first-class: each one's StreamID and device, grouped in the summary
expect 0 "$BIN" replay --json "$FIX/corpus-clean.log"
json_check 'sorted(r["sid"] for r in recs if r["type"] == "event") == [0x3f, 0x100, 0x200] and [r["device"] for r in recs if r["type"] == "event" and r["sid"] == 0x200] == ["0000:02:00.0"] and [r["access"] for r in recs if r["type"] == "event"] == ["read", "write", None] and {s["smmu"]: s["evtq_overflows"] for s in summ["smmus"]} == {"arm-smmu-v3.0.auto": 1, "arm-smmu-v3.1.auto": 0} and sum(g["count"] for g in summ["event_groups"]) == 3' "event records"
expect 0 "$BIN" replay --json --sid 0x200 "$FIX/corpus-clean.log"
json_check '[r["name"] for r in recs if r["type"] == "event"] == ["F_TRANSLATION"] and len(summ["event_groups"]) == 1' "--sid applies to event records"
expect 0 "$BIN" replay "$FIX/corpus-clean.log"
contains "$TMP/out" "EVENT QUEUE"
contains "$TMP/out" "0000:02:00.0      0x200 F_TRANSLATION"
contains "$TMP/out" "12 rate-limited event records"
expect 0 "$BIN" replay --prom "$TMP/ev.prom" "$FIX/corpus-clean.log"
contains "$TMP/ev.prom" 'smmutrace_evtq_records_total{smmu="arm-smmu-v3.0.auto",device="0000:02:00.0",sid="0x200",event="F_TRANSLATION"} 1'
contains "$TMP/ev.prom" 'smmutrace_evtq_overflows_total{smmu="arm-smmu-v3.0.auto"} 1'
# a dword that cannot be read: the fields it carries are null, the others are not shifted
printf '[5.0] arm-smmu-v3 s: event 0x10 received:\n[5.0] arm-smmu-v3 s: \t0x00000100000zz010\n[5.0] arm-smmu-v3 s: \t0x0000000800000000\n[5.0] arm-smmu-v3 s: \t0x00000000ffff1000\n[5.0] arm-smmu-v3 s: \t0x0000000000000000\n' >"$TMP/mangled-dword.log"
expect 0 "$BIN" replay --json "$TMP/mangled-dword.log"
json_check '[(r["event"], r["sid"], r["addr"], r["access"], r["dwords"][0]) for r in recs if r["type"] == "event"] == [(16, None, "0xffff1000", "read", None)] and summ["malformed"] == 1' "mangled dword"
for f in pasted-reply.log pasted-qp.log; do
	expect 0 "$BIN" replay --json "$FIX/$f"
	json_check 'summ["unrecognized"] == 0 and summ["malformed"] == 0' "$f read whole"
	if diff <(grep '"type":"incident"' "$TMP/clean.json") <(grep '"type":"incident"' "$TMP/out") \
		>"$TMP/diff"; then ok; else bad "$f: incidents differ from the clean log"; head -6 "$TMP/diff" >&2; fi
done
# other drivers, other operating systems, prose: nothing, and no warning
cat >"$TMP/foreign.log" <<'EOF2'
(XEN) SMMUv3: /smmu@2b400000: CMDQ error (cons 0x0302bb84): ATC invalidate timeout
[    5.1] arm-smmu 2b400000.iommu: Unexpected global fault, this could be serious
[    6.0] nvme 0000:01:00.0: CMDQ error (cons 0x0302bb84): ATC invalidate timeout
We kept seeing the CMDQ error (cons 0x0302bb84): ATC invalidate timeout line.
EOF2
expect 0 "$BIN" replay --json "$TMP/foreign.log"
json_check 'len(inc) == 0 and summ["unrecognized"] == 0 and summ["driver_messages"] == 0' "not this driver"
# never silent: what looks like the driver's and cannot be read is named
printf '[1.0] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ erorr (cons 0x0302bb84): ATC invalidate timeout\n' >"$TMP/unread.log"
expect 0 "$BIN" replay "$TMP/unread.log"
contains "$TMP/out" "1 line looked like arm-smmu-v3 driver output but could not be read"
contains "$TMP/out" 'expected "CMDQ error (cons 0x%08x): %s"'
contains "$TMP/out" "No SMMU command-queue incidents found in what could be read"
expect 0 "$BIN" replay --json "$TMP/unread.log"
json_check 'summ["unrecognized"] == 1 and summ["unrecognized_lines"][0]["line"] == 1 and summ["unrecognized_lines"][0]["expected"].startswith("CMDQ error")' "unrecognized in JSON"

# an elided position is unreadable, never a number
printf '[2.0] arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout at 0x... [hwprod 0x00000001, hwcons 0x00000002]\n' >"$TMP/elided.log"
expect 0 "$BIN" replay "$TMP/elided.log"
contains "$TMP/out" "CMD_SYNC timeout at an unreadable position"
contains "$TMP/out" "hardware then: hwprod 0x00000001, hwcons 0x00000002"
contains "$TMP/out" "1 driver message (1 with unreadable values)"
expect 0 "$BIN" replay --json "$TMP/elided.log"
json_check 'inc[0]["prod"] is None and inc[0]["hwprod"] == 1 and summ["malformed"] == 1' "elided position null"

# kernels before 5.4 (RHEL 8's 4.18, openEuler's 4.19): "CMD_SYNC timeout" carries no
# position, so nothing is unreadable; a newer line wrapped before " at" is still the newer
cat >"$TMP/old-kernel.log" <<'EOF2'
[   10.000000] arm-smmu-v3 arm-smmu-v3.0.auto: ias 48-bit, oas 48-bit (features 0x00000fef)
[  100.000000] arm-smmu-v3 arm-smmu-v3.0.auto: CMD_SYNC timeout
[  101.000000] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ timeout,cnt:0
[  102.000000] arm-smmu-v3 arm-smmu-v3.1.auto: CMD_SYNC timeout
at 0x00000010 [hwprod 0x00000011, hwcons 0x03000010]
(XEN) SMMUv3: /smmu@2b400000: CMD_SYNC timeout
EOF2
expect 0 "$BIN" replay "$TMP/old-kernel.log"
contains "$TMP/out" "CMD_SYNC timeout: this kernel's message carries no position"
contains "$TMP/out" "4 driver messages (0 with unreadable values), 0 unrecognized"
contains "$TMP/out" "kernels before 5.4 print no queue size"
expect 0 "$BIN" replay --json "$TMP/old-kernel.log"
json_check '[(i["smmu"], i["kind"], i["prod"], i["hwcons"]) for i in inc] == [("arm-smmu-v3.0.auto", "sync_timeout", None, None), ("arm-smmu-v3.1.auto", "sync_timeout", 0x10, 0x03000010)] and summ["malformed"] == 0 and summ["unrecognized"] == 0' "old kernel's sync timeout"

echo "  CLI      captures"
# strip what legitimately differs between a run and its replay
norm() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    for k in ("source", "lines", "driver_messages", "malformed", "unrecognized",
              "unrecognized_lines", "long_lines", "records"):
        r.pop(k, None)
    print(json.dumps(r, sort_keys=True))' "$1"
}
expect 0 "$BIN" replay --json --record "$TMP/a.cap" "$FIX/example-host.log" "$FIX/atc-dmesg.log"
cp "$TMP/out" "$TMP/from-log.json"
if [[ $(stat -c %a "$TMP/a.cap") == 600 ]]; then ok; else bad "capture mode $(stat -c %a "$TMP/a.cap")"; fi
expect 0 "$BIN" replay --json "$TMP/a.cap"
json_check 'all(i["source"] == "capture" for i in inc) and summ["records"] > 0' "capture replay source"
if diff <(norm "$TMP/from-log.json") <(norm "$TMP/out") >"$TMP/diff"; then ok; else
	bad "capture replay differs from log replay"; head -20 "$TMP/diff" >&2; fi
expect 0 "$BIN" replay "$FIX/example-host.log" "$FIX/atc-dmesg.log"
cp "$TMP/out" "$TMP/from-log.txt"
expect 0 "$BIN" replay "$TMP/a.cap"
if diff <(grep -v 'lines read' "$TMP/from-log.txt") <(grep -v 'lines read' "$TMP/out") >"$TMP/diff"; then ok
else bad "text report of capture differs"; head -20 "$TMP/diff" >&2; fi
expect 0 bash -c "'$BIN' replay --json - <'$TMP/a.cap'"
json_check 'len(inc) == 5' "capture on stdin"
# a capture of a capture replays the same
expect 0 "$BIN" replay --json --record "$TMP/b.cap" "$TMP/a.cap"
expect 0 "$BIN" replay --json "$TMP/b.cap"
if diff <(norm "$TMP/from-log.json") <(norm "$TMP/out") >/dev/null; then ok; else bad "re-recorded capture differs"; fi
# never overwrite without --force, and leave the old file untouched
sum_before=$(md5sum <"$TMP/a.cap")
expect 1 "$BIN" replay --record "$TMP/a.cap" "$FIX/atc-dmesg.log"
contains "$TMP/err" "File exists (use --force to overwrite)"
if [[ $(md5sum <"$TMP/a.cap") == "$sum_before" ]]; then ok; else bad "existing capture was modified"; fi
expect 0 "$BIN" replay --json --force --record "$TMP/a.cap" "$FIX/atc-dmesg.log"
expect 0 "$BIN" replay --json "$TMP/a.cap"
json_check 'len(inc) == 2' "--force overwrote"
expect 2 "$BIN" replay --force "$FIX/atc-dmesg.log"
# truncated: replays up to the last whole record, says so, exits 1
for i in $(seq 40); do cat "$FIX/example-host.log"; done >"$TMP/big.log"
expect 0 "$BIN" replay --json --record "$TMP/big.cap" "$TMP/big.log"
total=$(python3 -c 'import json,sys; print(len([1 for l in open(sys.argv[1]) if json.loads(l)["type"] == "incident"]))' "$TMP/out")
head -c $(($(stat -c %s "$TMP/big.cap") / 2)) "$TMP/big.cap" >"$TMP/half.cap"
expect 1 "$BIN" replay --json "$TMP/half.cap"
contains "$TMP/err" "replayed up to the last whole record"
json_check "summ['truncated'] is True and 0 < len(inc) < $total" "truncated capture"
# corrupt: flip bytes in the middle of the compressed stream
python3 - "$TMP/big.cap" "$TMP/bad.cap" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(b) // 2, len(b) // 2 + 64):
    b[i] ^= 0x5a
open(sys.argv[2], "wb").write(b)
PY
expect 1 "$BIN" replay --json "$TMP/bad.cap"
contains "$TMP/err" "corrupt capture"
json_check 'summ["truncated"] is True' "corrupt capture keeps what was read"
# a newer format version and a bad magic are refused with a clear message
python3 - "$TMP" <<'PY'
import gzip, struct, sys
hdr = b'{"tool":"smmutrace 9"}'
open(sys.argv[1] + "/v2.cap", "wb").write(gzip.compress(b"SMMUTRC\0" + struct.pack("<II", 2, len(hdr)) + hdr))
open(sys.argv[1] + "/magic.cap", "wb").write(gzip.compress(b"SMMUTRX\0" + struct.pack("<II", 1, 2) + b"{}"))
open(sys.argv[1] + "/hdr.cap", "wb").write(gzip.compress(b"SMMUTRC\0" + struct.pack("<II", 1, 5) + b"{nope"))
open(sys.argv[1] + "/rec.cap", "wb").write(gzip.compress(b"SMMUTRC\0" + struct.pack("<II", 1, 2) + b"{}" + struct.pack("<I", 999999)))
PY
expect 1 "$BIN" replay "$TMP/v2.cap"
contains "$TMP/err" "capture format version 2 is not supported"
expect 1 "$BIN" replay "$TMP/magic.cap"
contains "$TMP/err" "bad magic"
expect 1 "$BIN" replay "$TMP/hdr.cap"
contains "$TMP/err" "capture header is not valid JSON"
expect 1 "$BIN" replay "$TMP/rec.cap"
contains "$TMP/err" "record of 999999 bytes: corrupt capture"

echo "  CLI      prometheus"
expect 0 "$BIN" replay --prom "$TMP/m.prom" "$FIX/example-host.log"
contains "$TMP/m.prom" 'smmutrace_incidents_total{smmu="arm-smmu-v3.0.auto",kind="atc_timeout"} 2'
contains "$TMP/m.prom" 'smmutrace_suppressed_messages_total{function="arm_smmu_cmdq_issue_cmdlist"} 12'
if ls "$TMP"/m.prom.tmp.* >/dev/null 2>&1; then bad "temp file left behind"; else ok; fi
if [[ -n "${PROMTOOL:-}" ]]; then
	if "$PROMTOOL" check metrics <"$TMP/m.prom" >"$TMP/promtool" 2>&1; then ok
	else bad "promtool check metrics"; cat "$TMP/promtool" >&2; fi
else
	bad "PROMTOOL not set: cannot check the metrics"
fi
# a capture recorded by `smmutrace --live` on Debian's 6.12 arm64 kernel under QEMU
# (make demo): issuer statistics, a latency histogram, two injected faults
CAP=$HERE/../fixtures/captures/qemu-6.12-demo.cap
expect 0 "$BIN" replay --json --prom "$TMP/q.prom" "$CAP"
json_check 'sorted(i["kind"] for i in inc) == ["illegal_command", "sync_timeout"] and all(i["source"] == "capture" for i in inc) and summ["smmus"][0]["issuer"]["calls"] > 1000 and summ["smmus"][0]["issuer"]["contexts"]["hardirq"] == summ["smmus"][0]["issuer"]["calls"] and [i for i in inc if i["kind"] == "sync_timeout"][0]["issuers"][0]["ret"] == -110' "live capture from the emulated arm64 kernel"
contains "$TMP/q.prom" 'smmutrace_cmd_sync_latency_seconds_bucket{smmu="9050000.smmuv3",le="+Inf"}'
expect 0 "$BIN" replay --json "$FIX/example-host.log" "$CAP"
json_check 'sorted((i["source"], i["kind"]) for i in inc) == [("capture", "illegal_command"), ("capture", "sync_timeout"), ("log", "atc_timeout"), ("log", "atc_timeout"), ("log", "illegal_command")]' "each incident names the input it came from"
if [[ -n "${PROMTOOL:-}" ]] && "$PROMTOOL" check metrics <"$TMP/q.prom" >"$TMP/promtool" 2>&1; then ok
else bad "promtool check metrics (histogram)"; cat "$TMP/promtool" >&2; fi
# make demo on Debian 6.12 with our SMMU model: an ATC timeout, then CMDQEN
# cleared for 2 s ("CMD_SYNC timeout at 0x00004da0", printed by a call that
# returned -110; the same IRQ handler's next call entered at that prod and
# returned 0), then an illegal command.  Only the printer is the timeout's
# issuer, and the next call's ATC_INV is no failing batch of its device.
CAP_ATC=$HERE/../fixtures/captures/qemu-6.12-demo-atc.cap
expect 0 "$BIN" replay --json "$CAP_ATC"
json_check '[i["kind"] for i in inc] == ["atc_timeout", "sync_timeout", "illegal_command"] and [(x["ret"], x["duration_ns"] >= 10**9) for x in inc[1]["issuers"]] == [(-110, True)] and not any("issuer_batch" in s["evidence"] for s in inc[1]["suspects"]) and all(d["failing_batches"] == sum(any(s["device"] == d["device"] for s in i["suspects"]) for i in inc) for d in summ["devices"])' "demo capture: a timeout line's issuer is the call that printed it"
json_check '"queue_walk" in inc[0]["suspects"][0]["evidence"] and inc[0]["confidence"] == "confirmed"' "demo capture: the ATC timeout keeps its walk"
expect 1 "$BIN" replay --prom /nonexistent/dir/m.prom "$FIX/atc-dmesg.log"
contains "$TMP/err" "--prom /nonexistent/dir/m.prom"

echo "  CLI      usage"
expect 2 "$BIN" --bogus
expect 2 "$BIN" replay
contains "$TMP/err" "replay needs at least one FILE"
expect 2 "$BIN" replay --sid zz "$FIX/atc-dmesg.log"
contains "$TMP/err" "invalid --sid"
expect 2 "$BIN" frobnicate
contains "$TMP/err" "unknown command 'frobnicate'"
expect 2 "$BIN" replay --duration 5 "$FIX/atc-dmesg.log"
expect 2 "$BIN" replay --no-fentry "$FIX/atc-dmesg.log"
contains "$TMP/err" "--no-fentry"
expect 0 "$BIN" --help
contains "$TMP/out" "--no-fentry"
expect 0 "$BIN" --help
contains "$TMP/out" "EXAMPLES:"
contains "$TMP/out" "smmutrace replay"
expect 0 "$BIN" --version
contains "$TMP/out" "smmutrace "

# root-safe output files and rotated captures
# shellcheck source=outputs.sh
. "$HERE/outputs.sh"

# shellcheck source=atc.sh
. "$HERE/atc.sh"

echo "  CLI      a log still being written (FIFO, pipe)"
# streamed WHAT CMD...: CMD replays $TMP/live.fifo while the writer holds it
# open after the first 15 lines of atc-dmesg.log (the 900 s line settles the
# first incident); its record must come out before the writer is done.
# Order, not timing: the wait is only a bound so that nothing can hang.
streamed() {
	local what=$1 rpid
	shift
	rm -f "$TMP/live.fifo" && mkfifo "$TMP/live.fifo"
	timeout 60 "$@" >"$TMP/out" 2>"$TMP/err" &
	rpid=$!
	exec 7>"$TMP/live.fifo"
	sed -n '1,15p' "$FIX/atc-dmesg.log" >&7
	for _ in $(seq 300); do
		grep -q '"type":"incident"' "$TMP/out" && break
		sleep 0.1
	done
	if grep -q '"type":"incident"' "$TMP/out"; then
		ok
	else
		bad "$what: no incident record while the writer was still writing"
	fi
	sed -n '16,$p' "$FIX/atc-dmesg.log" >&7
	exec 7>&-
	if wait "$rpid"; then ok; else bad "$what: exit $?"; fi
}
streamed "FIFO" "$BIN" replay --json "$TMP/live.fifo"
json_check 'len(inc) == 2' "FIFO: every incident by the end"
streamed "pipe" bash -c "cat '$TMP/live.fifo' | '$BIN' replay --json -"
json_check 'len(inc) == 2' "pipe: every incident by the end"
# gzip on a pipe is inflated as it comes, member after member, cut short said so
expect 0 bash -c "{ gzip -c '$FIX/example-host.log'; gzip -c '$FIX/atc-dmesg.log'; } | '$BIN' replay --json -"
json_check 'len(inc) == 5' "gzip members on a pipe"
expect 1 bash -c "cat '$TMP/cut.gz' | '$BIN' replay --json -"
contains "$TMP/err" "compressed stream is truncated"
json_check 'summ["truncated"] is True and 10 <= len(inc) < 180' "truncated gzip on a pipe keeps what was read"

echo "  CLI      a file is read ahead on a second thread: the same report as one"
# A pipe is replayed on one thread (each record shown at once), a regular
# file on two; the bytes out must not depend on which.
for _ in $(seq 200); do cat "$FIX/atc-dmesg.log" "$FIX/example-host.log"; done >"$TMP/big.log"
one_vs_two() { # WHAT ARGS...: the last argument is a regular file
	local f=${*: -1}
	expect 0 "$BIN" replay "${@:2}"
	cp "$TMP/out" "$TMP/two"
	expect 0 bash -c "cat '$f' | '$BIN' replay ${*:2:$#-2} -"
	if cmp -s "$TMP/out" "$TMP/two"; then ok; else bad "$1: two threads differ from one"; fi
}
for f in "$FIX"/*.log "$TMP/big.log"; do
	one_vs_two "$(basename "$f") --json" --json "$f"
	one_vs_two "$(basename "$f") text" "$f"
done
one_vs_two "capture --json" --json "$HERE/../fixtures/captures/qemu-6.12-demo-atc.cap"
json_check 'len(inc) >= 1' "the demo capture on two threads"
# --record is written by the engine's thread: the capture replays to the same report
expect 0 "$BIN" replay --json --record "$TMP/threads.cap" "$TMP/big.log"
grep -v '"type":"summary"' "$TMP/out" >"$TMP/two.inc"
json_check 'summ["events"] > 256 * 8 and len(inc) > 200' "a big log spans more batches than the ring holds"
expect 0 "$BIN" replay --json "$TMP/threads.cap"
grep -v '"type":"summary"' "$TMP/out" | sed 's/"source":"capture"/"source":"log"/' >"$TMP/cap.inc"
if cmp -s "$TMP/two.inc" "$TMP/cap.inc"; then ok; else bad "--record on two threads: capture replays differently"; fi

echo "  CLI      JSON schema"
schema_check

cli_done
