# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# BPF side: verifier tests against BTF fixtures, the live tracepoint test,
# and the hot-path benchmark.  Included by the top-level Makefile.
#
#   make test-bpf     every program through this kernel's verifier, per driver layout
#   make test-live    smmutrace --live --json on printk:console + smmutrace check
#   make test-live-arm64  full mode (fentry/kprobes) on Debian's arm64 6.1 and 6.12 under
#                     QEMU with injected faults (slow, TCG; not part of `make test`)
#   make bench-bpf    issuer hot-path cost per call vs empty program and bpftrace

BPFT_OUT := $(OUTPUT)/tests/bpf
BTF_FIX := $(BPFT_OUT)/btf
BENCH_OUT := $(OUTPUT)/bench
KERNEL_BTF ?= /sys/kernel/btf/vmlinux
KREL := $(shell uname -r)

.PHONY: test-bpf test-live test-live-arm64 bench-bpf

$(BPFT_OUT) $(BTF_FIX) $(BENCH_OUT):
	$(Q)mkdir -p $@

# ---- small BPF objects for tests and bench, same flags as the tool's ------
$(BPFT_OUT)/%.bpf.o: tests/bpf/%.bpf.c $(BPF_HDRS) | $(BPFT_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BENCH_OUT)/%.bpf.o: bench/%.bpf.c $(BPF_HDRS) | $(BENCH_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BPFT_OUT)/%.skel.h: $(BPFT_OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BENCH_OUT)/%.skel.h: $(BENCH_OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# keep the objects the skeletons embed; make would delete them as intermediates
.SECONDARY: $(BPFT_OUT)/core_probe.bpf.o $(BPFT_OUT)/ambiguous.bpf.o \
	    $(BENCH_OUT)/issue_bench.bpf.o

# ---- BTF fixtures: clang -g + pahole -J, merged into this kernel's BTF ------
FIX_FLAGS_601 := -DLAYOUT=601
FIX_FLAGS_612 := -DLAYOUT=612
FIX_FLAGS_612atc := -DLAYOUT=612 -DATC_BITMAP
FIX_FLAGS_701 := -DLAYOUT=701
FIX_FLAGS_702 := -DLAYOUT=702
FIX_FLAGS_broken := -DLAYOUT=612 -DBROKEN_NO_MAX_N_SHIFT

$(BTF_FIX)/btfmerge: tests/bpf/btfmerge.c | $(BTF_FIX)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -lbpf -lelf -lz -o $@

$(BTF_FIX)/v3-%.o: tests/bpf/fixtures/smmu-v3.c | $(BTF_FIX)
	$(call msg,FIXTURE,$@)
	$(Q)$(CLANG) -g -gdwarf-4 -c $(FIX_FLAGS_$*) $< -o $@
	$(Q)pahole -J $@

$(BTF_FIX)/v2.o: tests/bpf/fixtures/smmu-v2.c | $(BTF_FIX)
	$(call msg,FIXTURE,$@)
	$(Q)$(CLANG) -g -gdwarf-4 -c $< -o $@
	$(Q)pahole -J $@

# the fixtures embed this kernel's BTF: rebuild them when it changes
$(BTF_FIX)/kernel-$(KREL).stamp: | $(BTF_FIX)
	$(Q)rm -f $(BTF_FIX)/kernel-*.stamp $(BTF_FIX)/*.btf
	$(Q)touch $@

define btf_fixture
$(BTF_FIX)/$(1).btf: $(2) $(BTF_FIX)/btfmerge $(BTF_FIX)/kernel-$(KREL).stamp
	$$(call msg,BTF,$$@)
	$$(Q)$(BTF_FIX)/btfmerge $$@ $(KERNEL_BTF) $(2)
endef

# 6.1 alone (v3 only); 6.12 and 7.x also carry SMMUv2's arm_smmu_device
$(eval $(call btf_fixture,k601,$(BTF_FIX)/v3-601.o))
$(eval $(call btf_fixture,k612,$(BTF_FIX)/v3-612.o $(BTF_FIX)/v2.o))
$(eval $(call btf_fixture,k612atc,$(BTF_FIX)/v3-612atc.o))
$(eval $(call btf_fixture,k701,$(BTF_FIX)/v3-701.o $(BTF_FIX)/v2.o))
$(eval $(call btf_fixture,k702,$(BTF_FIX)/v3-702.o $(BTF_FIX)/v2.o))
$(eval $(call btf_fixture,kbroken,$(BTF_FIX)/v3-broken.o))

BTF_FIXTURES := $(patsubst %,$(BTF_FIX)/%.btf,k601 k612 k612atc k701 k702 kbroken)

# ---- verifier tests ----------------------------------------------------------
# the benchmark's object: the fentry flavour's code on tracepoints, per layout
TEST_BPF_SKELS := $(SKEL) $(BPFT_OUT)/core_probe.skel.h $(BPFT_OUT)/ambiguous.skel.h \
		  $(BENCH_OUT)/issue_bench.skel.h

$(BPFT_OUT)/test_bpf: tests/bpf/test_bpf.c $(TEST_BPF_SKELS) $(OUTPUT)/decode.o $(BPF_HDRS) \
		      src/btfview.h
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Ibpf -I$(BPFT_OUT) -I$(BENCH_OUT) $< $(OUTPUT)/decode.o \
		$(ALL_LDFLAGS) -lbpf -lelf -lz -lcmocka -o $@

test-bpf: $(BPFT_OUT)/test_bpf $(BTF_FIXTURES)
	$(Q)printf '  %-8s %s\n' RUN $<
	$(Q)CMOCKA_MESSAGE_OUTPUT=stdout $< $(BTF_FIX)

# ---- live tracepoint test and check -------------------------------------------
test-live: $(OUTPUT)/smmutrace
	$(Q)printf '  %-8s %s\n' RUN tests/live/run.sh
	$(Q)tests/live/run.sh $(OUTPUT)/smmutrace

test-live-arm64:
	$(Q)$(MAKE) --no-print-directory ARCH=arm64 all
	$(Q)ln -sf .output/$(HOST_ARCH)/smmutrace smmutrace
	$(Q)tests/live/arm64.sh .output/arm64/smmutrace

# ---- benchmark --------------------------------------------------------------
$(BENCH_OUT)/bench_issue: bench/bench_issue.c $(BENCH_OUT)/issue_bench.skel.h $(BPF_HDRS) \
			 src/btfview.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Ibpf -I$(BENCH_OUT) $< $(ALL_LDFLAGS) -lbpf -lelf -lz -o $@

bench-bpf: $(BENCH_OUT)/bench_issue $(BTF_FIX)/k612.btf
	$(Q)scripts/install-deps.sh --bench
	$(Q)bench/run-bpf.sh $(BENCH_OUT)/bench_issue $(BTF_FIX)/k612.btf

TEST_STAGES += test-bpf test-live
BENCH_STAGES += bench-bpf
