# tests/oidc.mk - pamjwt jwks-fetch against a real OpenID Provider (included
# by tests/tests.mk).
#
#   make check-oidc            tests/oidc/run.py: the npm package
#                              oidc-provider (tests/oidc/provider.mjs) on
#                              127.0.0.1 with TLS from a CA the test makes,
#                              stopped by PID; discovery, fetch, rotation,
#                              every failure keeping the old file,
#                              ETag/Cache-Control, the rate limit
#   make check-oidc ONLY=REGEX the cases whose names match
#
# Needs nodejs and npm: oidc-provider is installed with `npm ci` from
# tests/oidc/package-lock.json into tests/oidc/node_modules (git-ignored).
# oidc-provider 8.8.1 and its dependencies declare Node >= 18.  OIDC_NODE
# and OIDC_NPM name other node/npm programs.

OIDC_DIR     := tests/oidc
OIDC_MODULES := $(OIDC_DIR)/node_modules/.package-lock.json
OIDC_NODE    ?= node
OIDC_NPM     ?= npm

$(OIDC_MODULES): $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	cd $(OIDC_DIR) && $(OIDC_NPM) ci --no-audit --no-fund
	@touch $@

# tools/http.c and tools/oidc.c on their own (the POST form helper no
# pamjwt command uses yet)
OIDC_PROBE := $(BUILD)/tests/oidc/http_probe
$(OIDC_PROBE): tests/oidc/http_probe.c tools/http.c tools/http.h tools/oidc.c \
    tools/oidc.h $(LIBA) tests/oidc.mk
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< tools/http.c tools/oidc.c $(LDFLAGS) \
	    $(LIBA) $(PKG_LIBS) $(CURL_LIBS)

.PHONY: check-oidc clean-oidc
check-oidc: $(MODULE) $(TOOL) $(BUILD)/pam_driver $(OIDC_PROBE) $(OIDC_MODULES)
	$(TEST_PYTHON) $(OIDC_DIR)/run.py --build $(BUILD) --node $(OIDC_NODE) \
	    $(if $(filter 1,$(SAN)),--san) $(ONLY_OPT)

clean-oidc:
	rm -rf $(OIDC_DIR)/node_modules
clean: clean-oidc

CHECK_TARGETS += check-oidc
SAN_TARGETS += check-oidc
