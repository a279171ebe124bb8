#!/bin/bash
# Command-line tests of `smmutrace replay`: real files, real exit codes,
# bad input.  Usage: tests/cli/run.sh path/to/smmutrace
set -uo pipefail

BIN=$(realpath "${1:?usage: run.sh SMMUTRACE}")
HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/../fixtures/logs
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export TZ=UTC

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "  FAIL: $*" >&2; }

# expect STATUS CMD...: run, keep stdout/stderr in $TMP/out and $TMP/err
expect() {
	local want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	local got=$?
	if [[ $got -ne $want ]]; then
		bad "exit $got (want $want): $*"
		sed 's/^/    stderr: /' "$TMP/err" | head -5 >&2
		return 1
	fi
	ok
}

contains() { # FILE TEXT
	if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks '$2'"; fi
}

# json_check 'python expression over recs (list of dicts)' DESCRIPTION
json_check() {
	if python3 - "$TMP/out" "$1" <<'EOF'; then ok; else bad "json: $2"; fi
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
inc = [r for r in recs if r["type"] == "incident"]
summ = [r for r in recs if r["type"] == "summary"]
assert len(summ) == 1 and recs[-1]["type"] == "summary", "summary must be last"
summ = summ[0]
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(recs, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}

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

echo "  CLI      text report"
expect 0 "$BIN" replay "$FIX/example-host.log"
contains "$TMP/out" "INCIDENTS"
contains "$TMP/out" "atc_timeout on arm-smmu-v3.0.auto"
contains "$TMP/out" "skipped command: ATC_INV sid=0x90100"
contains "$TMP/out" "12 rate-limited driver messages never reached the log"
if awk 'length > 99 { exit 1 }' "$TMP/out"; then ok; else bad "text lines over 99 columns"; fi

echo "  CLI      filters"
expect 0 "$BIN" replay --json --device 0000:01:00.1 "$FIX/example-host.log"
json_check 'len(inc) == 1 and inc[0]["suspects"][0]["device"] == "0000:01:00.1" and summ["filtered_out"] == 2' "--device"
expect 0 "$BIN" replay --json --sid 0x90100 "$FIX/example-host.log"
json_check 'len(inc) == 1 and inc[0]["kind"] == "illegal_command"' "--sid"
expect 0 "$BIN" replay --json --smmu arm-smmu-v3.1.auto "$FIX/example-host.log"
json_check 'len(inc) == 1' "--smmu"

echo "  CLI      bad input"
: >"$TMP/empty.log"
expect 0 "$BIN" replay --json "$TMP/empty.log"
json_check 'len(inc) == 0 and summ["lines"] == 0' "empty file"
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

echo "  CLI      usage"
expect 2 "$BIN" --bogus
expect 2 "$BIN" replay
contains "$TMP/err" "replay needs at least one FILE"
expect 2 "$BIN" replay --sid zz "$FIX/atc-dmesg.log"
contains "$TMP/err" "invalid --sid"
expect 2 "$BIN" frobnicate
contains "$TMP/err" "unknown command 'frobnicate'"
expect 2 "$BIN" replay --duration 5 "$FIX/atc-dmesg.log"
expect 0 "$BIN" --help
contains "$TMP/out" "EXAMPLES:"
contains "$TMP/out" "smmutrace replay"
expect 0 "$BIN" --version
contains "$TMP/out" "smmutrace "

echo "  CLI      $pass passed, $fail failed"
[[ $fail -eq 0 ]]
