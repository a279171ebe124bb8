#!/bin/bash
# Command-line tests of what smmutrace writes: every write checked (a full
# disk, /dev/full, a closed pipe), replay ending cleanly on a signal, every
# string from a log or a capture escaped in the views and in messages, and
# NDJSON valid against the schema whatever a forged capture holds.
# Usage: tests/cli/writes.sh path/to/smmutrace  (root adds the full-disk tests)
set -uo pipefail

. "$(dirname "$0")/lib.sh"
cli_setup "$1" out
ESC=$'\e'

# many incidents: more output than a pipe holds
for i in $(seq 1 3000); do
	printf '[%d.000000] arm-smmu-v3 arm-smmu-v3.0.auto: CMDQ error (cons 0x03%06x): ATC invalidate timeout\n' \
		"$i" $((i * 4))
done >"$TMP/many.log"

echo "  OUTPUT   stdout write errors"
for fmt in --json --verbose; do
	expect 1 bash -c "'$BIN' replay $fmt '$TMP/many.log' >/dev/full"
	contains "$TMP/err" "smmutrace: stdout: No space left on device"
done
expect 1 bash -c "'$BIN' check >/dev/full"
contains "$TMP/err" "stdout: No space left on device"
# SIGPIPE ignored (systemd's default): EPIPE is noticed, said and fails the run
expect 1 bash -c "trap '' PIPE; '$BIN' replay --json '$TMP/many.log' | head -c 100 >/dev/null
	exit \${PIPESTATUS[0]}"
contains "$TMP/err" "stdout: Broken pipe"

# in_small_fs FREE_KB CMD...: CMD in a private mount namespace, with a tmpfs at
# $SMALL that has about FREE_KB left; what CMD leaves there is copied to $KEPT
SMALL=$TMP/small
KEPT=$TMP/kept
in_small_fs() {
	local free=$1
	shift
	rm -rf "$KEPT" && mkdir -p "$SMALL" "$KEPT"
	unshare -m bash -c 'mount -t tmpfs -o size=1m none "$1" || exit 99
		head -c $((1024 - $2))k /dev/zero >"$1/fill" 2>/dev/null
		dir=$1 kept=$3
		shift 3
		"$@"
		rc=$?
		rm -f "$dir/fill"
		cp -a "$dir/." "$kept/"
		exit $rc' _ "$SMALL" "$free" "$KEPT" "$@"
}

# every line a whole JSON object
whole_records() {
	python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]; sys.exit(0)' \
		"$1" 2>/dev/null
}

if [[ $EUID -eq 0 ]] && unshare -m true 2>/dev/null; then
	echo "  OUTPUT   a full disk (tmpfs in a private mount namespace)"
	# room for a few buffers of output, then a write cut short
	expect 1 in_small_fs 100 bash -c '"$0" replay --json "$1" >"$2"' "$BIN" \
		"$TMP/many.log" "$SMALL/out.json"
	contains "$TMP/err" "smmutrace: stdout: No space left on device"
	if [[ -s $KEPT/out.json ]] && whole_records "$KEPT/out.json"; then ok
	else bad "stdout on a full disk: not the whole records written before"; fi
	# the capture fills the disk: recording stops, the report goes on, the
	# capture holds what came before
	expect 1 in_small_fs 8 "$BIN" replay --json --record "$SMALL/x.cap" "$TMP/many.log"
	contains "$TMP/err" "--record $SMALL/x.cap: write failed: No space left on device; recording stopped"
	json_check 'len(inc) == 3000' "the report is whole when the capture fails"
	expect 1 "$BIN" replay --json "$KEPT/x.cap"
	json_check '0 < summ["records"] and summ["truncated"] is True' "the cut capture replays"
	expect 1 in_small_fs 0 "$BIN" replay --prom "$SMALL/m.prom" "$TMP/many.log"
	contains "$TMP/err" "--prom $SMALL/m.prom: No space left on device"
	if ls "$KEPT" | grep -q 'm.prom'; then bad "--prom left a file on a full disk"; else ok; fi
else
	echo "  OUTPUT   a full disk: SKIPPED (needs root and unshare -m)"
fi

echo "  OUTPUT   replay ends cleanly on SIGINT and SIGTERM"
# a log arriving on a pipe that stays open: replay has parsed what came and
# waits for more when the signal arrives (the input hands a pipe over 1 MiB
# at a time, so more than that is sent)
{ cat "$FIX/atc-dmesg.log"; for i in $(seq 20000); do
	echo "[ 9999.$i] usb 1-1: new high-speed USB device number $i using xhci_hcd"; done
} >"$TMP/slow.log"
for sig in INT TERM; do
	python3 - "$BIN" "$TMP/slow.log" "$sig" "$TMP" <<'EOF'
import array, fcntl, os, signal, subprocess, sys, termios, time
binary, log, sig, tmp = sys.argv[1:]
with open(tmp + "/out", "wb") as out, open(tmp + "/err", "wb") as err:
    p = subprocess.Popen([binary, "replay", "--json", "-"], stdin=subprocess.PIPE,
                         stdout=out, stderr=err)
    p.stdin.write(open(log, "rb").read())
    p.stdin.flush()
    n = array.array("i", [1])
    for _ in range(200):
        fcntl.ioctl(p.stdin.fileno(), termios.FIONREAD, n)
        with open("/proc/%d/wchan" % p.pid) as w:
            if n[0] == 0 and w.read() == "pipe_read":
                break
        time.sleep(0.05)
    p.send_signal(getattr(signal, "SIG" + sig))
    rc = p.wait(timeout=20)
    p.stdin.close()
open(tmp + "/rc", "w").write(str(rc))
EOF
	rc=$(cat "$TMP/rc")
	if [[ $rc -eq 1 ]]; then ok; else bad "SIG$sig: replay exit $rc, want 1"; fi
	contains "$TMP/err" "interrupted by"
	json_check 'len(inc) == 2 and summ["truncated"] is True and summ["final"] is True' \
		"SIG$sig: the partial report"
done

echo "  OUTPUT   strings from captures and logs are escaped"
python3 "$HERE/forge.py" --endian "$TMP/endian.cap"
expect 1 "$BIN" replay "$TMP/endian.cap"
contains "$TMP/err" 'capture is big\x1b]0;owned\x07\x1b[2J-endian'
lacks "$TMP/err" "$ESC"
expect 1 "$BIN" replay "$TMP/no${ESC}[2J.log"
contains "$TMP/err" 'no\x1b[2J.log: cannot open'
lacks "$TMP/err" "$ESC"
expect 0 "$BIN" replay --record "$TMP/log.cap" "$FIX/atc-dmesg.log" "$FIX/example-host.log"
python3 "$HERE/forge.py" 7 12 "$TMP" "$HERE/../fixtures/captures/qemu-6.12-demo.cap" \
	"$TMP/log.cap"
for i in $(seq 0 11); do
	expect 0 "$BIN" replay -v --json "$TMP/forged-$i.cap" || continue
	json_check 'len(recs) > 1' "forged capture $i"
	lacks "$TMP/err" "$ESC"
	contains "$TMP/err" 'capture by smmutrace \x1b]0;owned\x07\x1b[2J of \x1b]0;owned'
	expect 0 "$BIN" replay "$TMP/forged-$i.cap"
	lacks "$TMP/out" "$ESC"
done
expect 0 "$BIN" replay --prom "$TMP/forged.prom" "$TMP/forged-0.cap"
if [[ -n "${PROMTOOL:-}" ]]; then
	if "$PROMTOOL" check metrics <"$TMP/forged.prom" >"$TMP/promtool" 2>&1; then ok
	else bad "promtool check metrics (forged capture)"; cat "$TMP/promtool" >&2; fi
fi

echo "  OUTPUT   JSON keys and Prometheus labels: whole and unique"
long=$(printf '\xfe%.0s' $(seq 62))
printf '[1.0] arm_smmu_fn\xff: 5 callbacks suppressed
[1.1] arm_smmu_fn\\xff: 7 callbacks suppressed
[1.2] arm_smmu_cmdq_issue_cmdlist: 11 callbacks suppressed
[2.0] arm-smmu-v3 s\xff: CMDQ error (cons 0x0302bb84): ATC invalidate timeout
[2.1] arm-smmu-v3 s\\xff: CMDQ error (cons 0x0302bb84): ATC invalidate timeout
[2.2] arm-smmu-v3 %sa: CMDQ error (cons 0x0302bb84): ATC invalidate timeout
[2.3] arm-smmu-v3 %sb: CMDQ error (cons 0x0302bb84): ATC invalidate timeout
' "$long" "$long" >"$TMP/names.log"
expect 0 "$BIN" replay --json --prom "$TMP/names.prom" "$TMP/names.log"
json_check 'len(summ["suppressed_by_function"]) == 3 and sum(summ["suppressed_by_function"].values()) == summ["suppressed"] == 23 and len({s["smmu"] for s in summ["smmus"]}) == 4' "keys escaped, never dropped or merged"
n=$(grep '^smmutrace_incidents_total{.*kind="atc_timeout"} 1$' "$TMP/names.prom" | sort -u | wc -l)
if [[ $n -eq 4 ]]; then ok; else bad "4 SMMUs, $n distinct atc_timeout series"; fi
contains "$TMP/names.prom" 'smmutrace_gerrors_total{smmu="s\\xff"}'
contains "$TMP/names.prom" 'smmutrace_gerrors_total{smmu="s\\x5cxff"}'
contains "$TMP/names.prom" 'smmutrace_suppressed_messages_total{function="arm_smmu_fn\\x5cxff"} 7'
if [[ -n "${PROMTOOL:-}" ]]; then
	if "$PROMTOOL" check metrics <"$TMP/names.prom" >"$TMP/promtool" 2>&1; then ok
	else bad "promtool check metrics (names)"; cat "$TMP/promtool" >&2; fi
else
	bad "PROMTOOL not set: cannot check the metrics"
fi

echo "  OUTPUT   JSON schema"
schema_check
cli_done
