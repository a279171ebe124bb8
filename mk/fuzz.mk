# Sanitizers and fuzzing for every parser of outside input.
#   make test-asan     unit tests built with ASan + UBSan
#   make fuzz          FUZZ_SECONDS per target (default 60), corpus kept in .output/fuzz
FUZZ_DIR := $(OUTPUT)/fuzz
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	     -fno-sanitize-recover=all
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(wildcard tests/fuzz/fuzz_*.c))
ASAN_TESTS := $(patsubst tests/unit/%.c,$(FUZZ_DIR)/asan_%,$(wildcard tests/unit/test_*.c))
ASAN_EXTRA_test_privdrop := src/privdrop.c -lcap
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 20

.PHONY: fuzz test-fuzz test-asan
TEST_STAGES += test-asan test-fuzz

$(FUZZ_DIR):
	$(Q)mkdir -p $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRCS) $(IO_SRCS) $(wildcard src/*.h) | $(FUZZ_DIR)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -fsanitize=fuzzer -std=gnu11 -D_GNU_SOURCE -Isrc $< $(CORE_SRCS) $(IO_SRCS) \
		-ljansson -lz -o $@

$(FUZZ_DIR)/asan_%: tests/unit/%.c tests/unit/testutil.h $(CORE_SRCS) $(IO_SRCS) $(wildcard src/*.h) | $(FUZZ_DIR)
	$(call msg,ASAN-CC,$@)
	$(Q)$(CLANG) $(SAN_FLAGS) -std=gnu11 -D_GNU_SOURCE -Isrc -Itests/unit $< $(CORE_SRCS) $(IO_SRCS) \
		$(ASAN_EXTRA_$*) -ljansson -lcmocka -lz -o $@

test-asan: $(ASAN_TESTS)
	$(Q)set -e; for t in $^; do printf '  %-8s %s\n' RUN $$t; \
		TZ=UTC $$t >$$t.log 2>&1 || { cat $$t.log; exit 1; }; \
		grep -aE 'PASSED|FAILED' $$t.log; done

# a short run from the fixtures as seed corpus: a crash or sanitizer report fails the suite
test-fuzz: $(FUZZ_TARGETS)
	$(Q)set -e; for t in $^; do mkdir -p $$t.corpus; \
		printf '  %-8s %s (%ss)\n' FUZZ $$t $(TEST_FUZZ_SECONDS); \
		$$t -max_total_time=$(TEST_FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
			$$t.corpus tests/fixtures/logs >$$t.log 2>&1 || { tail -40 $$t.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units' $$t.log; done

fuzz: $(FUZZ_TARGETS)
	$(Q)set -e; for t in $^; do mkdir -p $$t.corpus; \
		$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $$t.corpus tests/fixtures/logs; done
