# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Mutation stage: a fixed list of one-place changes to the engine and the
# log parser (tests/mutation/mutants.ini), each built on a copy of the tree
# and run against the unit and attribution tests; fails when a mutant
# survives or no longer applies.  Included by the top-level Makefile.
#
#   make test-mutation   "N mutants, N killed"

MUT_TESTS := $(patsubst $(OUTPUT)/%,%,$(UNIT_TESTS)) tests/sim/test_attrib

.PHONY: test-mutation
TEST_STAGES += test-mutation

test-mutation: $(UNIT_TESTS) $(SIM_OUT)/test_attrib
	$(Q)printf '  %-8s %s\n' RUN "tests/mutation/run.py"
	$(Q)python3 tests/mutation/run.py $(OUTPUT) $(MUT_TESTS)
