# tests/e2e.mk - end to end with Debian's real programs: sshd and ssh, sudo,
# su and login at a pseudo-terminal, pam-auth-update (tests/e2e/e2e.py).
# Needs root: it starts its own sshd on 127.0.0.1 and creates users and PAM
# service files, all inside a private mount namespace that it removes again,
# and then checks that the host kept nothing.  Not root: one SKIP line.
# Packages: openssh-server openssh-client sudo util-linux login passwd
# libpam-runtime python3-jwt python3-cryptography.
# ONLY=REGEX runs only the scenarios whose names match (E2E_ONLY=REGEX is
# its old name, still understood).

CHECK_TARGETS += check-e2e
E2E_ONLY ?=
E2E_FILTER = $(or $(ONLY),$(E2E_ONLY))

# A private mount namespace needs / to be a mount point; in a plain chroot
# (a fresh Debian root made with debootstrap, say) it is not, and unshare refuses
# to make / private.  That is the one case skipped, with a line saying so.
.PHONY: check-e2e
check-e2e: $(MODULE) $(TOOL)
	@if [ "$$(id -u)" = 0 ] && ! mountpoint -q /; then \
	    echo "SKIP e2e: / is not a mount point (a chroot?): a private mount namespace cannot be made here; run on a real machine (CI does)"; \
	    echo "e2e: 0 passed, 0 failed, 1 skipped"; \
	else $(MAKE) --no-print-directory e2e-run; fi

.PHONY: e2e-run
e2e-run: $(MODULE) $(TOOL)
	$(TEST_PYTHON) tests/e2e/e2e.py --module $(abspath $(MODULE)) \
	    --pamjwt $(abspath $(TOOL)) --conf conf --pamdir $(PAMDIR) \
	    $(if $(E2E_FILTER),--only '$(subst ','\'',$(E2E_FILTER))')
