# shellcheck shell=bash
# Common helpers for pasid-shim's scripts: cache location, logging,
# apt mirror discovery. Sourced, never run.

PSHIM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything downloaded or built once (kernels, the trixie root with
# QEMU 11, busybox initramfs bases) lives outside the checkout, so a
# fresh clone on the same machine reuses it.
PSHIM_CACHE=${PSHIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pasid-shim}
PSHIM_ROOT=${PSHIM_ROOT:-$PSHIM_CACHE/trixie-root}

log() { printf '[%s] %s\n' "${PSHIM_STEP:-pasid-shim}" "$*" >&2; }
die() {
	printf '[%s] FAILED: %s\n' "${PSHIM_STEP:-pasid-shim}" "$*" >&2
	exit 1
}

# The URI of the Debian archive the host already uses (deb822 .sources
# or one-line sources.list), for suites the host does not list itself.
# Never written into the tree: read from the machine each time.
apt_mirror_uri() {
	local f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk '
			/^[[:space:]]*$/ { if (u != "" && s ~ /(^| )bookworm( |$)/) { print u; exit } u = ""; s = "" }
			/^URIs:/ { u = $2 }
			/^Suites:/ { $1 = ""; s = $0 " " }
			END { if (u != "" && s ~ /(^| )bookworm( |$)/) print u }' "$f" | head -n 1)
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $0 ~ / bookworm / {
			for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "no Debian archive URI for bookworm in /etc/apt/sources*; configure apt first"
	printf '%s\n' "${uri%/}"
}

# Install host packages that are missing, never upgrading what is there.
need_host_pkgs() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing host packages: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
	if [ ! -f "$PSHIM_CACHE/.apt-updated" ] ||
		[ -n "$(find "$PSHIM_CACHE/.apt-updated" -mmin +720 2>/dev/null)" ]; then
		mkdir -p "$PSHIM_CACHE"
		apt-get update -q >/dev/null || die "apt-get update failed; check the network and /etc/apt/sources*"
		touch "$PSHIM_CACHE/.apt-updated"
	fi
	apt_install_new "${missing[@]}"
}

# apt-get install that adds packages but refuses to upgrade any already
# installed one (a newer systemd or libc dragged in would change the host).
apt_install_new() {
	local up
	up=$(apt-get -s install --no-install-recommends "$@" 2>&1 | sed -n 's/^Inst \([^ ]*\) \[.*/\1/p')
	[ -z "$up" ] || die "installing $* would upgrade $(echo $up): refusing; install them by hand if that is wanted"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"$@" </dev/null >/dev/null || die "apt-get install $* failed"
}

# Pick the KVM accelerator only on real hardware virtualisation; the
# shadow-paging kvm_pvm on these machines never boots a Debian kernel.
qemu_accel() {
	case "${PSHIM_ACCEL:-auto}" in
	kvm | tcg) echo "$PSHIM_ACCEL" ;;
	auto)
		if [ -e /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
			echo kvm
		else
			echo tcg
		fi
		;;
	*) die "PSHIM_ACCEL must be auto, kvm or tcg" ;;
	esac
}

# apt-get/apt-cache against one more Debian suite (bookworm-backports,
# trixie-backports, sid) through a private sources list and private
# lists under the cache: the host's own apt configuration and package
# state are never touched. usage: apt_suite SUITE apt-get|apt-cache ARGS
apt_suite() {
	local suite=$1 tool=$2 d
	shift 2
	d=$PSHIM_CACHE/apt/$suite
	if [ ! -f "$d/sources.list" ]; then
		mkdir -p "$d/lists/partial" "$d/archives/partial"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(apt_mirror_uri) $suite main" >"$d/sources.list"
	fi
	local opts=(-o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$d/lists" -o "Dir::Cache::Archives=$d/archives"
		-o "Dir::Cache::pkgcache=$d/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$d/srcpkgcache.bin"
		-o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false)
	if [ ! -f "$d/updated" ] || [ -n "$(find "$d/updated" -mmin +720 2>/dev/null)" ]; then
		apt-get "${opts[@]}" update -q >/dev/null ||
			die "apt-get update for $suite failed (network, or the archive's key)"
		touch "$d/updated"
	fi
	"$tool" "${opts[@]}" "$@"
}
