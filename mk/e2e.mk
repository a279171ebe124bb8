# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The real arm-smmu-v3 driver: Debian's arm64 kernels under
# qemu-system-aarch64 -M virt,iommu=smmuv3 (scripts/qemu/), with DMA traffic
# and injected command-queue faults.  Included by the top-level Makefile.
#
#   make e2e     Debian's kernels (6.1, 6.12) and the rig's patched 6.12
#                (scripts/kernel: the quarantine series' bitmap) booted with
#                v2 and with v3 semantics; scenarios traffic, sw_timeout,
#                illegal; then, on our fault-injecting SMMU model
#                (scripts/qemu/build-qemu.sh), the ATC scenarios atc_single,
#                atc_two_devices, hw_before_sw, sw_before_hw, atc_repeated;
#                smmutrace's JSON checked against what the kernel printed and
#                counted in the same run and against each scenario's truth
#                file; summary table at the end (E2E_KERNELS="6.12" for one
#                kernel, E2E_ATC=0 without the ATC boots; results in
#                .output/e2e)
#   make demo    for a person: boots 6.12 on the ATS machine, streams
#                `smmutrace --live` while an ATS device stops answering and
#                two more faults are injected, then says what happened
#
# Downloads (once, cached in $SMMUTRACE_CACHE, default /var/cache/smmutrace)
# go through scripts/qemu/fetch.sh; the patched kernel is built once per
# source version, config and patch (scripts/kernel/build-kernel.sh, about
# 7 min on 2 cores) and cached; an unreachable mirror fails the step.

E2E_KERNELS ?= 6.1 6.12 6.12-bitmap-v2 6.12-bitmap-v3

.PHONY: e2e demo
TEST_STAGES += e2e

# the cross build is made by the scripts (make ARCH=arm64, after fetch.sh has
# written the sysroot's cross.mk); the host build is the explanation's replayer
e2e: deps
	$(Q)tests/e2e/run.sh $(foreach k,$(E2E_KERNELS),-k $(k))

demo: deps
	$(Q)$(MAKE) --no-print-directory all >/dev/null
	$(Q)tests/e2e/demo.sh
