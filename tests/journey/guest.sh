#!/bin/bash
# The user's journey inside the booted Debian 12 image, run by
# pshim-journey.service with its I/O on the serial line the host serves.
# /opt/pshim-test/stage says which boot this is:
#   install  the first kernel, right after `apt install ./*.deb`
#   upgrade  the second kernel, after `apt install linux-image-...`
# Commands of docs/install.md's Debian section are run through `run`, which
# prints them as "# $ CMD" (root) or "# alice$ CMD", exactly as the
# docs/install.md has them; the host compares that transcript with it.
# Anything else the test does is printed as "# (test) ...".
set -u
read -r t_start _ </proc/uptime
T=/opt/pshim-test
stty raw -echo
export PSHIM_TTY=/dev/ttyS1
read -r stage <"$T/stage"
read -r old new <"$T/kernels"
dev=0000:01:00.0  # docs/install.md's device: the first NVMe endpoint
fail=0

ok() { echo "ok - journey ($stage): $*"; }
notok() { echo "not ok - journey ($stage): $*"; fail=1; }
check() { # description command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
out=$(mktemp)
run() { # [--as USER] COMMAND: a docs/install.md command, as typed there
	local who=root rc
	if [ "$1" = --as ]; then
		who=$2
		shift 2
		echo "# $who\$ $1"
		runuser -l "$who" -c "$1" >"$out" 2>&1 </dev/null
	else
		echo "# \$ $1"
		bash -c "$1" >"$out" 2>&1 </dev/null
	fi
	rc=$?
	sed 's/^/#   /' "$out"
	return $rc
}
has() { grep -q -- "$1" "$out"; } # the last run's output has PATTERN
hw() { # json body: the host reads the emulated VT-d and decides
	echo "@@PSHIM CHECK {$1}"
	read -r reply
	[ "$reply" = "@@PSHIM-RES ok" ]
}
demo() { # who pasidctl scope
	local rc
	echo "# (test) demo.sh as $1 with $2"
	if [ "$1" = root ]; then
		PASIDCTL=$2 DEMO_SCOPE=$3 PSHIM_DEV=$dev sh "$T/demo.sh"
	else
		runuser -u "$1" -- env PASIDCTL="$2" DEMO_SCOPE="$3" PSHIM_DEV=$dev sh "$T/demo.sh"
	fi
	rc=$?
	[ $rc -eq 0 ] && ok "the demo as $1 with $2: every step done and checked in the hardware" ||
		notok "the demo as $1 with $2 (exit $rc)"
}

# --- test-only setup: the PASID capability, from a test-only path ---------
kver=$(uname -r)
want=$old
[ "$stage" = install ] || want=$new
check "booted $kver, the $( [ "$stage" = install ] && echo first || echo upgraded ) kernel ($want)" \
	test "$kver" = "$want"
echo "# (test) insmod $T/pasid_cap_helper-$kver.ko  (test-only: the endpoints' PASID capability)"
insmod "$T/pasid_cap_helper-$kver.ko" || notok "the test-only PASID capability helper loads"
# The helper removes and rescans the endpoints; nvme (in the initramfs)
# probes them again, asynchronously. A shared BIND needs it bound.
i=0
until [ -e "/sys/bus/pci/devices/$dev/driver" ] || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
first=
for d in /sys/bus/pci/devices/*; do   # as scripts/guest-init finds PSHIM_DEV
	[ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] || continue
	[ ! -e "${d%.*}.1" ] || continue   # not the multi-function slot
	first=${d##*/}
	break
done
check "the first PASID-capable NVMe endpoint is $dev (found ${first:-none})" test "$first" = "$dev"

if [ "$stage" = install ]; then
	# --- modprobe by name: the module DKMS built, made a node by udev -----
	run "modprobe pasid_shim"
	check "modprobe pasid_shim loads the module by name" test $? -eq 0
	run "modinfo -F filename pasid_shim"
	check "modinfo: the DKMS-built module, $(cat "$out")" grep -q "^/lib/modules/$kver/updates/dkms/pasid_shim.ko" "$out"
	signer=$(modinfo -F signer pasid_shim)
	check "the module is signed by DKMS's MOK key (signer: ${signer:-none})" test -n "$signer"
	# O: out of tree; E: its signature's key is not one the kernel
	# trusts (DKMS's MOK is not enrolled: no shim, no UEFI here).
	echo "# (test) taint flags of pasid_shim: $(cat /sys/module/pasid_shim/taint)"
	run "ls -l /dev/pasid-shim"
	check "udev made /dev/pasid-shim root-only: $(cat "$out")" has '^crw------- 1 root root'
	echo "# (test) udevadm info /dev/pasid-shim"
	udevadm info /dev/pasid-shim | sed 's/^/#   /'
	check "udev knows the node: $(udevadm info -q path -n /dev/pasid-shim)" \
		test "$(udevadm info -q path -n /dev/pasid-shim)" = /devices/virtual/misc/pasid-shim
	run "pasidctl info"
	check "pasidctl info: $(cat "$out")" has '^abi 2, '
	echo "# (test) ldd /usr/sbin/pasidctl: $(ldd /usr/sbin/pasidctl | grep -o 'libpasidshim.so.0 => [^ ]*')"
	check "pasidctl from the package links libpasidshim.so.0" \
		sh -c 'ldd /usr/sbin/pasidctl | grep -q "libpasidshim.so.0 => /lib/x86_64-linux-gnu/\|libpasidshim.so.0 => /usr/lib/x86_64-linux-gnu/"'
	demo root /usr/sbin/pasidctl root

	# --- a group of users, the udev rule, a setcap copy of pasidctl -------
	echo "# (test) useradd -m alice; useradd -m bob"
	useradd -m alice && useradd -m bob
	run "groupadd --system pasid"
	run "usermod -aG pasid alice"
	run "sed 's/^# KERNEL/KERNEL/' /usr/share/doc/pasid-shim-dkms/60-pasid-shim.rules.example >/etc/udev/rules.d/60-pasid-shim.rules"
	run "udevadm control --reload"
	run "udevadm trigger --settle /dev/pasid-shim"
	run "ls -l /dev/pasid-shim"
	check "with the example rule, udev gives the node to the group: $(cat "$out")" has '^crw-rw---- 1 root pasid'
	run "install -m 0750 -g pasid /usr/sbin/pasidctl /usr/local/bin/pasidctl-rawio"
	run "setcap cap_sys_rawio+ep /usr/local/bin/pasidctl-rawio"
	run --as alice "pasidctl-rawio info"
	check "alice (group pasid) with the setcap copy: $(cat "$out")" has '^abi 2, '
	run --as alice "/usr/sbin/pasidctl info"
	check "alice without the capability gets EPERM: $(cat "$out")" has 'EPERM'
	echo "# (test) bob (not in the group)\$ /usr/sbin/pasidctl info"
	runuser -l bob -c '/usr/sbin/pasidctl info' >"$out" 2>&1 </dev/null
	check "bob, not in the group, gets EACCES: $(cat "$out")" has 'EACCES'
	demo alice /usr/local/bin/pasidctl-rawio alice

	# --- C: the example from pasid-shim-dev, built with pkg-config --------
	cd "$(mktemp -d)" || exit 1
	run "cc /usr/share/doc/pasid-shim-dev/examples/pasid-example.c \$(pkg-config --cflags --libs pasid-shim) -o pasid-example"
	check "the C example builds with pkg-config's flags" test -x pasid-example
	echo "# \$ ./pasid-example $dev 5"
	coproc EX { ./pasid-example "$dev" 5 2>&1; }
	line=
	read -r -t 60 line <&"${EX[0]}"
	echo "#   $line"
	check "the C example attached PASID 5" test "${line#PASID 5 of $dev -> domain}" != "$line"
	hw "\"check\":\"pasid\",\"dev\":\"$dev\",\"pasid\":5,\"present\":true,\"desc\":\"C example\""
	hw "\"check\":\"translate\",\"dev\":\"$dev\",\"pasid\":5,\"iova\":1048576,\"pattern\":\"cdcdcdcdcdcdcdcd\",\"desc\":\"C example\""
	echo >&"${EX[1]}"
	wait "$EX_PID"
	check "the C example exits 0 after Enter" test $? -eq 0
	hw "\"check\":\"pasid\",\"dev\":\"$dev\",\"pasid\":5,\"present\":false,\"desc\":\"C example exited\""

	# --- Python: the pytest example from python3-pasid-shim ---------------
	run "cp /usr/share/doc/python3-pasid-shim/examples/test_pasid_shim.py ."
	run "PSHIM_DEV=$dev python3 -m pytest -v test_pasid_shim.py"
	rc=$?
	check "the pytest example passes: $(grep -E '^=+ .*(passed|failed)' "$out" | tr -d =)" test $rc -eq 0
	echo "# (test) python3 -m pytest -v $T/test_journey_hw.py  (hardware checks)"
	PSHIM_DEV=$dev python3 -m pytest -v -p no:cacheprovider "$T/test_journey_hw.py" >"$out" 2>&1 </dev/null
	rc=$?
	sed 's/^/#   /' "$out"
	check "pytest with hardware checks through python3-pasid-shim: $(grep -E '^=+ .*(passed|failed)' "$out" | tr -d =)" test $rc -eq 0
else
	# --- after the kernel upgrade: DKMS's hook built it, modprobe again ---
	run "modprobe pasid_shim"
	check "modprobe pasid_shim on the upgraded kernel" test $? -eq 0
	run "modinfo -F filename pasid_shim"
	check "modinfo: DKMS's build for the new kernel, $(cat "$out")" grep -q "^/lib/modules/$kver/updates/dkms/pasid_shim.ko" "$out"
	echo "# (test) ls /lib/modules/*/updates/dkms/"
	ls /lib/modules/*/updates/dkms/ | sed 's/^/#   /'
	check "DKMS's module is installed for both kernels" \
		sh -c "ls /lib/modules/$old/updates/dkms/pasid_shim.ko* /lib/modules/$new/updates/dkms/pasid_shim.ko*"
	demo root /usr/sbin/pasidctl root
	# udev applies the rule to the new node by itself, shortly after (it has
	# coldplug to finish first under TCG: the demo came first).
	i=0
	until ls -l /dev/pasid-shim | grep -q "^crw-rw---- 1 root pasid" || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "# (test) ls -l /dev/pasid-shim"
	ls -l /dev/pasid-shim | sed 's/^/#   /'
	check "the udev rule still applies after the upgrade" sh -c 'ls -l /dev/pasid-shim | grep -q "^crw-rw---- 1 root pasid"'
	echo "# (test) alice\$ pasidctl-rawio info"
	runuser -l alice -c 'pasidctl-rawio info' >"$out" 2>&1 </dev/null
	check "alice's setcap copy still works after the upgrade: $(cat "$out")" has '^abi 2, '
	run "modprobe -r pasid_shim"
	check "modprobe -r pasid_shim" test $? -eq 0
fi

rm -f "$out"
read -r up _ </proc/uptime
echo "# (test) guest.sh ran from ${t_start}s to ${up}s after the kernel started"
echo "@@PSHIM-EXIT $fail"
echo "@@PSHIM-TAINT $(cat /proc/sys/kernel/tainted)"
# The harness's power button: no service is stopped one by one (8 s
# under TCG), file systems are unmounted; minbase has no D-Bus, so
# systemctl goes through systemd's private socket.
systemctl --force poweroff 2>/dev/null
