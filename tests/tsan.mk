# tests/tsan.mk - the JWK Set cache, the key cache (lib/keycache.c) and the
# configuration text cache (lib/textcache.c)
# under ThreadSanitizer.  Included by tests/tests.mk.
#
#   make check-tsan      (part of make check)
#
# lib/ is compiled again with -fsanitize=thread into $(BUILD)/tsan and
# linked into tests/tsan/jwks_threads.c: threads authenticate against the
# same JWK Set texts (the cache shares what it keeps between them) while one
# empties the cache.  halt_on_error=1 with its own exit code: any race
# ThreadSanitizer sees fails the suite.  libjansson and libcrypto are not
# instrumented (nor libhogweed); what matters is seen all the same, because jansson's
# reference counting (json_incref/json_decref) is inline in jansson.h and
# so compiled into lib/ with the instrumentation.

TSAN_DIR    := $(BUILD)/tsan
TSAN_CC     ?= $(CC)
TSAN_CFLAGS := -g -O1 -fsanitize=thread -fno-omit-frame-pointer \
               -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. $(PKG_CFLAGS)
TSAN_OBJ    := $(LIB_SRC:%.c=$(TSAN_DIR)/%.o)
TSAN_BINS   := $(TSAN_DIR)/jwks_threads $(TSAN_DIR)/keycache_threads

$(TSAN_DIR)/lib/%.o: lib/%.c $(wildcard lib/*.h) tests/tsan.mk
	@mkdir -p $(dir $@)
	$(TSAN_CC) $(TSAN_CFLAGS) -c -o $@ $<

# kept between runs (make would delete them as intermediate files)
.SECONDARY: $(TSAN_OBJ)

$(TSAN_DIR)/%: tests/tsan/%.c $(TSAN_OBJ) tests/tsan.mk
	@mkdir -p $(dir $@)
	$(TSAN_CC) $(TSAN_CFLAGS) -o $@ $< $(TSAN_OBJ) $(PKG_LIBS) -lpthread -ldl

.PHONY: check-tsan
check-tsan: $(TSAN_BINS) $(UNIT_FIXTURES)/stamp
	$(call only_whole,tsan)
	@for t in $(TSAN_BINS); do \
	    echo "=== $$t"; \
	    TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1" \
	        $$t $(UNIT_FIXTURES) || { \
	        echo "tsan: 0 passed, 1 failed ($$t, exit $$?)"; exit 1; }; \
	done

CHECK_TARGETS += check-tsan
