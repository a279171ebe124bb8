# Helpers for the command-line tests (sourced): real files, real exit codes.
# cli_setup SMMUTRACE [PREFIX]; then expect/contains/json_check; cli_done last.

cli_setup() {
	BIN=$(realpath "${1:?usage: $0 SMMUTRACE}")
	JSON_PREFIX=${2:-cli}
	HERE=$(cd "$(dirname "$0")" && pwd)
	FIX=$HERE/../fixtures/logs
	TMP=$(mktemp -d)
	trap 'rm -rf "$TMP"' EXIT
	export TZ=UTC
	pass=0
	fail=0
	JSONDIR=${JSON_OUT:-$TMP/json}
	mkdir -p "$JSONDIR"
	njson=0
}

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

lacks() { # FILE TEXT
	if grep -qF -- "$2" "$1"; then bad "$1 has $(printf %q "$2")"; else ok; fi
}

# json_check 'python expression over recs (list of dicts)' DESCRIPTION [FILE]
json_check() {
	local f=${3:-$TMP/out}

	njson=$((njson + 1))
	cp "$f" "$JSONDIR/$JSON_PREFIX-$njson.ndjson"
	if python3 - "$f" "$1" <<'EOF'; then ok; else bad "json: $2"; fi
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

schema_check() {
	if python3 "$HERE/../schema/validate.py" "$JSONDIR"; then ok; else bad "schema validation"; fi
}

cli_done() {
	echo "  CLI      $pass passed, $fail failed"
	[[ $fail -eq 0 ]]
}
