# SPDX-License-Identifier: GPL-2.0
# pasid-shim: drives Kbuild (the module), the guest test programs, the
# test suite and the demo. Kbuild holds only the object list.

KDIR ?= /lib/modules/$(shell uname -r)/build
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
OUT := build/$(KREL)

USER_CC ?= gcc
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -static -pthread -Iinclude/uapi -Itests/guest

GUEST_SRCS := $(wildcard tests/guest/*.c)
GUEST_PROGS := $(patsubst tests/guest/%.c,$(OUT)/guest/%,$(GUEST_SRCS)) \
	$(patsubst tests/guest/%.sh,$(OUT)/guest/%,$(wildcard tests/guest/*.sh)) \
	$(OUT)/guest/pasidctl $(OUT)/guest/bench

TOOL_SRCS := tools/pasidctl.c tools/libpasidshim.c
TOOL_HDRS := tools/libpasidshim.h include/uapi/linux/pasid_shim.h
PREFIX ?= /usr

.PHONY: journey helper all bench bench-full fuzz torture tools install module modules clean-module dkms-install dkms-remove guest-artifacts check demo clean distclean

all: module

# pasid_shim.ko alone: what DKMS and users build.
module: $(OUT)/compat_probes.h
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# ... and the test-only modules beside it: the PASID capability helper,
# the benchmark's raw-call timer and the debug detectors' trigger.
modules: module
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/helper W=1 modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench W=1 modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/detect W=1 modules

# The test-only PASID capability helper alone (the journey's guest
# loads it from a test-only path; no package carries it).
helper:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/helper W=1 modules

clean-module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

# Install from this checkout through DKMS, for every installed kernel
# now and later ones by DKMS's own hooks; dkms-remove undoes it all.
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/pasid-shim-$(DKMS_VERSION)

dkms-install:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)/scripts
	cp -r Kbuild Makefile dkms.conf src include $(DKMS_SRC)/
	cp -r scripts/lib.sh scripts/probe scripts/probes $(DKMS_SRC)/scripts/
	dkms add pasid-shim/$(DKMS_VERSION)
	@for b in /lib/modules/*/build; do \
		k=$${b%/build}; k=$${k##*/}; \
		dkms install pasid-shim/$(DKMS_VERSION) -k $$k; rc=$$?; \
		[ $$rc -eq 0 ] || [ $$rc -eq 77 ] || exit $$rc; \
	done

dkms-remove:
	-dkms remove pasid-shim/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

# What the target kernel offers; rerun when a probe changes.
$(OUT)/compat_probes.h: $(wildcard scripts/probes/*.c) scripts/probe
	@test -n "$(KREL)" || { echo "no kernel build tree at KDIR=$(KDIR)"; exit 1; }
	scripts/probe $(KDIR) $@

# What scripts/vm-run puts into a guest, kept per kernel release. The
# modules build with the kernel's own gcc (scripts/kmake: on the host,
# or in a Debian root that has it); the static test programs on the host.
guest-artifacts: $(GUEST_PROGS)
	+scripts/kmake $(KDIR) modules
	@mkdir -p $(OUT)
	cp pasid_shim.ko tests/helper/pasid_cap_helper.ko $(OUT)/
	cp tests/bench/pshim_bench.ko tests/detect/pshim_detect.ko $(OUT)/guest/

$(OUT)/guest/%: tests/guest/%.c $(wildcard tests/guest/*.h) $(TOOL_SRCS) $(TOOL_HDRS)
	@mkdir -p $(dir $@)
	$(USER_CC) $(USER_CFLAGS) -Itools -o $@ $< tools/libpasidshim.c

$(OUT)/guest/%: tests/guest/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(OUT)/guest/bench: tests/bench/bench.c $(wildcard tests/guest/*.h) $(TOOL_SRCS) $(TOOL_HDRS)
	@mkdir -p $(dir $@)
	$(USER_CC) $(USER_CFLAGS) -Itools -o $@ $< tools/libpasidshim.c

$(OUT)/guest/pasidctl: $(TOOL_SRCS) $(TOOL_HDRS)
	@mkdir -p $(dir $@)
	$(USER_CC) $(USER_CFLAGS) -Itools -o $@ $(TOOL_SRCS)

# pasidctl for this machine, linked against libpasidshim.so.0 (both
# built here; run it from the tree with LD_LIBRARY_PATH=tools), and
# their installation: the library with its version script, the headers
# under $(PREFIX)/include/pasid-shim (so <linux/pasid_shim.h> never
# meets linux-libc-dev's include directory), pkg-config, the man page.
LIB_VERSION := $(DKMS_VERSION)
LIBDIR ?= $(PREFIX)/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
TOOL_CFLAGS := -O2 -g -Wall -Wextra -Werror -Iinclude/uapi -Itools

tools: tools/pasidctl tools/pasid-shim.pc

tools/libpasidshim.so.$(LIB_VERSION): tools/libpasidshim.c tools/libpasidshim.map $(TOOL_HDRS)
	$(USER_CC) $(TOOL_CFLAGS) -fPIC $(CFLAGS) -shared -Wl,-soname,libpasidshim.so.0 \
		-Wl,--version-script,tools/libpasidshim.map -Wl,-z,defs $(LDFLAGS) -o $@ $<
	ln -sf libpasidshim.so.$(LIB_VERSION) tools/libpasidshim.so.0
	ln -sf libpasidshim.so.0 tools/libpasidshim.so

tools/pasidctl: tools/pasidctl.c tools/libpasidshim.so.$(LIB_VERSION) $(TOOL_HDRS)
	$(USER_CC) $(TOOL_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tools/pasidctl.c -Ltools -lpasidshim

tools/pasid-shim.pc: tools/pasid-shim.pc.in dkms.conf
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' $< >$@

install: tools
	install -D -m 0755 tools/pasidctl $(DESTDIR)$(PREFIX)/sbin/pasidctl
	install -D -m 0644 tools/pasidctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/pasidctl.8
	install -D -m 0644 tools/libpasidshim.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libpasidshim.so.$(LIB_VERSION)
	ln -sf libpasidshim.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libpasidshim.so.0
	ln -sf libpasidshim.so.0 $(DESTDIR)$(LIBDIR)/libpasidshim.so
	install -D -m 0644 tools/libpasidshim.h $(DESTDIR)$(PREFIX)/include/pasid-shim/libpasidshim.h
	install -D -m 0644 include/uapi/linux/pasid_shim.h $(DESTDIR)$(PREFIX)/include/pasid-shim/linux/pasid_shim.h
	install -D -m 0644 tools/pasid-shim.pc $(DESTDIR)$(LIBDIR)/pkgconfig/pasid-shim.pc

# The whole test suite; ends with one line "N passed, N failed".
check:
	tests/run-checks

# The race torture for longer than make check's 12 rounds:
# TORTURE_ROUNDS, TORTURE_SEED (printed by every run), TORTURE_KVER,
# TORTURE_FSTS.
TORTURE_ROUNDS ?= 300
torture:
	scripts/vm-run --tap --timeout 14400 $(if $(TORTURE_KVER),--kernel $(TORTURE_KVER)) \
		--fsts $(or $(TORTURE_FSTS),off) -- ./t_torture $(TORTURE_ROUNDS) $(TORTURE_SEED)

# A longer ioctl fuzz run than make check's: FUZZ_CALLS, FUZZ_SEED.
FUZZ_CALLS ?= 2000000
fuzz:
	scripts/vm-run --tap --timeout 3600 -- ./t_fuzz $(FUZZ_CALLS) $(FUZZ_SEED)

# The shim's cost next to the raw kernel calls (docs/benchmarks.md).
bench:
	scripts/bench

# All 1,048,575 PASIDs of one device at once (docs/benchmarks.md);
# BENCH_NDOMS domains share them.
bench-full:
	scripts/bench-full $(BENCH_NDOMS)

# The user's journey on a Debian 12 image: the packages installed with
# apt, modprobe, C and Python, a kernel upgrade, removal (scripts/journey).
journey:
	scripts/journey

# Boot the demo guest: attach, replace and detach PASIDs, with the
# host-side check of the emulated VT-d tables after each step.
demo:
	scripts/demo

# Outputs for one kernel (KDIR); distclean drops every kernel's.
clean:
	rm -rf $(OUT)
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/helper clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/detect clean 2>/dev/null || true

distclean: clean
	rm -rf build
