# bench/bench.mk - `make bench`: the benchmark suite (not part of make check).
# Every row is a ratio against a baseline measured in the same run.
BENCH_CFLAGS = $(CFLAGS) -Wno-conversion -I.

$(BUILD)/bench/pam_bench: bench/pam_bench.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDFLAGS) -lpam

$(BUILD)/bench/lib_bench: bench/lib_bench.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LIBA) $(LDFLAGS) $(PKG_LIBS)

.PHONY: bench
bench: $(MODULE) $(BUILD)/bench/pam_bench $(BUILD)/bench/lib_bench $(BUILD)/pam_driver
	/usr/bin/python3 bench/run.py --build $(BUILD) $(BENCH_ARGS)
