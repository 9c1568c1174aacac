# tests/support/support.mk - what the C test programs share (included by the
# Makefile before every suite file).
#
#   SUPPORT_CONV   tests/support/pamconv.c: the answering PAM conversation
#                  and pam_code_name(); compiled into each program that
#                  needs it (with that program's flags: sanitizers, wraps)
#   PAM_SHIM       $(BUILD)/support/pam_shim.so: the one-line module through
#                  which the attack, fault and fuzz harnesses run pam_jwt
#                  inside libpam's dispatch; built once, never sanitized

SUPPORT_CONV := tests/support/pamconv.c
SUPPORT_DEPS := tests/support/pamconv.c tests/support/pamconv.h
PAM_SHIM     := $(BUILD)/support/pam_shim.so

$(PAM_SHIM): tests/support/pam_shim.c tests/support/support.mk
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -g -O1 -Wall -Wextra -Werror -o $@ $<
