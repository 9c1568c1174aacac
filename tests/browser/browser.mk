# tests/browser/browser.mk - the real browser the suites share: Debian's
# chromium, headless, driven by puppeteer-core (tests/browser/browser.mjs).
# Included once by tests/tests.mk; a suite that drives the browser depends on
# $(BROWSER_MODULES) and runs its scripts with $(BROWSER_NODE).
#
# puppeteer-core is pinned by tests/browser/package-lock.json (22.15.0, for
# Node >= 18: Debian 12's nodejs 18 in CI) and installed with npm ci into
# tests/browser/node_modules (git-ignored); it downloads no browser.
# Packages: chromium nodejs npm.  BROWSER_NODE / BROWSER_NPM name other
# node/npm programs (default: the ones on PATH).

BROWSER_DIR     := tests/browser
BROWSER_MODULES := $(BROWSER_DIR)/node_modules/.package-lock.json
BROWSER_NODE    ?= node
BROWSER_NPM     ?= npm

# npm ci installs exactly the lock file's versions; again only when it
# changes.
$(BROWSER_MODULES): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && $(BROWSER_NPM) ci --no-audit --no-fund
	@touch $@

.PHONY: clean-browser
clean-browser:
	rm -rf $(BROWSER_DIR)/node_modules
clean: clean-browser
