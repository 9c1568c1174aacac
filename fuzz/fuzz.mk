# fuzz/fuzz.mk - libFuzzer targets (clang, ASan + UBSan), one per parser and
# one for the whole pam_sm_authenticate.
#
#   make fuzz               each target FUZZ_SECONDS (default 10), fails on
#                           any finding
#   make check-fuzz         (part of make check) every regression input, then
#                           FUZZ_CHECK_SECONDS (default 4) per target
#   make fuzz-TARGET        one target, FUZZ_SECONDS
#   make check-fuzz ONLY=REGEX   check-fuzz for the targets whose names match
#
# The library is compiled again with the fuzzing flags into $(FUZZ_BUILD);
# scratch corpora, logs and crash artifacts stay there too.  A finding is
# kept as a regression input: fuzz/regressions/TARGET/.

FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 10
FUZZ_CHECK_SECONDS ?= 4
FUZZ_TARGETS := token config jwks usermap pem b64url pam pamd \
                linkd_form linkd_dir linkd_conf \
                oidc http bind revoked login

FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -g -O1 $(FUZZ_SAN) -fno-omit-frame-pointer -std=gnu11 \
                -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -I. -Ifuzz \
                $(PKG_CFLAGS)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-build check-fuzz $(FUZZ_TARGETS:%=fuzz-%)
# built through a pattern rule, yet kept (make would delete them as
# intermediate files and rebuild them every time)
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_BUILD)/pam_jwt.o

$(FUZZ_BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/pam_jwt.o: pam_jwt.c $(wildcard lib/*.h) fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_token: tests/support/fake_passwd.c
$(FUZZ_BUILD)/fuzz_token: FUZZ_EXTRA = tests/support/fake_passwd.c
# fuzz_pam runs pam_jwt through the shared one-line module $(PAM_SHIM)
# (its absolute path compiled in) and answers with tests/support/pamconv.c
$(FUZZ_BUILD)/fuzz_pam: $(FUZZ_BUILD)/pam_jwt.o tests/support/fake_passwd.c \
    $(PAM_SHIM) $(SUPPORT_DEPS)
$(FUZZ_BUILD)/fuzz_pam: FUZZ_EXTRA = tests/support/fake_passwd.c $(FUZZ_BUILD)/pam_jwt.o \
    $(SUPPORT_CONV) -DPAM_SHIM_PATH='"$(abspath $(PAM_SHIM))"' \
    -lpam -Wl,--export-dynamic-symbol=shim_authenticate

# the pam.d reader of pamjwt verify --pamd lives in tools/
$(FUZZ_BUILD)/fuzz_pamd: tools/pamd.c tools/pamd.h
$(FUZZ_BUILD)/fuzz_pamd: FUZZ_EXTRA = tools/pamd.c

# pamjwt-linkd's parsers of outside input (tools/linkd/): form bodies and
# link ids, the directory file, the config file
$(FUZZ_BUILD)/fuzz_linkd_form: tools/linkd/form.c tools/linkd/linkd.h
$(FUZZ_BUILD)/fuzz_linkd_form: FUZZ_EXTRA = tools/linkd/form.c tools/linkd/store.c -lmicrohttpd
$(FUZZ_BUILD)/fuzz_linkd_dir: tools/linkd/dir.c tools/linkd/linkd.h
$(FUZZ_BUILD)/fuzz_linkd_dir: FUZZ_EXTRA = tools/linkd/dir.c
$(FUZZ_BUILD)/fuzz_linkd_conf: tools/linkd/conf.c tools/linkd/dir.c tools/linkd/linkd.h
$(FUZZ_BUILD)/fuzz_linkd_conf: FUZZ_EXTRA = tools/linkd/conf.c tools/linkd/dir.c -lcurl

# jwks-fetch's discovery parser and HTTP answer headers live in tools/ too
$(FUZZ_BUILD)/fuzz_oidc: tools/oidc.c tools/oidc.h tools/http.c tools/http.h
$(FUZZ_BUILD)/fuzz_oidc: FUZZ_EXTRA = tools/oidc.c tools/http.c $(CURL_LIBS)
$(FUZZ_BUILD)/fuzz_http: tools/http.c tools/http.h
$(FUZZ_BUILD)/fuzz_http: FUZZ_EXTRA = tools/http.c $(CURL_LIBS)

# pamjwt login's cache file, login.conf and cached-token check (tools/)
LOGIN_FUZZ_SRC := tools/cache.c tools/login.c tools/login_flow.c tools/util.c \
                  tools/http.c tools/oidc.c
$(FUZZ_BUILD)/fuzz_login: $(LOGIN_FUZZ_SRC) tools/login.h
$(FUZZ_BUILD)/fuzz_login: FUZZ_EXTRA = $(LOGIN_FUZZ_SRC) $(CURL_LIBS) $(LOGIN_LIBS)

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h fuzz/keys.h $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_EXTRA) \
	    $(FUZZ_LIB_OBJ) $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BINS)

# One at a time: the fuzzers share the machine with everything else.
fuzz: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    sh fuzz/run.sh $(FUZZ_BUILD) $$t $(FUZZ_SECONDS); done

$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(FUZZ_BUILD)/fuzz_%
	sh fuzz/run.sh $(FUZZ_BUILD) $* $(FUZZ_SECONDS)

# ONLY=REGEX: the targets whose names match (ONLY=pam: fuzz_pam and
# fuzz_pamd; ONLY='^pam$$': fuzz_pam alone)
FUZZ_RUN := $(if $(ONLY),$(shell printf '%s\n' $(FUZZ_TARGETS) | grep -E -- $(ONLY_Q)),$(FUZZ_TARGETS))

# FUZZ_CHECK_JOBS targets at a time (default: one per core): each fuzzes
# for FUZZ_CHECK_SECONDS of wall time on a core of its own, as one at a
# time did; each target's lines are printed together when it ends, and
# every target runs even after another failed.
FUZZ_CHECK_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
check-fuzz: $(FUZZ_RUN:%=$(FUZZ_BUILD)/fuzz_%)
	@if [ -z "$(strip $(FUZZ_RUN))" ]; then \
	    echo "fuzz: ONLY=$(ONLY_Q) matched no target ($(FUZZ_TARGETS)): nothing ran"; exit 1; fi
	@mkdir -p $(FUZZ_BUILD)/log
	@printf '%s\n' $(FUZZ_RUN) | xargs -P $(FUZZ_CHECK_JOBS) -I @ sh -c \
	    'sh fuzz/run.sh $(FUZZ_BUILD) @ $(FUZZ_CHECK_SECONDS) \
	        >$(FUZZ_BUILD)/log/@.check 2>&1; rc=$$?; \
	    cat $(FUZZ_BUILD)/log/@.check; exit $$rc' || \
	    { echo "fuzz: a target failed (its lines above)"; exit 1; }

CHECK_TARGETS += check-fuzz
