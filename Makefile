# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
#   make                 build smmutrace for this machine
#   make ARCH=arm64      cross-build (gcc-aarch64-linux-gnu, sysroot from scripts/qemu/fetch.sh)
#   make test            install what is needed, build, run every test
#   make demo            boot Debian's arm64 kernel under QEMU and trace the real driver
#   make bench           benchmarks (ratios, not timed assertions)
#   make install         PREFIX=/usr/local DESTDIR=

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

OUTPUT := .output/$(ARCH)
BPF_ARCH := $(ARCH)
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

ifeq ($(ARCH),$(HOST_ARCH))
CC ?= cc
SYS_CFLAGS :=
SYS_LDFLAGS :=
LIBS := -lbpf -lelf -lz -ljansson -lcap -pthread
else
# cross build: variables written by scripts/qemu/fetch.sh
CROSS_MK ?= $(or $(SMMUTRACE_CACHE),/var/cache/smmutrace)/cross.mk
-include $(CROSS_MK)
CC := $(CROSS_CC)
SYS_CFLAGS := $(CROSS_CFLAGS) -DSMMUTRACE_STATIC
SYS_LDFLAGS := $(CROSS_LDFLAGS)
LIBS := $(CROSS_LIBS) -lcap -pthread
endif

WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	    -Wshadow -Wformat=2 -Wno-format-nonliteral
# make test builds with WERROR=1: a warning fails CI
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CFLAGS ?= -O2 -g
# -MMD: each object lists the headers it read (OUTPUT/**/*.d, included below)
ALL_CFLAGS := $(CFLAGS) -std=gnu11 $(WARNINGS) -MMD -MP -D_GNU_SOURCE \
	      -DSMMUTRACE_VERSION='"$(VERSION)"' -Isrc -I$(OUTPUT) $(SYS_CFLAGS)
ALL_LDFLAGS := $(LDFLAGS) $(SYS_LDFLAGS)

# pure logic: no I/O, unit-tested, also linked into tests, fuzzers and benchmarks
ENGINE_SRCS := $(addprefix src/engine/,time.c registry.c open.c join.c attrib.c bitmap.c narrow.c settle.c \
	       feed.c engine.c query.c)
CORE_SRCS := src/decode.c src/drvmsg.c src/kmsg.c src/kmsg_body.c src/intake.c $(ENGINE_SRCS) \
	     src/report.c src/views.c src/fmt.c src/jsonw.c src/out_text.c src/out_next.c src/out_json.c \
	     src/capset.c src/origin.c src/plan.c
# file formats and outputs with their I/O, the pipeline: also linked into
# tests and fuzzers
IO_SRCS := src/logread.c src/outfile.c src/capture.c src/out_prom.c src/obuf.c src/util.c \
	   src/pipeline.c src/evqueue.c
# sources and commands
TOOL_SRCS := src/main.c src/replay.c src/live.c src/check.c src/loader.c src/inputs.c \
	     src/privdrop.c
BPF_SRCS := bpf/smmutrace.bpf.c
BPF_HDRS := $(wildcard bpf/*.h) src/events.h src/cmdq.h vmlinux/$(BPF_ARCH)/vmlinux.h

CORE_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(CORE_SRCS) $(IO_SRCS))
TOOL_OBJS := $(patsubst src/%.c,$(OUTPUT)/%.o,$(TOOL_SRCS))
SKEL := $(OUTPUT)/smmutrace.skel.h
BPF_OBJ := $(OUTPUT)/smmutrace.bpf.o

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all clean install test test-unit test-docs demo deps
.DEFAULT_GOAL := all

all: $(OUTPUT)/smmutrace

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# ---- BPF: CO-RE object, one for every kernel of an architecture ----------
# the tool's object and the test/bench objects (mk/bpf.mk) share these flags
BPF_CFLAGS := -g -O2 -Wall $(if $(filter 1,$(WERROR)),-Werror) -target bpf \
	      -D__TARGET_ARCH_$(BPF_ARCH) -Ivmlinux/$(BPF_ARCH) -Isrc -Ibpf

$(BPF_OBJ): $(BPF_SRCS) $(BPF_HDRS) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(SKEL): $(BPF_OBJ) | $(OUTPUT)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name smmutrace_bpf > $@

# ---- user space ---------------------------------------------------------
$(OUTPUT)/%.o: src/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/live.o $(OUTPUT)/check.o $(OUTPUT)/loader.o: $(SKEL)

$(OUTPUT)/smmutrace: $(CORE_OBJS) $(TOOL_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(ALL_LDFLAGS) $(LIBS) -o $@
	$(Q)if [ "$(ARCH)" = "$(HOST_ARCH)" ]; then ln -sf $(OUTPUT)/smmutrace smmutrace; fi

# ---- tests --------------------------------------------------------------
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))

# a unit test of a tool source (not part of the core) links it and its library too
TEST_EXTRA_test_privdrop := $(OUTPUT)/privdrop.o -lcap
$(OUTPUT)/tests/test_privdrop: $(OUTPUT)/privdrop.o

$(OUTPUT)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(CORE_OBJS) | $(OUTPUT)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $< $(CORE_OBJS) $(TEST_EXTRA_$*) $(ALL_LDFLAGS) \
		-ljansson -lz -lcmocka -o $@

deps:
	$(Q)scripts/install-deps.sh

test-unit: $(UNIT_TESTS) $(OUTPUT)/smmutrace
	$(Q)set -e; for t in $(UNIT_TESTS); do \
		printf '  %-8s %s\n' RUN $$t; \
		CMOCKA_MESSAGE_OUTPUT=stdout TZ=UTC $$t; \
	done
	$(Q)PROMTOOL=$$(scripts/get-promtool.sh) tests/cli/run.sh $(OUTPUT)/smmutrace
	$(Q)PROMTOOL=$$(scripts/get-promtool.sh) tests/cli/writes.sh $(OUTPUT)/smmutrace

# fragments in mk/ add their test stages to TEST_STAGES; e2e runs before
# test-bpf because it caches the real arm64 kernels' BTF that test-bpf checks
TEST_STAGES := test-unit test-docs
TEST_ORDER := test-unit test-docs test-accuracy test-mutation e2e test-bpf test-live test-asan test-fuzz

test: deps
	$(Q)$(MAKE) --no-print-directory WERROR=1 all
	$(Q)set -e; for t in $(filter $(TEST_STAGES),$(TEST_ORDER)) \
			$(filter-out $(TEST_ORDER),$(TEST_STAGES)); do \
		echo "== $$t"; $(MAKE) --no-print-directory WERROR=1 $$t; done

test-docs:
	$(Q)mandoc -Tlint -Wwarning man/smmutrace.8
	$(Q)bash -n scripts/smmutrace.bash-completion
	$(Q)rm -rf $(OUTPUT)/install-test && $(MAKE) --no-print-directory install \
		DESTDIR=$(CURDIR)/$(OUTPUT)/install-test PREFIX=/opt/st >/dev/null
	$(Q)test -x $(OUTPUT)/install-test/opt/st/sbin/smmutrace && \
		test -f $(OUTPUT)/install-test/opt/st/share/man/man8/smmutrace.8 && \
		grep -q 'exec /opt/st/sbin/smmutrace' \
			$(OUTPUT)/install-test/opt/st/lib/systemd/system/smmutrace.service && \
		echo "  DOCS     man page lint clean; make install honours DESTDIR and PREFIX"

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/smmutrace $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(OUTPUT)/smmutrace $(DESTDIR)$(PREFIX)/sbin/smmutrace
	install -m 0644 man/smmutrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/smmutrace.8
	install -m 0644 scripts/smmutrace.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/smmutrace
	install -m 0644 man/smmutrace-ndjson.schema.json $(DESTDIR)$(PREFIX)/share/smmutrace/
	sed 's,/usr/local/sbin,$(PREFIX)/sbin,' scripts/smmutrace.service \
		>$(DESTDIR)$(PREFIX)/lib/systemd/system/smmutrace.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/smmutrace.service

clean:
	$(call msg,CLEAN,.output)
	$(Q)rm -rf .output smmutrace

# mk/*.mk: BPF tests, emulated arm64 suite, benchmarks; they append to TEST_STAGES
-include $(sort $(wildcard mk/*.mk))

# header dependencies written by -MMD
-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
