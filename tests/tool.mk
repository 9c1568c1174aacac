# tests/tool.mk - the pamjwt tool (keygen, mint, verify, askpass), checked
# against PyJWT and python3-cryptography.  Included by tests/tests.mk.
#
#   make check-tool     in the normal build; also rerun under ASan+UBSan by
#                       check-asan (build-asan, SAN=1)
#   ... ONLY=REGEX      only the checks whose names match are counted and
#                       printed (every step still runs: later checks use
#                       the keys and tokens earlier ones made)
#
# Accounts come from nss_wrapper, preloaded into the tool by the runner.

.PHONY: check-tool
check-tool: $(TOOL)
	$(TEST_PYTHON) tests/tool/run.py $(TOOL) $(ONLY_OPT)

CHECK_TARGETS += check-tool
SAN_TARGETS += check-tool
