# SPDX-License-Identifier: GPL-2.0
#
# kprofmap top-level Makefile.
#
#   make            build module/kprofmap.ko and the user tools
#   make check      all tests: unit (host), VM selftests, end-to-end, packages
#   make demo       profile the bundled workload in the VM -> out/kprofmap-demo.pb.gz
#   make bench      benchmarks (prints a table)
#   make setup      install the Debian packages the project needs
#   make man        build/man/kprof2pprof.1 and build/man/kprofmap.4 (rst2man)
#   make install    kprof2pprof and the man pages into DESTDIR/PREFIX
#   make uninstall  remove what make install installed
#   make install-dkms  the module source and dkms.conf into
#                   DESTDIR/usr/src/kprofmap-VERSION, for dkms add/install
#   make deb        the Debian packages kprofmap-dkms and kprof2pprof,
#                   in build/deb/ (scripts/build-deb.sh)
#
# KDIR=...    kernel build tree to build the module against
# KVERS=...   kernels `make check` runs the VM tests on: short names 6.1,
#             6.1-debug, 6.12 or releases (default: all three; see
#             scripts/check.sh and scripts/build-debug-kernel.sh)
# PREFIX=...  where make install puts things (default /usr/local)
# DESTDIR=... staging root prepended to every installed path

SHELL := /bin/bash
TOP := $(CURDIR)

# Default kernel tree: the running kernel's when it has one, else the
# newest installed Debian 6.1 linux-headers-*-amd64.
ifeq ($(KDIR),)
  ifneq ($(wildcard /lib/modules/$(shell uname -r)/build/Makefile),)
    KDIR := /lib/modules/$(shell uname -r)/build
  else
    KDIR := $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64)))
  endif
endif
export KDIR

# The one version of the tool, the DKMS module and the packages.
VERSION := $(shell cat $(TOP)/VERSION)
PREFIX ?= /usr/local
BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man
DKMS_SRC := /usr/src/kprofmap-$(VERSION)
MAN_PAGES := build/man/kprof2pprof.1 build/man/kprofmap.4
# The module's source as kbuild needs it (not kbuild's generated .mod.c).
MODULE_SRCS := module/Kbuild $(filter-out %.mod.c,$(wildcard module/*.c)) \
	$(wildcard module/*.h)

.PHONY: all module user modules_clean clean check demo bench setup man install \
	uninstall install-dkms deb

all: module user

module:
	@test -n "$(KDIR)" || { echo "kprofmap: no kernel headers found; run 'make setup' or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules

user:
	$(MAKE) -C user

setup:
	scripts/setup.sh

man: $(MAN_PAGES)

build/man/kprof2pprof.1: Documentation/kprof2pprof.rst
build/man/kprofmap.4: Documentation/man/kprofmap.4.rst Documentation/kprofmap.rst
# --strict: a docutils warning (a broken include, an unknown target) fails.
$(MAN_PAGES):
	@mkdir -p $(@D)
	rst2man --strict $< $@.tmp
	mv $@.tmp $@

install: user man
	install -D -m 755 user/kprof2pprof $(DESTDIR)$(BINDIR)/kprof2pprof
	install -D -m 644 build/man/kprof2pprof.1 $(DESTDIR)$(MANDIR)/man1/kprof2pprof.1
	install -D -m 644 build/man/kprofmap.4 $(DESTDIR)$(MANDIR)/man4/kprofmap.4

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kprof2pprof $(DESTDIR)$(MANDIR)/man1/kprof2pprof.1 \
		$(DESTDIR)$(MANDIR)/man4/kprofmap.4

# dkms.conf's PACKAGE_VERSION placeholder is filled in from VERSION, as
# dh_dkms -V does in the package.
install-dkms:
	install -d $(DESTDIR)$(DKMS_SRC)/module
	install -m 644 Kbuild $(DESTDIR)$(DKMS_SRC)/
	install -m 644 $(MODULE_SRCS) $(DESTDIR)$(DKMS_SRC)/module/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DESTDIR)$(DKMS_SRC)/dkms.conf

deb:
	scripts/build-deb.sh

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

clean:
	-test -n "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(TOP) clean
	$(MAKE) -C user clean
	-$(MAKE) -C selftests clean
	rm -rf build out
