# tests/interop.mk - interoperability with independent token makers, and the
# JOSE RFC examples (included by tests/tests.mk).
#
#   make check-interop   tokens from PyJWT (python3-jwt) and the npm packages
#                        jose and jsonwebtoken, for every algorithm each
#                        supports, through the real libpam (build/pam_driver,
#                        nss_wrapper users) with the makers' PEM keys, their
#                        JWK Sets and openssl's keys; prints the matrix
#                        (tests/interop/run.py); and the other direction:
#                        tokens from `pamjwt mint` (keys from `pamjwt
#                        keygen`, every algorithm) verified by jose with
#                        the PEM/secret and the JWK Set
#                        (tests/interop/verify_node.mjs).  Needs nodejs and npm: the
#                        npm packages are installed with `npm ci` from
#                        tests/interop/package-lock.json into
#                        tests/interop/node_modules (git-ignored).
#   make check-rfc       RFC 7515 A.1-A.4, RFC 8037 A.4 and RFC 7519 3.1 at
#                        the signature layer (tests/interop/test_rfc.c); also
#                        rerun under ASan+UBSan by check-asan.
#
# Neither can run single tests (the matrix counts every cell, missing ones
# as failures): with ONLY they say so and run whole.
#
# INTEROP_NODE and INTEROP_NPM name other node/npm programs (default: the
# ones on PATH; CI uses Debian 12's nodejs 18 and npm 9).  The pinned jose
# 5.10.0 and jsonwebtoken 9.0.2 ran the whole matrix with Debian 12's
# nodejs 18.20.4 / npm 9.2.0 and with node 20.

INTEROP_DIR     := tests/interop
INTEROP_MODULES := $(INTEROP_DIR)/node_modules/.package-lock.json
INTEROP_RFC     := $(BUILD)/tests/interop/test_rfc
INTEROP_NODE    ?= node
INTEROP_NPM     ?= npm

# npm ci installs exactly the lock file's versions; again only when the
# lock file changes.
$(INTEROP_MODULES): $(INTEROP_DIR)/package.json $(INTEROP_DIR)/package-lock.json
	cd $(INTEROP_DIR) && $(INTEROP_NPM) ci --no-audit --no-fund
	@touch $@

$(INTEROP_RFC): $(INTEROP_DIR)/test_rfc.c $(LIBA) tests/interop.mk
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(LDFLAGS) $(TEST_LIBS)

.PHONY: check-interop check-rfc clean-interop
check-interop: $(MODULE) $(TOOL) $(BUILD)/pam_driver $(INTEROP_RFC) $(INTEROP_MODULES)
	$(call only_whole,interop)
	$(INTEROP_RFC)
	$(TEST_PYTHON) $(INTEROP_DIR)/run.py --build $(BUILD) --node $(INTEROP_NODE)

check-rfc: $(INTEROP_RFC)
	$(call only_whole,rfc)
	$(INTEROP_RFC)

clean-interop:
	rm -rf $(INTEROP_DIR)/node_modules
clean: clean-interop

CHECK_TARGETS += check-interop
SAN_TARGETS += check-rfc
