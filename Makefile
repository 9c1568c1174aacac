# pam_jwt - a Linux-PAM module that accepts a JSON Web Token as the password.
#
#   make            pam_jwt.so and pamjwt
#   make check      every test (unit, vectors, libpam integration, sanitizers,
#                   valgrind, and the suites the other *.mk files add)
#   make demo       install what it needs, build, show a real authentication
#   make install    DESTDIR, PREFIX
#   make clean

PREFIX  ?= /usr
DESTDIR ?=
BUILD   ?= build
SAN     ?=
CC      ?= cc
PKGS    := pam libsodium libjwt jansson openssl libcurl hiredis libmicrohttpd libqrencode hogweed
# PKGS_OMIT=...: packages a build may go without (debian/rules omits
# libjwt, which only the attack suite uses)
PKGS    := $(filter-out $(PKGS_OMIT),$(PKGS))

MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
ifeq ($(MULTIARCH),)
PAMDIR  ?= /lib/security
else
PAMDIR  ?= /lib/$(MULTIARCH)/security
endif
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= /lib/systemd/system
SYSCONF ?= /etc/security

# One pkg-config call per package: a single call for all of them prints
# nothing at all when one .pc file is missing, which would empty the flags
# of the others too.  A missing package stops every goal that builds (with
# its name); the goals that install the packages or need none still run, so
# that `make check` on a fresh machine reaches tests/install-deps.sh (its
# second make, check-run, then finds them).
pkg_flags   = $(foreach p,$(2),$(shell pkg-config $(1) $(p) 2>/dev/null))
PKG_MISSING := $(strip $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) && echo y),,$(p))))
NOPKG_GOALS := check check-deps clean clean-interop demo
ifneq ($(PKG_MISSING),)
ifneq ($(filter-out $(NOPKG_GOALS),$(or $(MAKECMDGOALS),all)),)
$(error pkg-config finds no $(PKG_MISSING) (no .pc file): install the Debian packages in .ci/packages (as root: make check-deps, or bash tests/install-deps.sh))
endif
endif
# Not hiredis's: its .pc adds -D_FILE_OFFSET_BITS=64, which would rename
# open, stat, readdir ... to their *64 twins in every object (tests/fault
# wraps them by name); lib/redis.c includes <hiredis/hiredis.h> from
# /usr/include, and no hiredis structure we use holds an off_t.
PKG_CFLAGS := $(call pkg_flags,--cflags,$(filter-out hiredis,$(PKGS)))
PKG_LIBS   := $(call pkg_flags,--libs,libsodium jansson libcrypto hiredis)
# The module opens Nettle's libhogweed itself when an RSA, EC or HS384 key
# needs it (lib/hog.h): HS256/512 and EdDSA logins never load it; it never
# uses libcrypto (the tool does, tools/).  It opens libhiredis the same way
# when a Redis store or revocation source is first used (lib/hiredis_dl.h):
# logins without Redis never load it.
MODULE_LIBS := $(call pkg_flags,--libs,libsodium jansson)

WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wconversion -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += $(WARN) -std=gnu11 -fPIC -D_GNU_SOURCE -fstack-protector-strong \
           -fno-strict-aliasing $(PKG_CFLAGS)
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all \
           -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  += -D_FORTIFY_SOURCE=2
endif
LDFLAGS += -Wl,-z,relro,-z,now

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA    := $(BUILD)/libpamjwt.a
MODULE  := $(BUILD)/pam_jwt.so

.PHONY: all module clean install check demo
all: module tool

# Shows the main job end to end (installs what it needs; changes nothing else).
demo:
	bash tests/demo.sh

module: $(MODULE)

$(BUILD)/%.o: %.c $(wildcard lib/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(MODULE): $(BUILD)/pam_jwt.o $(LIBA) pam_jwt.map
	$(CC) -shared -o $@ $(BUILD)/pam_jwt.o $(LIBA) $(LDFLAGS) \
	    -Wl,--version-script=pam_jwt.map -Wl,--no-undefined -Wl,-z,nodelete \
	    $(MODULE_LIBS) -lpam

# Further targets live beside what they build.  `include`, not `-include`:
# a renamed or missing file must stop make, not drop its targets quietly.
include tools/tools.mk
include tests/support/support.mk
include tests/tests.mk
include fuzz/fuzz.mk
include bench/bench.mk

# make install: one target per part, so that a packager (debian/rules runs
# `make install DESTDIR=...`) and a new part find their place.  A .mk file
# that adds a part (a program, systemd units) appends its target to
# INSTALL_TARGETS before this point.
INSTALL_TARGETS := install-module install-tool install-man install-conf \
                   install-units \
                   $(INSTALL_TARGETS)
PAMCONFDIR ?= $(PREFIX)/share/pam-configs

.PHONY: install $(INSTALL_TARGETS)
install: $(INSTALL_TARGETS)

# The module, and the pam-auth-update profiles pam_jwt and
# pam_jwt-breakglass (Default: no: installing them changes no PAM stack
# until `pam-auth-update --enable pam_jwt`).
install-module: $(MODULE)
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(PAMCONFDIR)
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_jwt.so
	install -m 0644 conf/pam-auth-update/pam_jwt $(DESTDIR)$(PAMCONFDIR)/pam_jwt
	install -m 0644 conf/pam-auth-update/pam_jwt-breakglass \
	    $(DESTDIR)$(PAMCONFDIR)/pam_jwt-breakglass

install-tool: $(TOOL)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(TOOL) $(DESTDIR)$(BINDIR)/pamjwt
	ln -sf pamjwt $(DESTDIR)$(BINDIR)/pamjwt-askpass

# Every page in man/, by its section.
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	for m in man/*.[158]; do [ -f "$$m" ] || continue; \
	    s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

# The all-commented reference configuration; never over an existing one.
install-conf:
	install -d $(DESTDIR)$(SYSCONF)
	[ -e $(DESTDIR)$(SYSCONF)/pam_jwt.conf ] || \
	    install -m 0644 conf/pam_jwt.conf $(DESTDIR)$(SYSCONF)/pam_jwt.conf

# The systemd units of pamjwt jwks-fetch (pamjwt(1), SYSTEMD UNITS);
# pamjwt-linkd's unit is installed by install-linkd.
install-units:
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 conf/systemd/pam_jwt-jwks-* $(DESTDIR)$(UNITDIR)/

clean:
	rm -rf build build-* 

# make deb: the Debian packages libpam-jwt and pamjwt (debian/), built by
# dpkg-buildpackage in a copy of the tracked (and new, not ignored) files
# under $(BUILD)/deb/src, so the build neither cleans nor litters this
# tree; the .deb files land in $(BUILD)/deb/.  DEB_BUILD_OPTIONS=nocheck
# skips the unit tests inside the package build.  DEB_JOBS: make jobs of
# the package build (-J: DEB_BUILD_OPTIONS parallel=N, which debhelper
# passes to make; default one per core).  Without this make's MAKEFLAGS:
# its command-line variables (BUILD=..., DEB_BUILD_OPTIONS=nocheck) would
# override debian/rules' own, and so drop dpkg-buildpackage's parallel=N
# (DEB_BUILD_OPTIONS given to make still reaches it, from the environment).
DEB_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
.PHONY: deb
deb:
	@command -v dpkg-buildpackage >/dev/null && [ -e /usr/share/perl5/Debian/Debhelper/Dh_Lib.pm ] || \
	    { echo "make deb: needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper)"; exit 1; }
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    tar --null -T - -cf - | tar -xf - -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && MAKEFLAGS= MFLAGS= dpkg-buildpackage -us -uc -b -J$(DEB_JOBS)
	@ls $(BUILD)/deb/*.deb

# Every suite file above appends its targets to CHECK_TARGETS; they run in
# that order.  Defined last so that all of them are known.  `make check`
# first installs the Debian packages the suites need (as root, on a fresh
# Debian 12), then runs again so that pkg-config sees them: once in parallel
# to compile what the suites run (check-build, tests/tests.mk), once to run
# them in order.
.PHONY: check check-deps check-run
check: check-deps
	@$(MAKE) --no-print-directory $(check_j) check-build
	@$(MAKE) --no-print-directory check-run

check-deps:
	@bash tests/install-deps.sh

check-run: all $(CHECK_TARGETS)
	@echo "make check: every suite passed ($(words $(CHECK_TARGETS)) suites)"
