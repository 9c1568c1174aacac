# tools/linkd/linkd.mk - pamjwt-linkd, the magic-link issuing service
# (pamjwt-linkd(8)).  Included by tools/tools.mk.  Not part of `make` (all):
# it needs libmicrohttpd and libcurl, which the module and pamjwt do not.
#
#   make linkd            $(BUILD)/pamjwt-linkd
#   make install-linkd    the program into sbin, its man page, the example
#                         config and the systemd unit (never overwriting a
#                         config that exists)
#
# It signs with the code of `pamjwt mint` (tools/sign.c, linked as the same
# object), so a key the module would refuse cannot mint here either.

LINKD_PKGS  := libmicrohttpd libcurl
LINKD_SRC   := $(sort $(wildcard tools/linkd/*.c))
LINKD_OBJ   := $(LINKD_SRC:%.c=$(BUILD)/%.o)
LINKD       := $(BUILD)/pamjwt-linkd
LINKD_CFLAGS = $(CFLAGS) -I. $(call pkg_flags,--cflags,$(LINKD_PKGS))
LINKD_LIBS   = $(call pkg_flags,--libs,$(LINKD_PKGS)) $(PKG_LIBS) -lpthread
SBINDIR     ?= $(PREFIX)/sbin
SYSTEMDDIR  ?= /lib/systemd/system

.PHONY: linkd install-linkd
# part of `make install` (the top Makefile's INSTALL_TARGETS)
INSTALL_TARGETS += install-linkd
linkd: $(LINKD)

$(BUILD)/tools/linkd/%.o: tools/linkd/%.c tools/linkd/linkd.h tools/sign.h \
    $(wildcard lib/*.h) Makefile
	@mkdir -p $(dir $@)
	@for p in $(LINKD_PKGS); do pkg-config --exists $$p || { \
	    echo "pkg-config finds no $$p: apt-get install libmicrohttpd-dev libcurl4-openssl-dev (see .ci/packages)"; exit 1; }; done
	$(CC) $(LINKD_CFLAGS) -c -o $@ $<

$(LINKD): $(LINKD_OBJ) $(BUILD)/tools/sign.o $(LIBA)
	$(CC) -o $@ $(LINKD_OBJ) $(BUILD)/tools/sign.o $(LIBA) $(LDFLAGS) $(LINKD_LIBS)

install-linkd: $(LINKD)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)/etc/pamjwt-linkd $(DESTDIR)$(SYSTEMDDIR)
	install -m 0755 $(LINKD) $(DESTDIR)$(SBINDIR)/pamjwt-linkd
	install -m 0644 man/pamjwt-linkd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 conf/systemd/pamjwt-linkd.service $(DESTDIR)$(SYSTEMDDIR)/
	[ -e $(DESTDIR)/etc/pamjwt-linkd/linkd.conf ] || \
	    install -m 0644 conf/linkd.conf $(DESTDIR)/etc/pamjwt-linkd/linkd.conf
	[ -e $(DESTDIR)/etc/pamjwt-linkd/directory ] || \
	    install -m 0644 conf/linkd-directory $(DESTDIR)/etc/pamjwt-linkd/directory
