# Benchmarks: ratios measured in one run, never timed assertions.
#   make bench-replay   replay --json and text against grep -c on an ordinary log
#                       (BENCH_MB, default 1024) and an incident-dense one (an ATC
#                       timeout every 50 lines, BENCH_DENSE_MB, default 300), peak RSS;
#                       BENCH_BASELINE=path/to/smmutrace times another build too
#   make bench-parse    the parser side alone (read, intake, parse) on the same
#                       logs, against grep -c
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

# the parser side of replay alone, on the logs bench-replay uses
.PHONY: bench-parse
BENCH_STAGES += bench-parse

$(OUTPUT)/bench_parse: bench/bench_parse.c $(CORE_OBJS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(CORE_OBJS) $(ALL_LDFLAGS) $(LIBS) -o $@

# the logs bench/replay.sh generates, made here when bench-parse runs alone
bench/out/replay-dense50-%.log:
	$(Q)mkdir -p $(@D) && python3 bench/genlog.py --atc-every 50 $* $@

bench/out/replay-%.log:
	$(Q)mkdir -p $(@D) && python3 bench/genlog.py $* $@

BENCH_PARSE_LOGS := bench/out/replay-dense50-$(or $(BENCH_DENSE_MB),300).log \
		    bench/out/replay-$(or $(BENCH_MB),1024).log

bench-parse: $(OUTPUT)/bench_parse $(BENCH_PARSE_LOGS)
	$(Q)bench/parse.sh $< $(BENCH_PARSE_LOGS)
