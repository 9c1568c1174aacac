# tests/linkd.mk - pamjwt-linkd, the magic-link service (tests/linkd/run.py):
# end to end with real programs on 127.0.0.1 -- the service, a real SMTP
# server (python3-aiosmtpd), a real browser (Debian's chromium, headless,
# through puppeteer-core pinned in tests/browser/package-lock.json and
# installed with npm ci), the host's pam_jwt through the real libpam -- and
# the attack cases.  Included by tests/tests.mk.
#
#   make check-linkd                 every case
#   (check-asan reruns it with the service, the module and the driver
#   built with ASan+UBSan)
#   make check-linkd ONLY=REGEX      the cases whose names match (e2e-login,
#                                    e2e-sudo, admin, unknown, http-flow,
#                                    expired, forged, csrf, escaping, flood,
#                                    ratefull, samework, wipe, kinds, limits,
#                                    tls, config,
#                                    audit)
#
# Packages: libmicrohttpd-dev libcurl4-openssl-dev python3-aiosmtpd chromium
# nodejs npm (.ci/packages).  BROWSER_NODE / BROWSER_NPM name other node/npm
# programs (default: the ones on PATH; CI: Debian 12's nodejs 18, npm 9).

# the browser: tests/browser/browser.mk ($(BROWSER_MODULES), $(BROWSER_NODE))

.PHONY: check-linkd
check-linkd: $(LINKD) $(MODULE) $(TOOL) $(BUILD)/pam_driver $(BROWSER_MODULES)
	$(TEST_PYTHON) tests/linkd/run.py --build $(BUILD) \
	    --node $(BROWSER_NODE) $(if $(filter 1,$(SAN)),--san) $(ONLY_OPT)

CHECK_TARGETS += check-linkd
SAN_TARGETS += check-linkd
