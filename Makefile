# SPDX-License-Identifier: GPL-2.0
# pasid-shim: drives Kbuild (the module), the guest test programs, the
# test suite and the demo. Kbuild holds only the object list.

KDIR ?= /lib/modules/$(shell uname -r)/build
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
OUT := build/$(KREL)

# One version for the module (Kbuild), libpasidshim, pasidctl, its man
# page and the Python module (tools/gen-contract writes it into theirs).
VERSION := $(shell cat VERSION 2>/dev/null || \
	sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf 2>/dev/null)

USER_CC ?= gcc
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -static -pthread -Iinclude/uapi -Itests/guest \
	-DPSHIM_VERSION='"$(VERSION)"'

# The test programs do not depend on the kernel: built once into
# build/guest (make clean KDIR=... keeps them; distclean drops them),
# linked into each kernel's $(OUT)/guest beside its test modules.
GUEST_BIN := build/guest
GUEST_SRCS := $(wildcard tests/guest/*.c)
GUEST_NAMES := $(patsubst tests/guest/%.c,%,$(GUEST_SRCS)) \
	$(patsubst tests/guest/%.sh,%,$(wildcard tests/guest/*.sh)) pasidctl bench
GUEST_PROGS := $(addprefix $(OUT)/guest/,$(GUEST_NAMES))
.SECONDARY: $(addprefix $(GUEST_BIN)/,$(GUEST_NAMES))

TOOL_SRCS := tools/pasidctl.c tools/libpasidshim.c
TOOL_HDRS := tools/libpasidshim.h tools/pshim_contract.h include/uapi/linux/pasid_shim.h
PREFIX ?= /usr

.PHONY: contract journey helper all bench bench-full fuzz torture scale tools install module modules clean-module dkms-source dkms-install dkms-remove rpm guest-artifacts check demo clean distclean

all: module

# pasid_shim.ko alone: what DKMS and users build.
module: $(OUT)/compat_probes.h
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# ... and the test-only modules beside it: the PASID capability helper,
# the benchmark's raw-call timer and the debug detectors' trigger.
modules: module
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/helper W=1 modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers W=1 modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/detect W=1 modules

# The test-only PASID capability helper alone (the journey's guest
# loads it from a test-only path; no package carries it).
helper:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/helper W=1 modules

# The module's objects in the tree. Not kbuild's own clean: with M= it
# deletes every *.ko below the checkout, build/<release>/ of the other
# kernels included, which make check's later steps read.
MODULE_LEFTOVERS := *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers \
	src/*.o src/.*.cmd src/.*.o.d src/*.mod src/*.mod.c
clean-module:
	rm -f $(MODULE_LEFTOVERS)

# The DKMS source: what DKMS needs to probe a kernel and build the
# module for it. This list is the only one: make dkms-install,
# debian/rules and rpm/pasid-shim.spec all copy it with dkms-source.
DKMS_PAYLOAD := Kbuild Makefile dkms.conf VERSION src include \
	scripts/lib.sh scripts/probe scripts/dkms-probe scripts/probes

# Copy the DKMS source into DKMS_DEST (without build leftovers).
dkms-source:
	@test -n "$(DKMS_DEST)" || { echo "usage: make dkms-source DKMS_DEST=DIR"; exit 1; }
	mkdir -p $(DKMS_DEST)
	cp -r --parents $(DKMS_PAYLOAD) $(DKMS_DEST)/
	find $(DKMS_DEST) \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '.*.o.d' \) -delete

# Install from this checkout through DKMS, for every installed kernel
# now and later ones by DKMS's own hooks; dkms-remove undoes it all.
DKMS_VERSION := $(VERSION)
DKMS_SRC := /usr/src/pasid-shim-$(DKMS_VERSION)

dkms-install:
	rm -rf $(DKMS_SRC)
	$(MAKE) -s dkms-source DKMS_DEST=$(DKMS_SRC)
	dkms add pasid-shim/$(DKMS_VERSION)
	@for b in /lib/modules/*/build; do \
		k=$${b%/build}; k=$${k##*/}; \
		dkms install pasid-shim/$(DKMS_VERSION) -k $$k; rc=$$?; \
		[ $$rc -eq 0 ] || [ $$rc -eq 77 ] || exit $$rc; \
	done

dkms-remove:
	-dkms remove pasid-shim/$(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

# The errno contract (tools/contract.py) and VERSION make the library's
# and the Python module's meanings, the guest tests' row macros, the
# errno tables of docs/uapi.md and pasidctl(8); all are committed, and
# `make check` fails if one differs (tools/gen-contract --check).
CONTRACT_OUT := tools/pshim_contract.h tests/guest/pshim_contract.h python/pasid_shim/_contract.py
$(CONTRACT_OUT) &: tools/contract.py tools/gen-contract VERSION include/uapi/linux/pasid_shim.h
	tools/gen-contract
contract:
	tools/gen-contract

# RPMs for the RHEL family (rpm/pasid-shim.spec) from the checkout's
# tracked files, into RPM_TOPDIR/RPMS and SRPMS; RPMBUILD_FLAGS adds
# rpmbuild options (--define ..., --nodeps).
RPM_TOPDIR ?= $(CURDIR)/build/rpm
rpm:
	rm -rf $(RPM_TOPDIR)
	mkdir -p $(RPM_TOPDIR)/SOURCES
	git ls-files -z | tar --null -T - --transform 's,^,pasid-shim-$(DKMS_VERSION)/,' \
		-czf $(RPM_TOPDIR)/SOURCES/pasid-shim-$(DKMS_VERSION).tar.gz
	rpmbuild -ba --define '_topdir $(RPM_TOPDIR)' $(RPMBUILD_FLAGS) rpm/pasid-shim.spec

# What the target kernel offers; rerun when a probe changes. Under DKMS
# the probes already ran for this kernel when dkms.conf was read, and
# PROBES_FROM names their header (scripts/dkms-probe).
$(OUT)/compat_probes.h: $(wildcard scripts/probes/*.c) scripts/probe
	@test -n "$(KREL)" || { echo "no kernel build tree at KDIR=$(KDIR)"; exit 1; }
	@if [ -f "$(PROBES_FROM)" ]; then echo "cp $(PROBES_FROM) $@"; \
		mkdir -p $(OUT) && cp $(PROBES_FROM) $@; \
	else echo "scripts/probe $(KDIR) $@"; scripts/probe $(KDIR) $@; fi

# What scripts/vm-run puts into a guest, kept per kernel release. The
# modules build with the kernel's own gcc (scripts/kmake: on the host,
# or in a Debian root that has it); the static test programs on the host.
guest-artifacts: $(GUEST_PROGS)
	+scripts/kmake $(KDIR) modules
	@mkdir -p $(OUT)
	cp pasid_shim.ko tests/helper/pasid_cap_helper.ko $(OUT)/
	cp tests/bench/pshim_bench.ko tests/detect/pshim_detect.ko $(OUT)/guest/

$(OUT)/guest/%: $(GUEST_BIN)/%
	@mkdir -p $(dir $@)
	ln -f $< $@

# A static test program from the sources $(1), written under a temporary
# name and renamed: another kernel's build linking the same program
# never takes a half-written one.
define guest_cc
	@mkdir -p $(dir $@)
	$(USER_CC) $(USER_CFLAGS) -Itools -o $@.tmp $(1) && mv -f $@.tmp $@
endef

$(GUEST_BIN)/%: tests/guest/%.c $(wildcard tests/guest/*.h) $(TOOL_SRCS) $(TOOL_HDRS) Makefile
	$(call guest_cc,$< tools/libpasidshim.c)

$(GUEST_BIN)/%: tests/guest/%.sh
	@mkdir -p $(dir $@)
	install -m 0755 $< $@

$(GUEST_BIN)/bench: tests/bench/bench.c $(wildcard tests/guest/*.h) $(TOOL_SRCS) $(TOOL_HDRS) Makefile
	$(call guest_cc,$< tools/libpasidshim.c)

$(GUEST_BIN)/pasidctl: $(TOOL_SRCS) $(TOOL_HDRS) Makefile
	$(call guest_cc,$(TOOL_SRCS))

# pasidctl for this machine, linked against libpasidshim.so.0 (both
# built here; run it from the tree with LD_LIBRARY_PATH=tools), and
# their installation: the library with its version script, the headers
# under $(PREFIX)/include/pasid-shim (so <linux/pasid_shim.h> never
# meets linux-libc-dev's include directory), pkg-config, the man page.
LIB_VERSION := $(VERSION)
LIBDIR ?= $(PREFIX)/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
TOOL_CFLAGS := -O2 -g -Wall -Wextra -Werror -Iinclude/uapi -Itools -DPSHIM_VERSION='"$(VERSION)"'

tools: tools/pasidctl tools/pasid-shim.pc tools/pasidctl.bash-completion

tools/libpasidshim.so.$(LIB_VERSION): tools/libpasidshim.c tools/libpasidshim.map $(TOOL_HDRS)
	$(USER_CC) $(TOOL_CFLAGS) -fPIC $(CFLAGS) -shared -Wl,-soname,libpasidshim.so.0 \
		-Wl,--version-script,tools/libpasidshim.map -Wl,-z,defs $(LDFLAGS) -o $@ $<
	ln -sf libpasidshim.so.$(LIB_VERSION) tools/libpasidshim.so.0
	ln -sf libpasidshim.so.0 tools/libpasidshim.so

tools/pasidctl: tools/pasidctl.c tools/libpasidshim.so.$(LIB_VERSION) $(TOOL_HDRS)
	$(USER_CC) $(TOOL_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tools/pasidctl.c -Ltools -lpasidshim

# The bash completion: pasidctl prints it from its own command table.
tools/pasidctl.bash-completion: tools/pasidctl
	LD_LIBRARY_PATH=tools tools/pasidctl completion bash >$@

tools/pasid-shim.pc: tools/pasid-shim.pc.in VERSION
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' $< >$@

install: tools
	install -D -m 0755 tools/pasidctl $(DESTDIR)$(PREFIX)/sbin/pasidctl
	install -D -m 0644 tools/pasidctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/pasidctl.8
	install -D -m 0644 tools/pasidctl.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/pasidctl
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
# TORTURE_FSTS; then the scale test with SCALE_MAPPINGS one-page
# mappings (make check runs 2^21) on the same kernel.
TORTURE_ROUNDS ?= 300
SCALE_MAPPINGS ?= 8388608
torture:
	scripts/vm-run --tap --timeout 14400 $(if $(TORTURE_KVER),--kernel $(TORTURE_KVER)) \
		--fsts $(or $(TORTURE_FSTS),off) -- ./t_torture $(TORTURE_ROUNDS) $(TORTURE_SEED)
	$(MAKE) scale SCALE_MAPPINGS=$(SCALE_MAPPINGS) SCALE_KVER=$(TORTURE_KVER)

# Millions of mappings torn down, the longest stretch without a
# reschedule, and the per-file limits (tests/guest/scale.c).
scale:
	scripts/vm-run --tap --timeout 3600 --mem 4G $(if $(SCALE_KVER),--kernel $(SCALE_KVER)) \
		--append "watchdog_thresh=2 preempt=none" -- ./scale $(SCALE_MAPPINGS)

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
clean: clean-module
	rm -rf $(OUT)
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/helper clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/bench clean 2>/dev/null || true
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/detect clean 2>/dev/null || true

distclean: clean
	rm -rf build
