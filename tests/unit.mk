# tests/unit.mk - cmocka unit tests for every lib/ file, the mutation test
# and the Wycheproof vectors.  Included by tests/tests.mk.
#
#   make check-unit            all of them (also rerun under ASan+UBSan by
#                              check-asan, in build-asan with SAN=1)
#   make check-unit-valgrind   the same programs under valgrind
#   ... ONLY=verify            only test_verify; ONLY='*expired*' only the
#                              cmocka tests whose names match, in every program
#
# Signed test input comes from PyJWT (tests/unit/fixtures.py, written into
# $(BUILD)/unit-fixtures); accounts come from nss_wrapper.

UNIT_NAMES    := alg b64url bind claims err file hdrcache jwk jws key keycache options hog \
                 redis refresh replay revoke sig user verify mutation
UNIT_DIR      := $(BUILD)/tests/unit
UNIT_BINS     := $(UNIT_NAMES:%=$(UNIT_DIR)/test_%)
UNIT_WYCHE    := $(UNIT_DIR)/test_wycheproof
UNIT_FIXTURES := $(BUILD)/unit-fixtures
UNIT_HELPERS  := tests/unit/unit.c tests/unit/unit.h
# the Wycheproof files the vector test reads, carried in the repository
WYCHEPROOF_DIR ?= $(CURDIR)/tests/vectors/wycheproof
# ONLY=NAME runs the program test_NAME (or those whose names the regex
# matches); otherwise ONLY is a cmocka test-name pattern (glob, * and ?,
# matched in every program; see tests/unit/run.sh)
UNIT_RUN       = ONLY=$(ONLY_Q) bash tests/unit/run.sh

# test_user also wraps getpwnam_r to play an NSS module that matches names
# loosely (case-insensitive), which nss_wrapper does not do, and counts
# the module's opens of the user map (kept between logins).
$(UNIT_DIR)/test_user: UNIT_EXTRA_LDFLAGS := tests/unit/count_open.c -Wl,--wrap=getpwnam_r -Wl,--wrap=open
# test_hog counts (and fails) the module's dlopen of libhogweed, and
# compares the table with the real functions (hence linked to them).
$(UNIT_DIR)/test_hog: UNIT_EXTRA_LDFLAGS := -Wl,--wrap=dlopen -lhogweed -lnettle -lgmp
# test_bind counts the module's opens of the configuration file (one per
# load, [issuer] sections included), and pretends NFS to its fstatfs.
$(UNIT_DIR)/test_bind: UNIT_EXTRA_LDFLAGS := tests/unit/count_open.c -Wl,--wrap=open -Wl,--wrap=fstatfs
# (tests/unit/count_open.c: the open wrapper both share)
$(UNIT_DIR)/test_bind $(UNIT_DIR)/test_user: tests/unit/count_open.c tests/unit/count_open.h
# test_redis counts (and fails) the module's dlopen of libhiredis, and
# compares the table with the real functions (PKG_LIBS links them).
$(UNIT_DIR)/test_redis: UNIT_EXTRA_LDFLAGS := -Wl,--wrap=dlopen
# test_file makes a file seem to change size between fstat and read.
$(UNIT_DIR)/test_file: UNIT_EXTRA_LDFLAGS := -Wl,--wrap=fstat

$(UNIT_BINS): $(UNIT_DIR)/%: tests/unit/%.c $(UNIT_HELPERS) $(LIBA) tests/unit.mk
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< tests/unit/unit.c $(LDFLAGS) \
	    $(UNIT_EXTRA_LDFLAGS) $(TEST_LIBS)

$(UNIT_WYCHE): tests/vectors/test_wycheproof.c $(LIBA) tests/unit.mk
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) $(TEST_LIBS)

$(UNIT_FIXTURES)/stamp: tests/unit/fixtures.py
	@rm -rf $(UNIT_FIXTURES)
	$(TEST_PYTHON) tests/unit/fixtures.py $(UNIT_FIXTURES)
	@touch $@

.PHONY: check-unit check-unit-valgrind unit-build
unit-build: $(UNIT_BINS) $(UNIT_WYCHE) $(UNIT_FIXTURES)/stamp

check-unit: unit-build
	$(UNIT_RUN) plain $(UNIT_FIXTURES) $(WYCHEPROOF_DIR) $(UNIT_BINS) $(UNIT_WYCHE)

# The mutation test (48,825 mutants) takes about 7 minutes under valgrind;
# it runs plain and under ASan+LSan, which find the same memory errors and
# leaks, so valgrind runs every other program.
UNIT_VALGRIND_BINS := $(filter-out $(UNIT_DIR)/test_mutation,$(UNIT_BINS))

check-unit-valgrind: unit-build
	$(UNIT_RUN) valgrind $(UNIT_FIXTURES) $(WYCHEPROOF_DIR) $(UNIT_VALGRIND_BINS) $(UNIT_WYCHE)

CHECK_TARGETS += check-unit
SAN_TARGETS += check-unit
ifneq ($(SAN),1)
CHECK_TARGETS += check-unit-valgrind
endif
