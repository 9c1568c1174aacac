# tests/login.mk - pamjwt login/logout/ssh and askpass from the cache,
# against a real OpenID Provider and a real browser (included by
# tests/tests.mk).
#
#   make check-login             tests/login/run.py: the provider of
#                                tests/oidc (npm oidc-provider, TLS from a
#                                test CA) on 127.0.0.1, Debian's chromium
#                                headless through puppeteer-core
#                                (tests/browser) signing in and approving
#                                (one chromium per run, a fresh browser
#                                context per sign-in, only 127.0.0.1
#                                reachable); device grant, PKCE, every
#                                failure path (each signs in itself; cases
#                                that only need a signed-in user copy one
#                                shared sign-in's cache);
#                                then (as root) ssh and sudo -A in a private
#                                namespace with the cached token
#   make check-login ONLY=REGEX  the cases whose names match
#
# Needs nodejs, npm and chromium (.ci/packages); the npm packages come from
# the two package-lock.json files through `npm ci`.

LOGIN_DIR        := tests/login
# tests/browser/browser.mk installs the browser's npm packages
# ($(BROWSER_MODULES))

.PHONY: check-login
check-login: $(MODULE) $(TOOL) $(BUILD)/pamjwt-askpass $(OIDC_MODULES) $(BROWSER_MODULES)
	$(TEST_PYTHON) $(LOGIN_DIR)/run.py --build $(BUILD) --node $(OIDC_NODE) $(ONLY_OPT)


CHECK_TARGETS += check-login
