# bench/bench.mk - `make bench`: the benchmark suite (not part of make check).
# Every row is a ratio against a baseline measured in the same run.
BENCH_CFLAGS = $(CFLAGS) -Wno-conversion -I.

$(BUILD)/bench/pam_bench: bench/pam_bench.c $(SUPPORT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(SUPPORT_CONV) $(LDFLAGS) -lpam

# the price of a system call here (the table's header line)
$(BUILD)/bench/syscalls: bench/syscalls.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LDFLAGS)

$(BUILD)/bench/lib_bench: bench/lib_bench.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(LIBA) $(LDFLAGS) $(PKG_LIBS)

# row 2's floor: only the signature primitive, in a module of its own
$(BUILD)/bench/floor_sodium.so: bench/floor_module.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -shared -o $@ $< $(LDFLAGS) -lsodium

$(BUILD)/bench/floor_ossl.so: bench/floor_module.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DFLOOR_OSSL -shared -o $@ $< $(LDFLAGS) -lsodium -lcrypto

# row 6: minting in pamjwt-linkd's code (bench/linkd.py)
$(BUILD)/bench/linkd_mint: bench/linkd_mint.c $(BUILD)/tools/linkd/mint.o \
    $(BUILD)/tools/sign.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BUILD)/tools/linkd/mint.o \
	    $(BUILD)/tools/sign.o $(LIBA) $(LDFLAGS) $(PKG_LIBS)

# Nettle's libhogweed instead, for the fresh-process rows (NOTES-design.md)
$(BUILD)/bench/floor_nettle.so: bench/floor_module.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DFLOOR_NETTLE -shared -o $@ $< $(LDFLAGS) -lsodium -lhogweed -lnettle -lgmp

# the floor of rows 1 and 2: asks once, succeeds; resident like pam_jwt.so
$(BUILD)/bench/floor_trivial.so: bench/floor_module.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DFLOOR_TRIVIAL -shared -o $@ $< $(LDFLAGS) \
	    -Wl,-z,nodelete -lsodium -lpam

.PHONY: bench
bench: $(MODULE) $(BUILD)/bench/pam_bench $(BUILD)/bench/lib_bench $(BUILD)/pam_driver \
       $(BUILD)/bench/syscalls \
       $(BUILD)/bench/floor_sodium.so $(BUILD)/bench/floor_ossl.so \
       $(TOOL) $(LINKD) $(BUILD)/bench/linkd_mint \
       $(BUILD)/bench/floor_nettle.so $(BUILD)/bench/floor_trivial.so
	/usr/bin/python3 bench/run.py --build $(BUILD) $(BENCH_ARGS)
