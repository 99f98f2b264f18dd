#!/bin/sh
# pasidctl in the guest: a script fed step by step on one open file,
# with the host checking the hardware between steps; JSON output; the
# errno messages and exit statuses; usage errors; check against the
# emulated VT-d's registers and sysfs; hold, with the host reading the
# held PASID's translation; status; JSON errors.
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
	grep -q '/tmp/s2:4: attach pasid 7 on dev 1: Device or resource busy (EBUSY: the PASID has a domain already' /tmp/s2.err
expect "the script stops at the failing line" grep -q 'stopped at /tmp/s2:4' /tmp/s2.err
expect "and did not run the next one" sh -c '! grep -q detached /tmp/s2.out'
./pasidctl detach 1 5 2>/tmp/e.err
expect "a lone detach on a fresh file: exit 1, ENOENT" sh -c "[ $? -eq 1 ] && grep -q ENOENT /tmp/e.err"
./pasidctl bind 0000:ff:00.0 2>/tmp/e.err
expect "bind of a missing device: ENODEV, no such PCI device" grep -q 'ENODEV: no such PCI device' /tmp/e.err

# JSON mode: stdout carries JSON only, refusals and usage errors included.
./pasidctl -j detach 1 5 >/tmp/j.out 2>/tmp/j.err
rc=$?
expect "-j detach on a fresh file: exit 1 ($rc), one JSON error, nothing on stderr" \
	sh -c "[ $rc -eq 1 ] && [ ! -s /tmp/j.err ] && [ \$(wc -l </tmp/j.out) -eq 1 ] &&
		grep -q '^{\"cmd\":\"detach\",\"error\":\"ENOENT\",\"errno\":2,\"message\":\"detach pasid 5 on dev 1: No such file or directory\",\"meaning\":\"the PASID has no domain; no object with that ID' /tmp/j.out"
./pasidctl bind 0000:ff:00.0 --json >/tmp/j.out 2>/tmp/j.err
expect "bind --json of a missing device: the JSON error says ENODEV and its meaning" \
	sh -c "[ ! -s /tmp/j.err ] && grep -q '\"cmd\":\"bind\",\"error\":\"ENODEV\".*\"meaning\":\"no such PCI device' /tmp/j.out"
./pasidctl -j attach 1 x 2 >/tmp/j.out 2>/tmp/j.err
rc=$?
expect "-j attach 1 x 2: exit 2 ($rc), the usage error in JSON naming PASID" \
	sh -c "[ $rc -eq 2 ] && [ ! -s /tmp/j.err ] &&
		grep -q '^{\"cmd\":\"attach\",\"error\":\"usage\",\"message\":\"attach: PASID .x. is not a number\",\"usage\":\"pasidctl attach DEV PASID DOMAIN\"}\$' /tmp/j.out"

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
./pasidctl -V | grep -q "^pasidctl .* module $(cat /sys/module/pasid_shim/version) loaded)" &&
	ok "-V: $(./pasidctl -V)" || notok "-V: $(./pasidctl -V 2>&1)"

# --- check: every field, against sysfs and the emulated VT-d ---------------
jget() { # key file: the value of "key" in a one-line JSON object
	sed -nE "s/.*\"$1\":(\"[^\"]*\"|\[[^]]*\]|[^,}]*).*/\1/p" "$2" | head -n 1
}
drv=$(basename "$(readlink /sys/bus/pci/devices/$PSHIM_DEV/driver)")
./pasidctl -j check "$PSHIM_DEV" >/tmp/c.json 2>/tmp/c.err
rc=$?
expect "-j check $PSHIM_DEV: exit 0 ($rc), ready, nothing missing" \
	sh -c "[ $rc -eq 0 ] && [ ! -s /tmp/c.err ] && grep -q '\"ready\":true' /tmp/c.json &&
		grep -q '\"missing\":0,' /tmp/c.json"
for kv in iommu='"intel-vtd"' iommu_usable=true scalable=true pasid_cap=true pasid_enabled=true \
	pasid_exec=false pasid_priv=false dev_pasid_width=20 max_pasid_log2=20 ats=false \
	pri=false paging_pasid=true group_devices=1 group="[\"$PSHIM_DEV\"]" driver="\"$drv\"" \
	driver_managed_dma=false bind_error='""'; do
	k=${kv%%=*} want=${kv#*=}
	got=$(jget "$k" /tmp/c.json)
	expect "check reports $k $got (expected $want: sysfs, QEMU's nvme with the test's PASID capability)" \
		[ "$got" = "$want" ]
done
cap=$(jget vtd_cap /tmp/c.json) ecap=$(jget vtd_ecap /tmp/c.json)
hw "\"check\":\"vtd_regs\",\"cap\":$cap,\"ecap\":$ecap,\"scalable\":true,\"desc\":\"pasidctl: check's VT-d CAP and ECAP are the emulated unit's registers\""
./pasidctl check "$PSHIM_DEV" >/tmp/c.txt 2>&1
rc=$?
for line in "$PSHIM_DEV: a shared bind would succeed" "  IOMMU             Intel VT-d, usable here" \
	"  scalable mode     yes" "  PASID capability  yes, enabled, 20 bits; EXEC no, PRIV no" \
	"  PASIDs given      20 bits: 1..1048575" "  ATS, PRI          no, no" \
	"  IOMMU group       1 device (alone): $PSHIM_DEV" "  driver            $drv" \
	"  DMA owner         the kernel's DMA API, for its driver" \
	"  VT-d CAP, ECAP    $(printf '0x%016x, 0x%016x' "$cap" "$ecap")"; do
	expect "check (text) says '$line'" grep -qxF "$line" /tmp/c.txt
done
expect "check (text) exits 0 ($rc) and lists nothing missing" sh -c "[ $rc -eq 0 ] && ! grep -q '^missing:' /tmp/c.txt"
./pasidctl check "$PSHIM_DEV" --exclusive >/tmp/c.txt 2>&1
rc=$?
expect "check --exclusive with nvme bound: exit 1 ($rc), no_driver (EBUSY) with the unbind fix" \
	sh -c "[ $rc -eq 1 ] && grep -q '^  no_driver (EBUSY): exclusive: a driver is bound to the device' /tmp/c.txt &&
		grep -q '^      fix: unbind it first: echo DEV > /sys/bus/pci/devices/DEV/driver/unbind' /tmp/c.txt"
port=$(basename "$(dirname "$(readlink -f /sys/bus/pci/devices/$PSHIM_DEV)")")
./pasidctl -j check "$port" >/tmp/c.json 2>&1
rc=$?
expect "-j check of the root port $port: exit 1 ($rc), bind would fail with EOPNOTSUPP" \
	sh -c "[ $rc -eq 1 ] && grep -q '\"ready\":false,\"bind_error\":\"EOPNOTSUPP\"' /tmp/c.json"
for m in '"name":"pasids","bit":16,"errno":"EOPNOTSUPP"' '"name":"not_bridge","bit":32,"errno":"EXDEV","why":"the device is a bridge","fix":"bind the endpoint below it"' \
	'"name":"pasid_cap","bit":65536,"errno":"","why":"the device has no PCIe PASID capability"'; do
	expect "check of the root port lists $m" grep -qF "$m" /tmp/c.json
done
if [ -n "$PSHIM_MF0" ]; then
	./pasidctl check "$PSHIM_MF0" >/tmp/c.txt 2>&1
	expect "check of $PSHIM_MF0: its group of 2, group_alone (EXDEV) with the ACS fix" \
		sh -c "grep -q '^  IOMMU group       2 devices: ' /tmp/c.txt &&
			grep -q '^  group_alone (EXDEV): the device shares its IOMMU group' /tmp/c.txt &&
			grep -q 'fix: a slot of its own behind a port with ACS' /tmp/c.txt"
else
	notok "PSHIM_MF0 is set"
fi
./pasidctl check 0000:ff:1f.7 2>/tmp/c.err
expect "check of no such device: exit 1, ENODEV" sh -c "[ $? -eq 1 ] && grep -q 'ENODEV: no such PCI device' /tmp/c.err"

# --- hold: the objects stay while another process (the host) reads them -----
printf 'dev = bind %s\nA = domain-alloc $dev\nmap $A 0x100000 64K --pattern 0x5a\nattach $dev 5 $A\n' \
	"$PSHIM_DEV" >/tmp/h1
holding() { # file: wait (10 s at most) for hold's first report
	i=0
	until grep -q '"state":"holding"\|^holding until' "$1" 2>/dev/null || [ $i -ge 500 ]; do
		usleep 20000
		i=$((i + 1))
	done
	grep -q '"state":"holding"\|^holding until' "$1"
}
./pasidctl -j hold /tmp/h1 >/tmp/h1.out 2>/tmp/h1.err &
hpid=$!
expect "hold -j: the script ran and it holds" holding /tmp/h1.out
expect "hold -j reports what it holds: dev, PASID 5 on domain A, A's 64K at 0x100000, the pid" \
	grep -q "^{\"cmd\":\"hold\",\"state\":\"holding\",\"pid\":$hpid,\"signals\":\[\"INT\",\"TERM\",\"HUP\"\],\"devices\":\[{\"dev_id\":1,\"pci_name\":\"$PSHIM_DEV\",\"exclusive\":false,\"max_pasid\":1048576,\"state\":\"live\",\"name\":\"dev\",\"attached\":\[{\"pasid\":5,\"domain_id\":2}\]}\],\"domains\":\[{\"domain_id\":2,\"dev_id\":1,\"name\":\"A\",\"mappings\":\[{\"iova\":1048576,\"size\":65536,\"count\":1}\]}\],\"pasids\":\[\]}" /tmp/h1.out
translate "while held, the host reads PASID 5's translation: 0x100000 maps the 0x5a pattern" \
	5 1048576 5a5a5a5a5a5a5a5a
translate "while held, 0x100000 + 60K maps it too" 5 1110016 5a5a5a5a5a5a5a5a
expect "hold dropped every capability but CAP_IPC_LOCK after open" \
	grep -q '^CapEff:[[:space:]]*0000000000004000$' /proc/$hpid/status
./pasidctl status >/tmp/st.txt 2>&1
expect "status (text) while held: 1 device, $PSHIM_DEV shared live, pasid 5 -> domain 2" \
	sh -c "grep -q '^1 device bound, 1 domain, 1 PASID attached, 16 pages pinned' /tmp/st.txt &&
		grep -qx '$PSHIM_DEV shared live' /tmp/st.txt && grep -qx '  pasid 5 -> domain 2' /tmp/st.txt"
./pasidctl -j status >/tmp/st.json 2>&1
expect "status -j while held" grep -qx "{\"cmd\":\"status\",\"stats\":{\"devices\":1,\"domains\":1,\"attachments\":1,\"pinned_pages\":16,\"pasids\":0},\"devices\":\[{\"pci_name\":\"$PSHIM_DEV\",\"mode\":\"shared\",\"state\":\"live\",\"attached\":\[{\"pasid\":5,\"domain_id\":2}\]}\]}" /tmp/st.json
kill -TERM $hpid
wait $hpid
rc=$?
expect "SIGTERM: hold releases and exits 0 ($rc)" sh -c "[ $rc -eq 0 ] && [ ! -s /tmp/h1.err ] &&
	grep -qx '{\"cmd\":\"hold\",\"state\":\"released\",\"signal\":\"TERM\"}' /tmp/h1.out"
hw "\"check\":\"pasid\",\"dev\":\"$PSHIM_DEV\",\"pasid\":5,\"present\":false,\"desc\":\"pasidctl: after SIGTERM the hardware has no entry for PASID 5\""
translate "after SIGTERM PASID 5 translates nothing" 5 1048576 ""

# The same in text, ended by SIGINT (which sh ignores in background jobs:
# hold waits for it with sigwaitinfo, so it ends all the same).
./pasidctl hold /tmp/h1 >/tmp/h2.out 2>&1 &
hpid=$!
expect "hold (text): it holds" holding /tmp/h2.out
for line in "holding until SIGINT or SIGTERM or SIGHUP (pid $hpid):" \
	"  dev 1 (\$dev): $PSHIM_DEV shared, 1 PASID attached" "    pasid 5 -> domain 2" \
	"  domain 2 (\$A) of dev 1" "    0x10000 bytes at iova 0x100000"; do
	expect "hold (text) says '$line'" grep -qxF "$line" /tmp/h2.out
done
translate "while held (text), PASID 5 maps the pattern" 5 1048576 5a5a5a5a5a5a5a5a
kill -INT $hpid
wait $hpid
rc=$?
expect "SIGINT: hold releases and exits 0 ($rc)" sh -c "[ $rc -eq 0 ] && grep -qx 'released on SIGINT' /tmp/h2.out"
hw "\"check\":\"pasid\",\"dev\":\"$PSHIM_DEV\",\"pasid\":5,\"present\":false,\"desc\":\"pasidctl: after SIGINT the hardware has no entry for PASID 5\""

# hold as a line of a script: the script goes on after the signal.
printf 'dev = bind %s\nA = domain-alloc $dev\nattach $dev 6 $A\nhold\ndetach $dev 6\necho after\n' \
	"$PSHIM_DEV" >/tmp/h3
./pasidctl script /tmp/h3 >/tmp/h3.out 2>&1 &
hpid=$!
expect "hold in a script: it holds" holding /tmp/h3.out
kill -TERM $hpid
wait $hpid
rc=$?
expect "hold in a script: after SIGTERM the script goes on (detach, echo) and exits 0 ($rc)" \
	sh -c "[ $rc -eq 0 ] && grep -qx 'pasid 6 of dev 1 detached' /tmp/h3.out && grep -qx after /tmp/h3.out"
./pasidctl status >/tmp/st.txt 2>&1
expect "status after every hold: no device bound" grep -qx 'no device bound' /tmp/st.txt
grep -q '^attachments 0$' /sys/kernel/debug/pasid_shim/stats &&
	grep -q '^pinned_pages 0$' /sys/kernel/debug/pasid_shim/stats &&
	ok "hold's exits undid everything (stats)" || notok "stats after hold: $(cat /sys/kernel/debug/pasid_shim/stats)"
echo "1..$results"
exit $fail
