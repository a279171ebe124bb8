# Benchmarks: ratios measured in one run, never timed assertions.
.PHONY: bench bench-replay
BENCH_STAGES := bench-replay

bench: all
	$(Q)scripts/install-deps.sh --bench
	$(Q)set -e; for b in $(BENCH_STAGES); do $(MAKE) --no-print-directory $$b; done

bench-replay: all
	$(Q)bench/replay.sh $(OUTPUT)/smmutrace $(or $(BENCH_MB),1024)
