# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Attribution accuracy against a ground-truth simulator of the command queue
# (tests/sim).  Included by the top-level Makefile.
#
#   make accuracy        every scenario: a table each, the summary line last
#   make test-accuracy   simulator and attribution unit tests, the floors of
#                        the fixed scenarios as hard checks, then a stress run
#                        over random machines (no wrong confirmed/probable,
#                        no wrong bitmap_left_set or stale_from link)
#   ACCURACY_STRESS=N    random machines in test-accuracy (default 500: seeds
#                        1-500, which hold the busy patched machines whose
#                        full issuer lists and relapping stalls once broke
#                        the bitmap's bookkeeping; about 5 s)

SIM_OUT := $(OUTPUT)/tests/sim
SIM_SRCS := tests/sim/sim.c tests/sim/scenarios.c
SIM_DEPS := $(SIM_SRCS) $(wildcard tests/sim/*.h) $(wildcard src/*.h) $(CORE_OBJS)
SIM_LIBS := $(ALL_LDFLAGS) -ljansson -lz -lm
ACCURACY_STRESS ?= 500

.PHONY: accuracy test-accuracy
TEST_STAGES += test-accuracy

$(SIM_OUT):
	$(Q)mkdir -p $@

$(SIM_OUT)/accuracy: tests/sim/accuracy.c $(SIM_DEPS) | $(SIM_OUT)
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/sim $< $(SIM_SRCS) $(CORE_OBJS) $(SIM_LIBS) -o $@

$(SIM_OUT)/test_sim: tests/sim/test_sim.c $(SIM_DEPS) | $(SIM_OUT)
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/sim $< $(SIM_SRCS) $(CORE_OBJS) $(SIM_LIBS) -lcmocka -o $@

$(SIM_OUT)/test_attrib: tests/sim/test_attrib.c tests/unit/engine_run.h $(CORE_OBJS) \
		      $(wildcard src/*.h) | $(SIM_OUT)
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $< $(CORE_OBJS) $(ALL_LDFLAGS) -ljansson -lz -lcmocka -o $@

accuracy: $(SIM_OUT)/accuracy
	$(Q)$<

test-accuracy: $(SIM_OUT)/test_sim $(SIM_OUT)/test_attrib $(SIM_OUT)/accuracy
	$(Q)set -e; for t in $(SIM_OUT)/test_sim $(SIM_OUT)/test_attrib; do \
		printf '  %-8s %s\n' RUN $$t; CMOCKA_MESSAGE_OUTPUT=stdout $$t; done
	$(Q)printf '  %-8s %s\n' RUN "$(SIM_OUT)/accuracy --check"
	$(Q)$(SIM_OUT)/accuracy --check >$(SIM_OUT)/accuracy.log || \
		{ cat $(SIM_OUT)/accuracy.log; exit 1; }
	$(Q)tail -1 $(SIM_OUT)/accuracy.log
	$(Q)printf '  %-8s %s\n' RUN "$(SIM_OUT)/accuracy --random $(ACCURACY_STRESS)"
	$(Q)$(SIM_OUT)/accuracy --random $(ACCURACY_STRESS) >$(SIM_OUT)/stress.log || \
		{ grep -B40 'INVARIANT BROKEN' $(SIM_OUT)/stress.log; tail -4 $(SIM_OUT)/stress.log; \
		  exit 1; }
	$(Q)tail -1 $(SIM_OUT)/stress.log
