# tests/lint.mk - static analysis, part of make check:
#
#   make lint            all of the below
#   make lint-gcc        the module (and the tool's objects) built with gcc ...
#   make lint-clang      ... and with clang, -Wall -Wextra -Wformat=2 -Wshadow
#                        -Wconversion -Werror (the Makefile's WARN)
#   make lint-cppcheck   cppcheck warning,portability,performance
#   make lint-tidy       clang-tidy with the profile in .clang-tidy
#   make lint-scan       scan-build (the clang static analyzer), --status-bugs
#
# Everything goes to $(LINT_DIR) (removed by make clean).  The sources are
# lib/, pam_jwt.c and tools/ (as far as it exists).

LINT_DIR   := build-lint
LINT_SRC   := $(LIB_SRC) pam_jwt.c $(sort $(wildcard tools/*.c)) \
              $(sort $(wildcard tools/linkd/*.c))
LINT_FLAGS := -std=gnu11 -D_GNU_SOURCE -I. -Ilib $(PKG_CFLAGS)

# The analyzer (clang-tidy's clang-analyzer-*, scan-build) sees one file at
# a time.  pj_reason() returns its first argument (lib/err.h), but outside
# lib/err.c the analyzer cannot know that: every "return pj_reason(PJ_E_...)"
# then looks as if it might return PJ_OK, and every output the caller reads
# afterwards as possibly NULL (11 such false reports in lib/jwk.c and
# lib/user.c).  This model, included into every file but err.c itself, tells
# it what the function does.
LINT_MODEL := $(LINT_DIR)/analyzer-model.h

# Known false reports of the analyzer, in files lint may not edit: one per
# line as FILE|CHECK|SHA-256 of the reported source line (white space
# trimmed), so that a moved line stays known and a changed one is reported.
#  - tools/askpass.c, "while (len > 0 && strchr(" \t\r\n", t[0]) != NULL) {":
#    "t[0] uninitialized" after read_token_file(), whose read loop always
#    NUL-terminates what it read (or the empty buffer); the analyzer does not
#    track the bytes read() stores.
LINT_KNOWN := \
  'tools/askpass.c|clang-analyzer-core.CallAndMessage|a67e411e4afde8d9d001b9e6ff9e18f5e94813d8d0305c9bfdee09cd842eb83f'

.PHONY: lint lint-all lint-gcc lint-clang lint-cppcheck lint-tidy lint-scan \
        lint-objs lint-scan-objs FORCE

# The five tools are independent: they run side by side, LINT_JOBS jobs at
# a time (default: one per core) shared through make's job server by the
# gcc and clang builds, the clang-tidy files and the scan-build files (a
# `make -jN lint` gives its own N instead).  -k: every tool runs to its
# end and says what it found; -O: each tool's lines come out together.
# Any failure fails lint (the sub-make's status), and the line below is
# printed only when all five passed.
LINT_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
lint:
	@$(MAKE) --no-print-directory -k -Orecurse \
	    $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(LINT_JOBS)) lint-all
	@echo "lint: gcc, clang, cppcheck, clang-tidy and scan-build: nothing found"

lint-all: lint-only-note lint-gcc lint-clang lint-cppcheck lint-tidy lint-scan

.PHONY: lint-only-note
lint-only-note:
	$(call only_whole,lint)

# the tool is compiled, not linked (its author may still be finishing it)
lint-objs: $(TOOL_OBJ) $(LINKD_OBJ)

lint-gcc:
	@echo "lint: gcc -Werror build"
	@$(MAKE) --no-print-directory -s BUILD=$(LINT_DIR)/gcc CC=gcc SAN= \
	    module lint-objs

lint-clang:
	@echo "lint: clang -Werror build"
	@$(MAKE) --no-print-directory -s BUILD=$(LINT_DIR)/clang CC=clang SAN= \
	    module lint-objs

lint-cppcheck:
	@echo "lint: cppcheck"
	cppcheck --enable=warning,portability,performance --error-exitcode=1 \
	    --inline-suppr --std=c11 -D_GNU_SOURCE -I. -Ilib --quiet $(LINT_SRC)

$(LINT_MODEL): tests/lint.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' \
	    '/* written by tests/lint.mk: what pj_reason() does, for the analyzer */' \
	    '#include "lib/err.h"' \
	    '#define pj_reason(err, ...) (pj_reason((err), __VA_ARGS__), (err))' >$@

# clang-tidy per file (one make job each); its reports minus LINT_KNOWN
# must be none.  FORCE: every run analyses every file again.
LINT_TIDY_LOGS := $(LINT_SRC:%.c=$(LINT_DIR)/tidy/%.log)
$(LINT_DIR)/tidy/%.log: %.c $(LINT_MODEL) FORCE
	@mkdir -p $(dir $@)
	@m="-include $(LINT_MODEL)"; [ $< = lib/err.c ] && m=; \
	clang-tidy --quiet $< -- $(LINT_FLAGS) $$m >$@ 2>/dev/null; true

FORCE:

lint-tidy: $(LINT_MODEL) $(LINT_TIDY_LOGS)
	@echo "lint: clang-tidy"
	@printf '%s\n' $(LINT_KNOWN) >$(LINT_DIR)/known
	@cat $(LINT_TIDY_LOGS) >$(LINT_DIR)/tidy.log
	@awk -v pre="$(CURDIR)/" \
	    '/^[^ ]+:[0-9]+:[0-9]+: (warning|error): / { \
	        f = $$1; sub(/:[0-9]+:[0-9]+:$$/, "", f); \
	        if (index(f, pre) == 1) f = substr(f, length(pre) + 1); \
	        c = $$0; sub(/.*\[/, "", c); sub(/[],].*/, "", c); hdr = $$0; \
	        src = ""; if ((getline src) > 0) gsub(/^[ \t]+|[ \t]+$$/, "", src); \
	        print f "\t" c "\t" hdr "\t" src }' \
	    $(LINT_DIR)/tidy.log >$(LINT_DIR)/tidy.found
	@bad=0; while IFS='	' read -r f c hdr src; do \
	    h=$$(printf '%s' "$$src" | sha256sum | cut -c1-64); \
	    if grep -qxF "$$f|$$c|$$h" $(LINT_DIR)/known; then \
	        echo "lint: known false report: $$hdr"; \
	    else echo "$$hdr"; echo "    $$src"; bad=1; fi; \
	done <$(LINT_DIR)/tidy.found; \
	if [ $$bad != 0 ]; then echo "lint: clang-tidy found the above" \
	    "(full report: $(LINT_DIR)/tidy.log)"; exit 1; fi

# scan-build runs the analyzer through its compiler wrapper ($$CC) over
# every file, with the same model.  It cannot skip one report, so the file
# of a LINT_KNOWN report is left to clang-tidy's clang-analyzer-* (the same
# analyzer, with the exact exemption above).
LINT_SCAN_SKIP := tools/askpass.c
LINT_SCAN_SRC  := $(filter-out $(LINT_SCAN_SKIP),$(LINT_SRC))

# scan-build's wrapper compiles one file per make job: the sub-make gets the
# wrapper's path from scan-build's $$CC (never make's own CC, which a
# `make CC=gcc` would set) and shares the job server.
LINT_SCAN_OBJ := $(LINT_SCAN_SRC:%.c=$(LINT_DIR)/scan/%.o)

lint-scan: $(LINT_MODEL)
	@echo "lint: scan-build (not on $(LINT_SCAN_SKIP))"
	@rm -rf $(LINT_DIR)/scan
	@mkdir -p $(LINT_DIR)/scan
	@scan-build --status-bugs --use-cc=clang -o $(LINT_DIR)/scan/report \
	    -disable-checker deadcode.DeadStores \
	    sh -c 'test -n "$$CC" && exec $(MAKE) --no-print-directory -s \
	        LINT_SCAN_CC="$$CC" lint-scan-objs'

lint-scan-objs: $(LINT_SCAN_OBJ)

$(LINT_DIR)/scan/%.o: %.c $(LINT_MODEL) FORCE
	@test -n "$(LINT_SCAN_CC)" || { echo "lint-scan-objs: only through lint-scan (scan-build)"; exit 1; }
	@mkdir -p $(dir $@)
	@m="-include $(LINT_MODEL)"; [ $< = lib/err.c ] && m=; \
	$(LINT_SCAN_CC) $(LINT_FLAGS) -O1 $$m -c $< -o $@

CHECK_TARGETS += lint
