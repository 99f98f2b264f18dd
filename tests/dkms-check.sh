# shellcheck shell=bash
# The DKMS round trip on the host, sourced by tests/run-checks (uses its
# result() and skip()). Kernel headers are installed for real through apt, so
# DKMS's own header_postinst.d hook runs; their linux-image dependency
# is met by a test-only stand-in package, because a real image drags in
# initramfs-tools and udev, which would upgrade systemd on the host.
# Everything installed here is purged at the end.

dkms_stub_image() { # kver -> path of a .deb providing linux-image-kver
	local kver=$1 ver d
	ver=$(apt-cache show "linux-headers-$kver" | sed -n 's/^Version: //p' | head -n 1)
	d=$(mktemp -d)
	mkdir -p "$d/DEBIAN"
	cat >"$d/DEBIAN/control" <<CTL
Package: pasid-shim-test-image-$kver
Version: $ver
Architecture: all
Maintainer: pasid-shim tests <root@localhost>
Provides: linux-image-$kver (= $ver)
Description: test stand-in for linux-image-$kver
 Lets pasid-shim's DKMS check install real kernel headers on a host
 that must not install a kernel image.
CTL
	dpkg-deb -b "$d" "$d.deb" >/dev/null && rm -rf "$d" && echo "$d.deb"
}

dkms_headers_install() { # kver
	local stub
	stub=$(dkms_stub_image "$1") || return 1
	( apt_install_new "$stub" "linux-headers-$1" ) >/dev/null 2>"$dkms_log.err"
	local rc=$?
	rm -f "$stub"
	return $rc
}

dkms_purge() { # kver...
	local k pkgs=()
	for k in "$@"; do
		pkgs+=("pasid-shim-test-image-$k" "linux-headers-$k")
	done
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${pkgs[@]}" </dev/null >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get autoremove --purge -y -q </dev/null >/dev/null 2>&1
}

dkms_ko() { # kver -> installed module file, if any
	ls /lib/modules/"$1"/updates/dkms/pasid_shim.ko* 2>/dev/null | head -n 1
}

dkms_check() {
	local k1 k2 old ko ver signer
	dkms_log=$(mktemp)
	( need_host_pkgs dkms ) || { result notok "dkms installed without upgrading the host"; return; }
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$PSHIM_TOP/dkms.conf")
	k1=$(basename "$("$PSHIM_TOP/scripts/fetch-kernel")")
	k2=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{ sub("^linux-headers-", "", $1); print $1 }' | sort -V | grep -vx "$k1" | tail -n 1)
	old=$(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' |
		awk '{ sub("^linux-headers-", "", $1); print $1 }' | sort -V | tail -n 1)
	make -s -C "$PSHIM_TOP" dkms-remove >/dev/null 2>&1
	dkms_purge "$k1" "$k2"

	if dkms_headers_install "$k1"; then
		result ok "headers of $k1 installed with no upgrade on the host"
	else
		result notok "headers of $k1 installed"; sed 's/^/#   /' "$dkms_log.err" | tail -5
		return
	fi
	if make -C "$PSHIM_TOP" dkms-install >"$dkms_log" 2>&1 &&
		dkms status "pasid-shim/$ver" -k "$k1" | grep -q installed; then
		result ok "make dkms-install: dkms add, build and install for $k1"
	else
		result notok "make dkms-install for $k1"; tail -20 "$dkms_log" | sed 's/^/#   /'
	fi
	ko=$(dkms_ko "$k1")
	result "$([ -n "$ko" ] && echo ok || echo notok)" "module installed in /lib/modules/$k1/updates/dkms (${ko##*/})"
	if [ -x "/usr/lib/linux-kbuild-${k1%-amd64}/scripts/sign-file" ] ||
		[ -x "/usr/src/linux-headers-$k1/scripts/sign-file" ]; then
		signer=$(modinfo -F signer "$ko" 2>/dev/null)
		result "$([ -n "$signer" ] && echo ok || echo notok)" "DKMS signed it with its MOK key (signer: ${signer:-none})"
	else
		skip "DKMS's MOK signing: no sign-file in linux-kbuild or the headers of $k1"
	fi

	# A kernel upgrade: DKMS's own hook builds the module, no command from us.
	if [ -n "$k2" ] && dkms_headers_install "$k2"; then
		if dkms status "pasid-shim/$ver" -k "$k2" | grep -q installed && [ -n "$(dkms_ko "$k2")" ]; then
			result ok "installing the headers of $k2 built and installed the module through DKMS's hook"
		else
			result notok "DKMS's hook built the module for $k2"; dkms status | sed 's/^/#   /'
		fi
	else
		result notok "headers of a second 6.12 kernel (${k2:-none}) installed"
		sed 's/^/#   /' "$dkms_log.err" | tail -5
	fi

	# A kernel without the PASID API is skipped (exit 77), never failed,
	# so it never blocks an upgrade: the probes decide (dkms.conf), with
	# one line naming what is missing. Its headers cannot be installed
	# here without upgrading linux-libc-dev, so DKMS gets the unpacked
	# tree instead.
	local okdir rc lines
	if [ -n "$old" ] && okdir=$("$PSHIM_TOP/scripts/fetch-kernel" "$old"); then
		dkms build "pasid-shim/$ver" -k "$old" --kernelsourcedir "$okdir/build" >"$dkms_log" 2>&1
		rc=$?
		lines=$(grep -c 'lacks' "$dkms_log")
		result "$([ $rc -eq 77 ] && [ "$lines" -eq 1 ] && echo ok || echo notok)" \
			"dkms build for $old is skipped with exit 77 by the probes, in $lines line: $(grep -m1 'lacks' "$dkms_log") (rc $rc)"
		[ $rc -eq 77 ] || tail -5 "$dkms_log" | sed 's/^/#   /'
		# What the kernel's and its headers' postinst run: dkms 3.0's
		# autoinstall fails (exit 11) over a skipped module unless
		# dkms.conf keeps it out (dkms.conf, AUTOINSTALL). A scratch
		# module tree holds the kernel's build link (--kernelsourcedir
		# would stand for every kernel DKMS reads dkms.conf for).
		local tree
		tree=$(mktemp -d)
		mkdir "$tree/$old" && ln -s "$okdir/build" "$tree/$old/build"
		dkms autoinstall -k "$old" --installtree "$tree" >"$dkms_log" 2>&1
		rc=$?
		rm -rf "$tree"
		lines=$(grep -c 'lacks' "$dkms_log")
		result "$([ $rc -eq 0 ] && [ "$lines" -eq 1 ] && echo ok || echo notok)" \
			"dkms autoinstall for $old (a kernel upgrade's hook) passes over the module: rc $rc, $lines line naming the API"
		[ $rc -eq 0 ] || tail -5 "$dkms_log" | sed 's/^/#   /'
	else
		result notok "bookworm 6.1 headers fetched for the DKMS skip check"
	fi

	# Kernels that build but do not boot in the rig (RHEL 9.6's tree):
	# DKMS builds them whatever their version string says, and installs
	# into a scratch module tree (they have no /lib/modules here).
	dkms_build_only "$ver"

	make -s -C "$PSHIM_TOP" dkms-remove >"$dkms_log" 2>&1
	local left
	left=$(ls -d /var/lib/dkms/pasid-shim /usr/src/pasid-shim-* /lib/modules/*/updates/dkms/pasid_shim.ko* 2>/dev/null)
	result "$([ -z "$left" ] && echo ok || echo notok)" "make dkms-remove leaves nothing behind${left:+: $left}"
	# The journey (make journey, below in make check) builds the same
	# packages and installs, upgrades and purges them on a Debian 12
	# system; here only when it is skipped.
	if [ -n "${PSHIM_NO_JOURNEY:-}" ]; then
		dkms_package_check "$k1" "$k2"
	else
		echo "# the packages: built, installed and purged by the journey below"
	fi
	dkms_purge "$k1" "$k2"
	rm -f "$dkms_log" "$dkms_log.err"
}

# The tarballs of PSHIM_EXTRA_KERNELS/build-only, unpacked by
# fetch-kernel (cached), one kernel directory per line.
build_only_kdirs() {
	local t
	for t in "${PSHIM_EXTRA_KERNELS:-/nonexistent}"/build-only/*.tar.xz; do
		[ -f "$t" ] || continue
		"$PSHIM_TOP/scripts/fetch-kernel" "file:$t" || echo "FAILED:$t"
	done
}

# What is missing when a check on build-only kernels cannot run.
build_only_missing() {
	if [ -z "${PSHIM_EXTRA_KERNELS:-}" ]; then
		echo "PSHIM_EXTRA_KERNELS is not set"
	else
		echo "no $PSHIM_EXTRA_KERNELS/build-only/*.tar.xz"
	fi
}

# dkms build and install (into a scratch tree) of the added module for
# each build-only kernel; dkms remove takes it out again.
dkms_build_only() { # version
	local ver=$1 kdir kv rc ko kf tree
	local kdirs
	kdirs=$(build_only_kdirs)
	if [ -z "$kdirs" ]; then
		skip "DKMS on build-only kernels: $(build_only_missing)"
		return
	fi
	for kdir in $kdirs; do
		case $kdir in FAILED:*) result notok "build-only kernel ${kdir#FAILED:} unpacked"; continue ;; esac
		kv=$(basename "$kdir")
		tree=$(mktemp -d)
		mkdir "$tree/$kv"
		dkms build "pasid-shim/$ver" -k "$kv" --kernelsourcedir "$kdir/build" >"$dkms_log" 2>&1 &&
			dkms install "pasid-shim/$ver" -k "$kv" --kernelsourcedir "$kdir/build" \
				--installtree "$tree" --no-depmod >>"$dkms_log" 2>&1
		rc=$?
		ko=$(find "$tree/$kv" -name 'pasid_shim.ko*' | head -n 1)
		kf=$(modinfo -F kernel_features "$ko" 2>/dev/null)
		result "$([ $rc -eq 0 ] && [ -n "$kf" ] && echo ok || echo notok)" \
			"dkms build and install for $kv (build only): ${ko:+${ko#"$tree/"}, }kernel_features: ${kf:-none} (rc $rc)"
		[ $rc -eq 0 ] || tail -8 "$dkms_log" | sed 's/^/#   /'
		dkms remove "pasid-shim/$ver" -k "$kv" --kernelsourcedir "$kdir/build" \
			--installtree "$tree" --no-depmod >>"$dkms_log" 2>&1
		rm -rf "$tree"
	done
}

# The Debian packages, built from the tree and installed on the host
# while the headers of two kernels are there.
dkms_package_check() { # kver...
	local tmp k ok=ok
	( need_host_pkgs debhelper dh-dkms ) >/dev/null 2>&1 ||
		{ result notok "debhelper and dh-dkms installed"; return; }
	tmp=$(mktemp -d)
	mkdir "$tmp/src"
	(cd "$PSHIM_TOP" && git ls-files -z 2>/dev/null | xargs -0 cp --parents -t "$tmp/src") ||
		cp -r "$PSHIM_TOP"/. "$tmp/src"
	if (cd "$tmp/src" && dpkg-buildpackage -us -uc -b) >"$dkms_log" 2>&1; then
		result ok "dpkg-buildpackage -us -uc -b builds $(cd "$tmp" && echo *.deb)"
	else
		result notok "dpkg-buildpackage -us -uc -b"; tail -15 "$dkms_log" | sed 's/^/#   /'
		rm -rf "$tmp"
		return
	fi
	if ( apt_install_new "$tmp"/pasid-shim-dkms_*_all.deb "$tmp"/pasidctl_*_amd64.deb \
		"$tmp"/libpasidshim0_*_amd64.deb ) >"$dkms_log" 2>&1; then
		for k in "$@"; do
			dkms status pasid-shim -k "$k" | grep -q installed || ok=notok
		done
		result $ok "installing pasid-shim-dkms built the module for $* through DKMS"
		/usr/sbin/pasidctl --help | grep -q '^usage: pasidctl' && man -w pasidctl >/dev/null 2>&1 &&
			result ok "pasidctl installed in /usr/sbin with its man page" ||
			result notok "pasidctl installed with its man page"
	else
		result notok "installing the packages"; tail -10 "$dkms_log" | sed 's/^/#   /'
	fi
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q pasid-shim-dkms pasidctl libpasidshim0 </dev/null >/dev/null 2>&1
	left=$(ls -d /var/lib/dkms/pasid-shim /usr/src/pasid-shim-* /usr/sbin/pasidctl \
		/usr/lib/*/libpasidshim.so* /lib/modules/*/updates/dkms/pasid_shim.ko* 2>/dev/null)
	result "$([ -z "$left" ] && echo ok || echo notok)" "purging the packages leaves nothing behind${left:+: $left}"
	rm -rf "$tmp"
}
