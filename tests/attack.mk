# tests/attack.mk - the attack suite (tests/attack/attack.py): a catalogue of
# known JWT attacks, each asserting the exact PAM result of the built
# pam_jwt.so, with libjwt 1.10.2's verdict beside it for comparison.
#
#   make check-attack    (part of make check, and again under ASan+UBSan)

ATTACK_DIR := $(BUILD)/attack

$(ATTACK_DIR)/attack_driver: tests/attack/attack_driver.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) -lpam -ldl \
	    -Wl,--export-dynamic-symbol=shim_authenticate \
	    -Wl,--export-dynamic-symbol=pam_syslog \
	    -Wl,--export-dynamic-symbol=pam_vsyslog

# the one-line module through which the driver runs pam_jwt.so (see
# fuzz/pam_shim.c)
$(ATTACK_DIR)/pam_shim.so: fuzz/pam_shim.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -g -O1 -Wall -Wextra -o $@ $<

$(ATTACK_DIR)/libjwt_check: tests/attack/libjwt_check.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) $(shell pkg-config --libs libjwt)

.PHONY: check-attack
check-attack: $(MODULE) $(ATTACK_DIR)/attack_driver $(ATTACK_DIR)/pam_shim.so \
    $(ATTACK_DIR)/libjwt_check
	$(TEST_PYTHON) tests/attack/attack.py --build $(BUILD)

CHECK_TARGETS += check-attack
SAN_TARGETS += check-attack
