# tests/fault.mk - fault injection through the whole pam_sm_authenticate
# (tests/fault/fault.c): every failable call of a successful authentication
# fails once, in turn, under ASan + UBSan + LeakSanitizer.
#
#   make check-fault     (part of make check)
#   ... ONLY=REGEX       only the scenarios (FAULT_SCENARIOS) whose names match
#
# It also runs tests/fault/freed.c: every block lib/ or jansson frees during
# an authentication with an oct JWK and with a secret_file is searched for
# the secret, its base64url text and the token's signature.
#
# lib/ and pam_jwt.c are compiled again (no inlining, so that the stack of a
# failed call names its function) and linked with -Wl,--wrap for each call
# below.  Before linking, nm checks that the objects call nothing failable
# that is not wrapped (glibc headers may redirect a call to another symbol,
# e.g. open to __open_2 under _FORTIFY_SOURCE; these objects are built
# without it, and the check catches any such surprise).

FAULT_DIR    := $(BUILD)/fault
FAULT_CFLAGS := -g -O1 -fno-inline -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all \
                -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
                -Wno-format-truncation -I. $(PKG_CFLAGS)
FAULT_WRAP   := malloc calloc realloc strdup strndup open openat read write \
                fstat fstatat lstat stat mkdir mkdirat linkat unlinkat fsync flock fcntl \
                dup fdopendir readdir getpwnam_r pam_get_item pam_set_item \
                pam_prompt sodium_init sodium_malloc dlopen
# what counts as failable when nm finds it in the objects
FAULT_FAILABLE := malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf|\
open|open64|__open_2|__open64_2|openat|openat64|__openat_2|__openat64_2|creat|\
read|__read_chk|pread|pread64|readv|write|pwrite|writev|\
fstat|fstat64|__fxstat|__fxstat64|fstatat|fstatat64|__fxstatat|stat|stat64|lstat|lstat64|__xstat|__lxstat|statx|\
mkdir|mkdirat|link|linkat|unlink|unlinkat|rename|renameat|renameat2|rmdir|\
fsync|fdatasync|flock|fcntl|lockf|dup|dup2|dup3|pipe|\
opendir|fdopendir|readdir|readdir64|scandir|fopen|fopen64|fdopen|getline|getdelim|fgets|fread|\
getpwnam|getpwnam_r|getpwuid|getpwuid_r|getgrnam_r|getspnam_r|\
pam_get_item|pam_set_item|pam_prompt|pam_vprompt|pam_get_user|pam_get_authtok|pam_get_data|pam_set_data|pam_putenv|\
sodium_init|sodium_malloc|sodium_allocarray|mmap|posix_memalign|aligned_alloc|memalign|mkstemp|mkdtemp|tmpfile|\
getrandom|randombytes_buf|dlopen|dlmopen

FAULT_SCENARIOS := hs256 rs256 jwks-es256 single_use parts-map \
                   hs256-badsig rs256-badsig es256-badsig hs256-otheruser \
                   single_use-replayed issuer-sections issuer-cross issuer-newkid
FAULT_OBJ := $(LIB_SRC:%.c=$(FAULT_DIR)/%.o) $(FAULT_DIR)/pam_jwt.o
# ONLY=REGEX: the scenarios whose names match (and then not freed, which
# has no names of its own)
FAULT_RUN := $(if $(ONLY),$(shell printf '%s\n' $(FAULT_SCENARIOS) | grep -E -- $(ONLY_Q)),$(FAULT_SCENARIOS))

$(FAULT_DIR)/lib/%.o: lib/%.c $(wildcard lib/*.h) tests/fault.mk
	@mkdir -p $(dir $@)
	$(CC) $(FAULT_CFLAGS) -c -o $@ $<

$(FAULT_DIR)/pam_jwt.o: pam_jwt.c $(wildcard lib/*.h) tests/fault.mk
	@mkdir -p $(dir $@)
	$(CC) $(FAULT_CFLAGS) -c -o $@ $<

$(FAULT_DIR)/fault: tests/fault/fault.c $(FAULT_OBJ) $(SUPPORT_DEPS) tests/fault.mk
	@unwrapped=$$(nm -u $(FAULT_OBJ) | awk '{print $$2}' | sort -u | \
	    grep -E '^($(FAULT_FAILABLE))$$' | \
	    grep -vxF -e '$(firstword $(FAULT_WRAP))' $(patsubst %,-e '%',$(wordlist 2,999,$(FAULT_WRAP))) || true); \
	if [ -n "$$unwrapped" ]; then \
	    echo "tests/fault.mk: failable calls not wrapped (add them to FAULT_WRAP and tests/fault/fault.c):" $$unwrapped >&2; \
	    exit 1; fi
	$(CC) $(FAULT_CFLAGS) -o $@ tests/fault/fault.c $(SUPPORT_CONV) $(FAULT_OBJ) \
	    $(FAULT_WRAP:%=-Wl,--wrap=%) $(PKG_LIBS) -lpam \
	    -Wl,--export-dynamic-symbol=shim_authenticate

# freed: no secret in a block lib/ or jansson gives back (tests/fault/freed.c)
FAULT_LIB_OBJ := $(LIB_SRC:%.c=$(FAULT_DIR)/%.o)
$(FAULT_DIR)/freed: tests/fault/freed.c tests/support/fake_passwd.c \
    $(FAULT_LIB_OBJ) tests/fault.mk
	$(CC) $(FAULT_CFLAGS) -o $@ tests/fault/freed.c \
	    tests/support/fake_passwd.c $(FAULT_LIB_OBJ) \
	    -Wl,--wrap=free -Wl,--wrap=realloc $(PKG_LIBS)

.PHONY: check-fault
# pam_authenticate runs pam_jwt's code through the shared one-line module
# $(PAM_SHIM)
check-fault: $(FAULT_DIR)/fault $(PAM_SHIM) $(FAULT_DIR)/freed
ifneq ($(ONLY),)
	@if [ -z "$(strip $(FAULT_RUN))" ]; then \
	    echo "fault: ONLY=$(ONLY_Q) matched no scenario ($(FAULT_SCENARIOS)): nothing ran"; exit 1; fi
	@echo "fault: ONLY=$(ONLY_Q): scenarios $(FAULT_RUN); freed not run"
else
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(FAULT_DIR)/freed
endif
	@rm -rf $(FAULT_DIR)/fx
	$(TEST_PYTHON) tests/fault/fixtures.py $(abspath $(FAULT_DIR))/fx \
	    $(abspath $(PAM_SHIM))
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86:quarantine_size_mb=4 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(FAULT_DIR)/fault $(abspath $(FAULT_DIR))/fx $(FAULT_RUN)

CHECK_TARGETS += check-fault
