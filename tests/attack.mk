# tests/attack.mk - the attack suite (tests/attack/attack.py): a catalogue of
# known JWT attacks, each asserting the exact PAM result of the built
# pam_jwt.so, with libjwt 1.10.2's verdict beside it for comparison.
#
#   make check-attack    (part of make check, and again under ASan+UBSan)
#   ... ONLY=REGEX       only the cases whose names match

ATTACK_DIR := $(BUILD)/attack

$(ATTACK_DIR)/attack_driver: tests/attack/attack_driver.c $(SUPPORT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(SUPPORT_CONV) $(LDFLAGS) -lpam -ldl \
	    -Wl,--export-dynamic-symbol=shim_authenticate \
	    -Wl,--export-dynamic-symbol=pam_syslog \
	    -Wl,--export-dynamic-symbol=pam_vsyslog

$(ATTACK_DIR)/libjwt_check: tests/attack/libjwt_check.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --libs libjwt)

.PHONY: check-attack
# the driver runs pam_jwt.so through the shared one-line module $(PAM_SHIM)
check-attack: $(MODULE) $(ATTACK_DIR)/attack_driver $(PAM_SHIM) \
    $(ATTACK_DIR)/libjwt_check
	$(TEST_PYTHON) tests/attack/attack.py --build $(BUILD) --shim $(PAM_SHIM) \
	    $(ONLY_OPT)

CHECK_TARGETS += check-attack
SAN_TARGETS += check-attack
