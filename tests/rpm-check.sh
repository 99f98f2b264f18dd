#!/bin/bash
# shellcheck shell=bash
# The RPMs for the RHEL family, on this Debian host. rpmbuild (Debian's
# rpm package) builds them from the tracked files (make rpm) with the
# macros RHEL 9 sets; their file lists and scriptlets are checked,
# rpmlint (Debian's rpmlint) must report nothing, and DKMS builds the
# module from dkms-pasid-shim's payload against RHEL 9's kernel tree
# (PSHIM_EXTRA_KERNELS), in scratch trees. No RHEL userland boots here,
# so rpm itself never installs them. Nothing is left on the host.
# Sourced by tests/run-checks (uses its result() and skip()), or run
# alone: tests/rpm-check.sh

# RHEL 9's macros where Debian's rpmbuild has other ones or none
# (tests/rpm-el9.macros); --nodeps: the rpm database of a Debian host
# holds none of the BuildRequires.
rpm_el9_flags() {
	echo "--nodeps --load $PSHIM_TOP/tests/rpm-el9.macros"
}

# Files each package must hold (rpm -qlp), beyond the DKMS payload.
rpm_expected_files() { # package version
	local v=$2 d=/usr/share/doc
	echo "/usr/share/licenses/$1 /usr/share/licenses/$1/LICENSE"
	case $1 in
	dkms-pasid-shim)
		echo "$d/dkms-pasid-shim $d/dkms-pasid-shim/README.md"
		echo "$d/dkms-pasid-shim/60-pasid-shim.rules.example"
		;;
	pasidctl)
		echo "/usr/sbin/pasidctl /usr/share/man/man8/pasidctl.8.gz"
		echo "/usr/share/bash-completion/completions/pasidctl"
		;;
	libpasidshim) echo "/usr/lib64/libpasidshim.so.0 /usr/lib64/libpasidshim.so.$v" ;;
	libpasidshim-devel)
		echo "/usr/include/pasid-shim /usr/include/pasid-shim/libpasidshim.h"
		echo "/usr/include/pasid-shim/linux /usr/include/pasid-shim/linux/pasid_shim.h"
		echo "/usr/lib64/libpasidshim.so /usr/lib64/pkgconfig/pasid-shim.pc"
		echo "$d/libpasidshim-devel $d/libpasidshim-devel/pasid-example.c"
		;;
	python3-pasid-shim)
		local py=/usr/lib/python3.9/site-packages/pasid_shim
		echo "$py $py/__init__.py $py/_contract.py $py/py.typed"
		echo "$d/python3-pasid-shim $d/python3-pasid-shim/test_pasid_shim.py"
		;;
	esac
}

# The kernel trees to build dkms-pasid-shim's payload against: every
# RHEL 9 tarball of PSHIM_EXTRA_KERNELS, bootable or build-only.
rpm_el9_kdirs() {
	local t
	for t in "${PSHIM_EXTRA_KERNELS:-/nonexistent}"/*.el9*.tar.xz \
		"${PSHIM_EXTRA_KERNELS:-/nonexistent}"/build-only/*.el9*.tar.xz; do
		[ -f "$t" ] || continue
		"$PSHIM_TOP/scripts/fetch-kernel" "file:$t" || echo "FAILED:$t"
	done
}

# Where DKMS and the packages could leave something on the host.
rpm_host_state() {
	ls -d /var/lib/dkms/pasid-shim* /usr/src/pasid-shim-* /lib/modules/*/*/pasid_shim.ko* \
		/lib/modules/*/*/*/pasid_shim.ko* 2>/dev/null
}

rpm_check() {
	local tmp log ver specver rpms p f want have missing extra kdirs kdir kv rc ko kf
	local before after post preun pc lint left
	( need_host_pkgs rpm rpmlint elfutils dkms ) >/dev/null 2>&1 ||
		{ result notok "rpm, rpmlint, elfutils and dkms installed without upgrading the host"; return; }
	tmp=$(mktemp -d)
	log=$tmp/log
	before=$(rpm_host_state)
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$PSHIM_TOP/dkms.conf")
	specver=$(awk '$1 == "Version:" { print $2 }' "$PSHIM_TOP/rpm/pasid-shim.spec")

	# rpmbuild from the tracked files of the checkout (a fresh clone in
	# CI), packed by make rpm; everything it makes lands in $tmp/top.
	if make -C "$PSHIM_TOP" rpm RPM_TOPDIR="$tmp/top" RPMBUILD_FLAGS="$(rpm_el9_flags)" >"$log" 2>&1; then
		rpms=$(cd "$tmp/top" && ls RPMS/*/*.rpm SRPMS/*.rpm)
		result "$([ "$specver" = "$ver" ] && echo ok || echo notok)" \
			"make rpm (rpmbuild -ba, RHEL 9 macros) builds $(echo "$rpms" | xargs -n1 basename | xargs) (spec $specver, dkms.conf $ver)"
	else
		result notok "make rpm (rpmbuild -ba)"
		tail -15 "$log" | sed 's/^/#   /'
		rm -rf "$tmp"
		return
	fi

	# File lists: every expected file, nothing else (but rpm's own
	# /usr/lib/.build-id links); the DKMS package holds exactly what make
	# dkms-source copies. The debuginfo package is rpmbuild's.
	(cd "$PSHIM_TOP" && make -s dkms-source DKMS_DEST="$tmp/payload") >/dev/null
	missing='' extra=''
	for p in dkms-pasid-shim pasidctl libpasidshim libpasidshim-devel python3-pasid-shim; do
		f=$(find "$tmp/top/RPMS" -name "$p-$ver-*.rpm" | head -n 1)
		if [ -z "$f" ]; then
			missing="$missing $p.rpm"
			continue
		fi
		want=$(rpm_expected_files "$p" "$ver" | tr ' ' '\n')
		[ "$p" != dkms-pasid-shim ] ||
			want="$want
$(cd "$tmp/payload" && find . -mindepth 0 | sed "s|^\.|/usr/src/pasid-shim-$ver|")"
		have=$(rpm -qlp "$f" 2>/dev/null | grep -v '^/usr/lib/\.build-id')
		missing="$missing $(comm -23 <(echo "$want" | sort -u) <(echo "$have" | sort -u) | xargs)"
		extra="$extra $(comm -13 <(echo "$want" | sort -u) <(echo "$have" | sort -u) | xargs)"
	done
	missing=$(echo "$missing" | xargs) extra=$(echo "$extra" | xargs)
	result "$([ -z "$missing$extra" ] && echo ok || echo notok)" \
		"rpm -qlp: the five packages hold their files and no others${missing:+; missing: $missing}${extra:+; unexpected: $extra}"

	# Scriptlets: DKMS adds and builds on install, removes on erase, and
	# no failure of it fails the rpm transaction.
	f=$(ls "$tmp"/top/RPMS/noarch/dkms-pasid-shim-*.rpm)
	post=$(rpm -qp --qf '%{POSTIN}' "$f") preun=$(rpm -qp --qf '%{PREUN}' "$f")
	# shellcheck disable=SC2016 # $kver is the scriptlet's own variable
	want='dkms install -m pasid-shim -v '"$ver"' -k "$kver" -q || :'
	if echo "$post" | grep -q "dkms add -m pasid-shim -v $ver .*|| :" &&
		echo "$post" | grep -qF "$want" &&
		echo "$preun" | grep -q "dkms remove -m pasid-shim -v $ver .*--all.*|| :" &&
		sh -n <<<"$post" && sh -n <<<"$preun"; then
		result ok "dkms-pasid-shim's %post runs dkms add and install per kernel, %preun dkms remove --all; sh -n clean"
	else
		result notok "dkms-pasid-shim's scriptlets"
		printf '%s\n---\n%s\n' "$post" "$preun" | sed 's/^/#   /'
	fi
	have=$(rpm -qp --requires "$tmp"/top/RPMS/*/pasidctl-*.rpm 2>/dev/null)
	pc=$(rpm2cpio "$tmp"/top/RPMS/*/libpasidshim-devel-*.rpm | cpio -i --to-stdout --quiet ./usr/lib64/pkgconfig/pasid-shim.pc)
	result "$(echo "$have" | grep -q '^libpasidshim.so.0()(64bit)' &&
		echo "$have" | grep -q "^libpasidshim(x86-64) = $ver-" &&
		echo "$pc" | grep -qx 'libdir=/usr/lib64' && echo ok || echo notok)" \
		"pasidctl requires libpasidshim.so.0 and libpasidshim of its release; pasid-shim.pc has libdir=/usr/lib64"

	# rpmlint over the spec, the binary and source packages: no error,
	# no warning, with the RHEL family's settings (rpm/rpmlint.toml).
	(cd "$tmp/top" && rpmlint -c "$PSHIM_TOP/rpm/rpmlint.toml" RPMS/*/*.rpm SRPMS/*.rpm \
		"$PSHIM_TOP/rpm/pasid-shim.spec") >"$log" 2>&1
	rc=$?
	lint=$(grep -E '^[^ ]+: [EW]: ' "$log")
	result "$([ $rc -eq 0 ] && [ -z "$lint" ] && echo ok || echo notok)" \
		"rpmlint $(rpmlint --version 2>/dev/null | head -n 1) -c rpm/rpmlint.toml:$(tail -n 1 "$log" | sed 's/;[^;]*taken.*//')"
	[ -z "$lint" ] || echo "$lint" | head -20 | sed 's/^/#   /'

	# DKMS from the DKMS package's payload, as the package's %post would
	# run it, but in scratch source, DKMS and module trees.
	kdirs=$(rpm_el9_kdirs)
	if [ -z "${PSHIM_EXTRA_KERNELS:-}" ]; then
		skip "DKMS build of dkms-pasid-shim's payload on a RHEL 9 tree: PSHIM_EXTRA_KERNELS is not set"
	elif [ -z "$kdirs" ]; then
		skip "DKMS build of dkms-pasid-shim's payload on a RHEL 9 tree: no *.el9*.tar.xz in $PSHIM_EXTRA_KERNELS or its build-only/"
	fi
	mkdir -p "$tmp/root"
	(cd "$tmp/root" && rpm2cpio "$f" | cpio -idm --quiet)
	for kdir in $kdirs; do
		case $kdir in FAILED:*) result notok "RHEL 9 kernel ${kdir#FAILED:} unpacked"; continue ;; esac
		kv=$(basename "$kdir")
		mkdir -p "$tmp/dkms" "$tmp/modules/$kv"
		local trees=(--sourcetree "$tmp/root/usr/src" --dkmstree "$tmp/dkms"
			--installtree "$tmp/modules" --kernelsourcedir "$kdir/build")
		dkms add "pasid-shim/$ver" "${trees[@]}" >"$log" 2>&1 &&
			dkms build "pasid-shim/$ver" -k "$kv" "${trees[@]}" >>"$log" 2>&1 &&
			dkms install "pasid-shim/$ver" -k "$kv" "${trees[@]}" --no-depmod >>"$log" 2>&1
		rc=$?
		ko=$(find "$tmp/modules/$kv" -name 'pasid_shim.ko*' | head -n 1)
		kf=$(modinfo -F kernel_features "$ko" 2>/dev/null)
		result "$([ $rc -eq 0 ] && [ -n "$kf" ] && echo ok || echo notok)" \
			"dkms add, build and install from dkms-pasid-shim's payload for $kv: kernel_features $kf"
		[ $rc -eq 0 ] || tail -10 "$log" | sed 's/^/#   /'
		dkms remove "pasid-shim/$ver" --all "${trees[@]}" --no-depmod >>"$log" 2>&1
		rc=$?
		left=$(find "$tmp/dkms" "$tmp/modules" -name '*pasid*')
		result "$([ $rc -eq 0 ] && [ -z "$left" ] && echo ok || echo notok)" \
			"dkms remove --all empties the scratch trees${left:+: $left}"
		rm -rf "$tmp/dkms" "$tmp/modules"
	done

	rm -rf "$tmp"
	after=$(rpm_host_state)
	result "$([ "$before" = "$after" ] && echo ok || echo notok)" \
		"the RPM check leaves nothing on the host${after:+ (host has: $after)}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	PSHIM_STEP=rpm-check
	. "$(dirname "$0")/../scripts/lib.sh"
	passed=0 failed=0 skipped=0 n=0
	result() {
		n=$((n + 1))
		if [ "$1" = ok ]; then passed=$((passed + 1)) && echo "ok $n - $2"; else failed=$((failed + 1)) && echo "not ok $n - $2"; fi
	}
	skip() { skipped=$((skipped + 1)) n=$((n + 1)); echo "ok $n - # SKIP $*"; }
	rpm_check
	echo "1..$n"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
fi
