# Benchmarks: ratios measured in one run, never timed assertions.
#   make bench-replay   replay --json and text against grep -c on an ordinary log
#                       (BENCH_MB, default 1024) and an incident-dense one (an ATC
#                       timeout every 50 lines, BENCH_DENSE_MB, default 300), peak RSS;
#                       BENCH_BASELINE=path/to/smmutrace times another build too
.PHONY: bench bench-replay
BENCH_STAGES := bench-replay

bench: all
	$(Q)scripts/install-deps.sh --bench
	$(Q)set -e; for b in $(BENCH_STAGES); do $(MAKE) --no-print-directory $$b; done

bench-replay: all
	$(Q)bench/replay.sh $(OUTPUT)/smmutrace $(or $(BENCH_MB),1024)

# registries: 80,000 distinct SMMU names against 40,000
.PHONY: bench-names
BENCH_STAGES += bench-names

bench-names: all
	$(Q)bench/names.sh $(OUTPUT)/smmutrace $(or $(BENCH_NAMES),40000)
