#!/bin/sh
# pasidctl in the guest: a script fed step by step on one open file,
# with the host checking the hardware between steps; JSON output; the
# errno messages and exit statuses; usage errors.
fail=0 results=0 # results: this program's TAP lines and hardware checks, its plan
ok() { echo "ok - pasidctl: $*"; results=$((results + 1)); }
notok() { echo "not ok - pasidctl: $*"; fail=1; results=$((results + 1)); }
expect() { # description, condition...
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}
hw() { # json body; the host decides, counts and prints the result
	echo "@@PSHIM CHECK {$1}"
	results=$((results + 1))
	read -r reply
	[ "$reply" = "@@PSHIM-RES ok" ] || fail=1
}
translate() { # description pasid iova pattern-hex-or-empty
	if [ -n "$4" ]; then
		hw "\"check\":\"translate\",\"dev\":\"$PSHIM_DEV\",\"pasid\":$2,\"iova\":$3,\"pattern\":\"$4\",\"desc\":\"pasidctl: $1\""
	else
		hw "\"check\":\"translate\",\"dev\":\"$PSHIM_DEV\",\"pasid\":$2,\"iova\":$3,\"desc\":\"pasidctl: $1\""
	fi
}

# A script fed through a FIFO, one command at a time.
rm -f /tmp/ctl /tmp/ctl.out /tmp/ctl.err
mkfifo /tmp/ctl
./pasidctl --json script /tmp/ctl >/tmp/ctl.out 2>/tmp/ctl.err &
pid=$!
exec 3>/tmp/ctl
lines=0
# Feeds one line and waits for its output line, which lands in
# /tmp/step.last. Called directly, never in a pipeline: a pipeline would
# run it in a subshell, and the line count would not advance.
step() {
	echo "$1" >&3
	lines=$((lines + 1))
	i=0
	while [ "$(wc -l </tmp/ctl.out)" -lt $lines ] && [ $i -lt 500 ]; do
		usleep 20000
		i=$((i + 1))
	done
	tail -n 1 /tmp/ctl.out >/tmp/step.last
}
step "dev = bind $PSHIM_DEV"
	grep -q '"max_pasid":1048576' /tmp/step.last &&
	ok "bind prints JSON with max_pasid" || notok "bind JSON: $(tail -n 1 /tmp/ctl.out)"
step 'a = domain-alloc $dev'
step 'b = domain-alloc $dev'
step 'map $a 0x100000 64K --pattern 0x11'
	grep -q '"length":65536' /tmp/step.last &&
	ok "map 64K with pattern 0x11" || notok "map: $(tail -n 1 /tmp/ctl.out)"
step 'map $b 0x100000 64K --pattern 0x22 --read'
step 'attach $dev 5 $a'
step 'attach $dev 9 $b'
translate "pasid 5 translates to pattern 0x11" 5 1052672 1111111111111111
translate "pasid 9 translates to pattern 0x22" 9 1052672 2222222222222222
step 'list $dev'
	grep -q '"entries":\[{"pasid":5,"domain_id":2},{"pasid":9,"domain_id":3}\]' /tmp/step.last &&
	ok "list: pasids 5 and 9 in order" || notok "list: $(tail -n 1 /tmp/ctl.out)"
step 'replace $dev 5 $b'
	grep -q '"old_domain_id":2' /tmp/step.last &&
	ok "replace reports the old domain" || notok "replace: $(tail -n 1 /tmp/ctl.out)"
translate "after replace pasid 5 translates to pattern 0x22" 5 1052672 2222222222222222
step 'detach $dev 5'
translate "after detach pasid 5 does not translate" 5 1052672 ""
step 'unmap $b 0 1G'
	grep -q '"unmapped":65536' /tmp/step.last &&
	ok "unmap reports 64K" || notok "unmap: $(tail -n 1 /tmp/ctl.out)"
translate "after unmap pasid 9 does not translate" 9 1052672 ""
exec 3>&-
wait $pid
expect "script on a FIFO exits 0 at its end ($?)" [ $? -eq 0 ]
expect "no error output" [ ! -s /tmp/ctl.err ]
grep -q '^attachments 0$' /sys/kernel/debug/pasid_shim/stats &&
	grep -q '^pinned_pages 0$' /sys/kernel/debug/pasid_shim/stats &&
	ok "its exit undid everything (stats)" || notok "stats after exit: $(cat /sys/kernel/debug/pasid_shim/stats)"

# Refusals: exit 1, the errno name and its meaning here.
printf 'd = bind %s\nx = domain-alloc $d\nattach $d 7 $x\nattach $d 7 $x\ndetach $d 7\n' "$PSHIM_DEV" >/tmp/s2
./pasidctl script /tmp/s2 >/tmp/s2.out 2>/tmp/s2.err
rc=$?
expect "attach twice: exit 1 ($rc)" [ $rc -eq 1 ]
expect "attach twice: message names EBUSY and its meaning" \
	grep -q 'attach pasid 7 on dev 1: Device or resource busy (EBUSY: PASID already attached' /tmp/s2.err
expect "the script stops at the failing line" grep -q 'stopped at /tmp/s2:4' /tmp/s2.err
expect "and did not run the next one" sh -c '! grep -q detached /tmp/s2.out'
./pasidctl detach 1 5 2>/tmp/e.err
expect "a lone detach on a fresh file: exit 1, ENOENT" sh -c "[ $? -eq 1 ] && grep -q ENOENT /tmp/e.err"
./pasidctl bind 0000:ff:00.0 2>/tmp/e.err
expect "bind of a missing device: ENODEV, no such PCI device" grep -q 'ENODEV: no such PCI device' /tmp/e.err

# Usage errors: exit 2 with usage.
for args in "attach 1" "frob" "map 1 2" "detach x 1" "bind" "--nope info" "list 99999999999"; do
	./pasidctl $args >/dev/null 2>/tmp/u.err
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage:' /tmp/u.err; then
		ok "'pasidctl $args' prints usage, exit 2"
	else
		notok "'pasidctl $args': exit $rc"
	fi
done
./pasidctl info | grep -q '^abi 2, replace ' && ok "info" || notok "info: $(./pasidctl info 2>&1)"
echo "1..$results"
exit $fail
