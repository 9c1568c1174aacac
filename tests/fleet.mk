# tests/fleet.mk - fleet scale (pam_jwt.conf(5), Fleet and Revocation)
# through the real libpam: the shared single-use store on a real
# redis-server started by the suite (127.0.0.1, its own port, directory and
# ACL users; stopped by PID), two hosts racing 64 logins of one token,
# Redis killed, paused (CLIENT PAUSE, DEBUG SLEEP) or refusing the
# credentials, a unix socket, an stunnel4 TLS tunnel, and revocation
# (revoked_file, pamjwt revoke/unrevoke, and through Redis).  Included by
# tests/tests.mk.
#
#   make check-fleet      against $(BUILD) (also rerun by check-asan in
#                         build-asan with SAN=1)
#   ... ONLY=REGEX        only the parts whose names match (store, race,
#                         down, stall, auth, unix, tunnel, revoke, redisrev,
#                         nolib)

FLEET_NOHIREDIS := $(BUILD)/fleet/no_hiredis.so

# Preloaded to play a host where libhiredis.so.0.14 cannot be loaded.
$(FLEET_NOHIREDIS): tests/fleet/no_hiredis.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -shared -o $@ $< $(LDFLAGS)

.PHONY: check-fleet
check-fleet: $(MODULE) $(TOOL) $(BUILD)/pam_driver $(FLEET_NOHIREDIS)
	$(TEST_PYTHON) tests/fleet/run.py --build $(BUILD) \
	    $(if $(filter 1,$(SAN)),--san) $(ONLY_OPT)

CHECK_TARGETS += check-fleet
SAN_TARGETS += check-fleet
