# tests/tests.mk - the test suites.  Each suite file appends its target to
# CHECK_TARGETS (run by `make check` in the normal build) and, if it should
# also run under ASan+UBSan, to SAN_TARGETS (rerun in build-asan with SAN=1).

CHECK_TARGETS ?=
SAN_TARGETS ?=
TEST_PYTHON := /usr/bin/python3

# ONLY=...: one test, or a few, instead of the whole suite: every check-*
# target honours it (make check-unit ONLY=verify, make check-integration
# ONLY='hostile kid', make check-fuzz ONLY=pam).  A suite whose ONLY matches
# nothing fails (a typo must not look like a pass); a suite that cannot pick
# single tests says so and runs whole.  E2E_ONLY is the old name for
# check-e2e's.
ONLY ?=
# ONLY as one shell word, and as the --only option of the Python suites
ONLY_Q   = '$(subst ','\'',$(ONLY))'
ONLY_OPT = $(if $(ONLY),--only $(ONLY_Q))
# for the suites that cannot filter: $(call only_whole,SUITE)
only_whole = $(if $(ONLY),@echo "$(1): cannot run single tests: ONLY=$(ONLY_Q) ignored: the whole suite runs")

TEST_CFLAGS = $(CFLAGS) -Wno-conversion -I. -Ilib $(shell pkg-config --cflags cmocka 2>/dev/null)
TEST_LIBS   = $(LIBA) $(PKG_LIBS) $(shell pkg-config --libs cmocka 2>/dev/null) -lpam -ldl

$(BUILD)/pam_driver: tests/pam_driver.c $(SUPPORT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(SUPPORT_CONV) $(LDFLAGS) -lpam -ldl

include tests/unit.mk
include tests/integration.mk
include tests/e2e.mk
include tests/attack.mk
include tests/fault.mk
include tests/lint.mk
include tests/interop.mk
include tests/tool.mk
include tests/replay.mk
include tests/fleet.mk
include tests/tsan.mk
include tests/browser/browser.mk
include tests/linkd.mk
include tests/deb.mk
include tests/oidc.mk
include tests/login.mk

# Only the PAM entry points leave the module (version script pam_jwt.map).
CHECK_TARGETS += check-exports
.PHONY: check-exports
check-exports: $(MODULE)
	$(call only_whole,exports)
	@got=$$(nm -D --defined-only $(MODULE) | awk '$$2 ~ /^[TDBRVW]$$/ {print $$3}' | sort | tr '\n' ' '); \
	want="pam_sm_authenticate pam_sm_setcred "; \
	if [ "$$got" = "$$want" ]; then echo "exports: 1 passed, 0 failed ($$got)"; \
	else echo "exports: 0 passed, 1 failed: exported [$$got], expected [$$want]"; exit 1; fi
	@# the module never uses libcrypto (issue 14: Nettle verifies); Nettle's
	@# libhogweed is opened at run time, only for the keys that need it
	@# (lib/hog.h): neither is a link-time dependency or a direct call
	@needed=$$(readelf -d $(MODULE) | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '); \
	direct=$$(nm -D --undefined-only $(MODULE) | awk '{print $$2}' | \
	    grep -E '^(EVP|OSSL|BN|ERR|CRYPTO|OPENSSL|ECDSA|RSA|EC|PEM|BIO|d2i|i2d)_|^nettle_|^__gmp' | tr '\n' ' '); \
	case "$$needed" in *libcrypto*|*libssl*|*libhogweed*|*libnettle*|*libgmp*) \
	    echo "exports: libcrypto: 0 passed, 1 failed: NEEDED [$$needed]"; exit 1;; esac; \
	if [ -n "$$direct" ]; then echo "exports: libcrypto: 0 passed, 1 failed: direct calls [$$direct]"; exit 1; fi; \
	echo "exports: libcrypto: 1 passed, 0 failed (NEEDED: $$needed)"
	@# libhiredis too is opened at run time, only when Redis is used
	@# (lib/hiredis_dl.h): no NEEDED entry, no direct call
	@needed=$$(readelf -d $(MODULE) | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '); \
	direct=$$(nm -D --undefined-only $(MODULE) | awk '{print $$2}' | \
	    grep -E '^(redis|freeReplyObject|createReplyObject|__redis)' | tr '\n' ' '); \
	case "$$needed" in *libhiredis*) \
	    echo "exports: libhiredis: 0 passed, 1 failed: NEEDED [$$needed]"; exit 1;; esac; \
	if [ -n "$$direct" ]; then echo "exports: libhiredis: 0 passed, 1 failed: direct calls [$$direct]"; exit 1; fi; \
	echo "exports: libhiredis: 1 passed, 0 failed"

ifneq ($(SAN),1)
CHECK_TARGETS += check-asan
endif

# What the suites run, compiled in one parallel make before they run one
# after the other (they share ports, /tmp names and the CPU, and their
# results must not depend on each other's load): the programs of the
# SAN_TARGETS (SAN_BUILD), then those of the other suites (CHECK_BUILD).
# A suite whose program is missing here still builds it itself, serially;
# the lists only save time.  CHECK_JOBS: default one job per core; a
# `make -jN` gives its own N.
CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check_j = $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(CHECK_JOBS))
SAN_BUILD = all unit-build $(INTEG_DEPS) $(PAM_SHIM) $(ATTACK_DIR)/attack_driver \
            $(ATTACK_DIR)/libjwt_check $(INTEROP_RFC) $(BUILD)/pam_driver \
            $(REPLAY_PREFILL) $(REPLAY_FSPROBE) $(FLEET_NOHIREDIS) $(LINKD) \
            $(OIDC_PROBE)
CHECK_BUILD = $(SAN_BUILD) $(BUILD)/pamjwt-askpass $(FAULT_DIR)/fault \
              $(FAULT_DIR)/freed $(TSAN_BINS) $(FUZZ_BINS)

.PHONY: san-build check-build
san-build: $(SAN_BUILD)
check-build: $(CHECK_BUILD)

# (ONLY, given on make's command line, reaches this make too)
.PHONY: check-asan
check-asan:
	$(MAKE) BUILD=build-asan SAN=1 $(check_j) san-build
	$(MAKE) BUILD=build-asan SAN=1 $(SAN_TARGETS)

# lib/ has no include or call cycle (tests/depcheck.sh: tsort over the
# call graph of the objects and the #include graph of the sources)
CHECK_TARGETS += check-deps-graph
.PHONY: check-deps-graph
check-deps-graph: $(LIB_OBJ)
	$(call only_whole,depcheck)
	bash tests/depcheck.sh $(BUILD)
