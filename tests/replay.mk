# tests/replay.mk - single-use tokens (pam_jwt.conf(5), Single use) through the
# real libpam: replays, 64-process races, every store fault, bounded pruning
# of a 100,000-record store, hostile jti values, and the magic-link example
# (conf/examples/magic-link).  Included by tests/tests.mk.
#
#   make check-replay     against $(BUILD) (also rerun by check-asan in
#                         build-asan with SAN=1)
#   ... ONLY=REGEX        only the parts and cases whose names match
#
# As root the suite runs in a private mount namespace (unshare) for its
# read-only, full-disk and tmpfs cases; without root those print SKIP.

REPLAY_PREFILL := $(BUILD)/tests/replay/prefill

# Fills a store in the documented layout quickly (100,000 records).
$(REPLAY_PREFILL): tests/replay/prefill.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) $(PKG_LIBS)

# An LD_PRELOAD shim that makes store calls slow (to widen race windows)
# and counts the directory entries the module reads (the work of pruning).
# Never sanitized itself: it is preloaded into drivers of either build.
REPLAY_FSPROBE := $(BUILD)/tests/replay/fsprobe.so
$(REPLAY_FSPROBE): tests/replay/fsprobe.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

.PHONY: check-replay
check-replay: $(MODULE) $(BUILD)/pam_driver $(REPLAY_PREFILL) $(REPLAY_FSPROBE)
	$(TEST_PYTHON) tests/replay/run.py --build $(BUILD) \
	    $(if $(filter 1,$(SAN)),--san) $(ONLY_OPT)

CHECK_TARGETS += check-replay
SAN_TARGETS += check-replay
