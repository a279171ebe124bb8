# shellcheck shell=bash
# Sourced by tests/cli/run.sh: replay of real captures recorded by
# `smmutrace --live --record` on Debian's stock arm64 kernels under our
# fault-injecting SMMU model (make e2e, ATC boot), each with the truth file
# the guest wrote for it.  Pins what the real runs showed, without QEMU:
# the device named, the walk trusted, timeout lines joined to the later
# CMDQ error, which timeout fired first, the held-off interrupt, issuer not
# told, incidents in order (tests/e2e/check_atc.py --replay judges).
echo "  CLI      ATC captures from the emulated arm64 kernels"
ATC_CAPS=$HERE/../fixtures/captures/atc
for cap in "$ATC_CAPS"/*.cap; do
	name=$(basename "$cap" .cap)
	expect 0 "$BIN" replay --json "$cap" || continue
	cp "$TMP/out" "$JSONDIR/atc-$name.ndjson"
	if python3 "$HERE/../e2e/check_atc.py" --replay "$TMP/out" "${cap%.cap}.truth.json" >"$TMP/check" 2>&1; then
		ok
	else
		bad "replay of $name against its truth file"
		grep FAIL "$TMP/check" | head -5 >&2
	fi
done
# the text report says the same for a person
expect 0 "$BIN" replay "$ATC_CAPS/6.12-hw_before_sw.cap"
contains "$TMP/out" "fired first: the SMMU (CONS showed the error in"
contains "$TMP/out" "issuer: NOT told"
expect 0 "$BIN" replay "$ATC_CAPS/6.1-sw_before_hw.cap"
contains "$TMP/out" "fired first: the driver's 1 s timeout"
