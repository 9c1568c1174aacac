# tests/integration.mk - pam_jwt through the real libpam (included by
# tests/tests.mk).  tests/integration/test_pam.py asserts the exact PAM code
# of every row of pam_jwt(8)'s RETURN VALUES, with tokens minted by PyJWT.
#
#   make check-integration            against $(BUILD) (also rerun by
#                                     check-asan in build-asan with SAN=1)
#   make check-integration-valgrind   a representative subset, every driver
#                                     run under valgrind memcheck (non-SAN)
#   ... ONLY=REGEX                    only the cases whose names match

INTEG_HELPER := $(BUILD)/integration/pam_set_authtok.so
INTEG_NOCRYPTO := $(BUILD)/integration/no_hogweed.so
INTEG_DEPS   := $(MODULE) $(TOOL) $(BUILD)/pam_driver $(INTEG_HELPER) $(INTEG_NOCRYPTO)
INTEG_RUN     = $(TEST_PYTHON) tests/integration/test_pam.py --build $(BUILD) \
                $(if $(filter 1,$(SAN)),--san) $(ONLY_OPT)

# A tiny module for the stacks: sets or checks PAM_AUTHTOK, or calls
# pam_jwt.so from inside a stack to show its exact code.  Never installed.
$(INTEG_HELPER): tests/integration/set_authtok.c $(SUPPORT_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -shared -o $@ $< $(SUPPORT_CONV) $(LDFLAGS) -lpam -ldl

# Preloaded to play a host where libhogweed.so.6 cannot be loaded.
$(INTEG_NOCRYPTO): tests/integration/no_hogweed.c
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -shared -o $@ $< $(LDFLAGS)

.PHONY: check-integration check-integration-valgrind
check-integration: $(INTEG_DEPS)
	$(INTEG_RUN)

check-integration-valgrind: $(INTEG_DEPS)
ifeq ($(SAN),1)
	@echo "check-integration-valgrind: not with SAN=1 (valgrind and ASan exclude each other)"; exit 1
else
	$(INTEG_RUN) --valgrind
endif

CHECK_TARGETS += check-integration
SAN_TARGETS += check-integration
ifneq ($(SAN),1)
CHECK_TARGETS += check-integration-valgrind
endif
