#!/bin/sh
# The demo, as a user meets pasid-shim: one pasidctl script on one open
# file, fed a step at a time; after each step the host reads the
# emulated VT-d over QMP and prints what the hardware now holds.
# PASIDCTL names the pasidctl to run (default ./pasidctl, the busybox
# guest's; the journey runs the package's, and a setcap copy as a user),
# DEMO_SCOPE names its domains for the host (one scope per run in a boot).
PASIDCTL=${PASIDCTL:-./pasidctl}
d=$(mktemp -d)
mkfifo "$d/demo"
$PASIDCTL script "$d/demo" >"$d/demo.out" 2>&1 &
pid=$!
exec 3>"$d/demo"
n=0 shown=0 fail=0

step() { # pasidctl command; prints what pasidctl printed
	n=$((n + 1))
	printf '\n$ %s\n' "$1"
	printf '%s\necho @@step %d\n' "$1" $n >&3
	i=0
	until grep -q "^@@step $n\$" "$d/demo.out" || [ $i -ge 250 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	sed -n "$((shown + 1)),\$p" "$d/demo.out" | grep -v '^@@step' | sed 's/^/  /'
	shown=$(wc -l <"$d/demo.out")
	grep -q "^@@step $n\$" "$d/demo.out" || { echo "  (pasidctl stopped)"; fail=1; }
}
hw() { # the host checks; its verdict line is printed on the host side
	echo "@@PSHIM CHECK {$1}"
	read -r reply
	[ "$reply" = "@@PSHIM-RES ok" ] || fail=1
}
entry() { # pasid present? domain-name
	if [ "$2" = yes ]; then
		hw "\"check\":\"pasid\",\"dev\":\"$PSHIM_DEV\",\"pasid\":$1,\"present\":true,\"table\":\"$3\",\"scope\":\"${DEMO_SCOPE:-demo}\""
	else
		hw "\"check\":\"pasid\",\"dev\":\"$PSHIM_DEV\",\"pasid\":$1,\"present\":false"
	fi
}
sees() { # pasid pattern-byte-or-none
	if [ "$2" = none ]; then
		hw "\"check\":\"translate\",\"dev\":\"$PSHIM_DEV\",\"pasid\":$1,\"iova\":1048576"
	else
		hw "\"check\":\"translate\",\"dev\":\"$PSHIM_DEV\",\"pasid\":$1,\"iova\":1048576,\"pattern\":\"$2$2$2$2$2$2$2$2\""
	fi
}

echo "pasid-shim demo on $PSHIM_DEV (kernel $(uname -r))"
step "info"
step "dev = bind $PSHIM_DEV"
step 'A = domain-alloc $dev'
step 'B = domain-alloc $dev'
step 'map $A 0x100000 64K --pattern 0xaa'
step 'map $B 0x100000 64K --pattern 0xbb'
step 'attach $dev 1 $A'
entry 1 yes A
sees 1 aa
step 'attach $dev 2 $A'
entry 2 yes A
step 'attach $dev 1048575 $B'
entry 1048575 yes B
sees 1048575 bb
step 'list $dev'
step 'replace $dev 1 $B'
entry 1 yes B
sees 1 bb
step 'detach $dev 1'
entry 1 no
sees 1 none
step 'detach $dev 2'
step 'detach $dev 1048575'
entry 2 no
entry 1048575 no
step 'list $dev'
exec 3>&-
wait $pid || fail=1
rm -rf "$d"
echo
[ $fail -eq 0 ] && echo "demo: every step done and checked in the hardware" || echo "demo: FAILED"
exit $fail
