# tools/tools.mk - the pamjwt command-line tool
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/%.o)
TOOL     := $(BUILD)/pamjwt
# libcurl: the tool's HTTP client (tools/http.c); never the module's
CURL_LIBS := $(call pkg_flags,--libs,libcurl)
# pamjwt login: libmicrohttpd (the one-shot loopback redirect listener),
# libqrencode (the device grant's QR code)
LOGIN_LIBS := $(call pkg_flags,--libs,libmicrohttpd libqrencode) -lpthread

# `make` alone builds the module and the tool (the top Makefile defines
# `demo` before `all`, which would otherwise become the default goal).
.DEFAULT_GOAL := all

.PHONY: tool
tool: $(TOOL) $(BUILD)/pamjwt-askpass

$(BUILD)/tools/%.o: tools/%.c $(wildcard tools/*.h) $(wildcard lib/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I. -c -o $@ $<

$(TOOL): $(TOOL_OBJ) $(LIBA)
	$(CC) -o $@ $(TOOL_OBJ) $(LIBA) $(LDFLAGS) $(PKG_LIBS) $(CURL_LIBS) $(LOGIN_LIBS)

# pamjwt-linkd, the magic-link service: its own program and .mk file
include tools/linkd/linkd.mk


# as installed: pamjwt-askpass is a link to pamjwt (pamjwt ssh finds it
# beside itself)
$(BUILD)/pamjwt-askpass: $(TOOL)
	ln -sf pamjwt $@
