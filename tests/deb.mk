# tests/deb.mk - the Debian packages (debian/), built, checked with lintian,
# then installed with apt, used and purged in an isolated copy of this
# system (tests/deb/run.py: a private mount, PID and network namespace
# with an overlay of / as the root of a chroot; the machine keeps nothing).
# Needs root, unshare and overlayfs, dpkg-dev, debhelper, lintian,
# fail2ban (for fail2ban-regex), pamtester, sudo, openssh-server and
# -client; otherwise one SKIP line saying why.
# ONLY=REGEX runs only the checks whose names match (every step still
# runs, because later steps need earlier ones, as in check-tool).

CHECK_TARGETS += check-deb
DEB_DIR = $(BUILD)/deb

.PHONY: check-deb
check-deb:
	@if [ "$$(id -u)" != 0 ]; then \
	    echo "SKIP deb: not root: building and installing packages needs root (in a private namespace)"; \
	    echo "deb: 0 passed, 0 failed, 1 skipped"; \
	elif ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null || \
	     ! command -v lintian >/dev/null; then \
	    echo "SKIP deb: dpkg-dev, debhelper or lintian missing (apt-get install dpkg-dev debhelper lintian)"; \
	    echo "deb: 0 passed, 0 failed, 1 skipped"; \
	else $(MAKE) --no-print-directory deb-run; fi

.PHONY: deb-run deb-lintian
deb-run:
	@$(MAKE) --no-print-directory deb DEB_BUILD_OPTIONS=nocheck > $(BUILD)/deb.log 2>&1 || \
	    { tail -40 $(BUILD)/deb.log; echo "deb: 0 passed, 1 failed (make deb, log in $(BUILD)/deb.log)"; exit 1; }
	@$(MAKE) --no-print-directory deb-lintian >$(BUILD)/deb-lintian.log 2>&1 & lint=$$!; \
	echo "$(TEST_PYTHON) tests/deb/run.py --debs $(DEB_DIR) $(ONLY_OPT)  (lintian beside it)"; \
	$(TEST_PYTHON) tests/deb/run.py --debs $(DEB_DIR) $(ONLY_OPT); rc=$$?; \
	wait $$lint; lrc=$$?; cat $(BUILD)/deb-lintian.log; \
	[ $$rc = 0 ] && [ $$lrc = 0 ]

# lintian reads the .deb files while run.py installs copies of them in its
# namespace: they run side by side (lintian waits on its own disk reads),
# lintian's lines are printed after run.py's, and either failing fails.
#
# lintian over the packages as built: no error, no warning (info,
# experimental, pedantic tags and overrides are printed; each override in
# debian/*.lintian-overrides says why it exists)
deb-lintian:
	@out=$$(cd $(DEB_DIR) && lintian -I -E --pedantic --show-overrides --tag-display-limit 0 \
	    *.changes 2>&1 | grep -v '^running with root privileges'); \
	echo "$$out" | sed 's/^/lintian: /'; \
	if echo "$$out" | grep -q '^[EW]: '; then \
	    echo "deb: lintian: 0 passed, 1 failed (errors or warnings above)"; exit 1; \
	else echo "deb: lintian: 1 passed, 0 failed"; fi
