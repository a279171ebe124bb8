# shellcheck shell=bash
# Sourced by tests/cli/run.sh: replay of real captures recorded by
# `smmutrace --live --record` on Debian's stock arm64 kernels and on the
# rig's patched 6.12 (the quarantine series' bitmap, v2 and v3 semantics)
# under our fault-injecting SMMU model (make e2e, ATC boot), each with the
# truth file the guest wrote for it.  Pins what the real runs showed,
# without QEMU: the device named, the walk trusted, timeout lines joined to
# the later CMDQ error, which timeout fired first, the held-off interrupt,
# issuer not told (stock) or told by the bit with its semantics (patched),
# the bit left set when the issuer had given up and its later false failure
# linked back and blamed on nobody, a batch of two devices left suspect,
# incidents in order (tests/e2e/check_atc.py --replay judges).
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
# the patched kernel: the bit left set, its claim linked back, the semantics
for v in v2 v3; do
	expect 0 "$BIN" replay "$ATC_CAPS/6.12-bitmap-$v-sw_before_hw.cap"
	contains "$TMP/out" "atc_sync_timeouts bit LEFT SET: its issuer had given up"
	contains "$TMP/out" "leftover bit: incident #1 left this slot's atc_sync_timeouts bit set"
	contains "$TMP/out" "its issuer was failed by the old bit ($v semantics)"
	contains "$TMP/out" "atc_sync_timeouts bitmap ($v semantics"
done
expect 0 "$BIN" replay "$ATC_CAPS/6.12-bitmap-v3-atc_two_devices.cap"
contains "$TMP/out" "the bit names the CMD_SYNC, not which of its 2 devices' ATC_INVs timed out"
