#!/usr/bin/env python3
"""Boot the test guest under QEMU 11 and serve it.

Runs inside the trixie root (scripts/in-root). The guest's console
(ttyS0, kernel log) goes to RUN/console.log; its program I/O is ttyS1,
a socket here: ordinary lines are passed through (TAP lines are counted
and renumbered), and `@@PSHIM CHECK {json}` lines are hardware checks
this side answers by reading the emulated VT-d over QMP. The verdict of
a check is decided here, from the hardware, and counted here.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu.qmp.legacy import QEMUMonitorProtocol  # noqa: E402
import vtd  # noqa: E402

SPLAT = re.compile(r"WARNING:|BUG:|Oops|Call Trace|lockdep|KASAN|UBSAN|unreferenced object 0x|"
                   r"blocked for more than|Invalidation Queue Error|"
                   r"Invalidation Time-out Error|"
                   r"possible circular locking|DMAR: DRHD: handling fault|"
                   r"Kernel panic|general protection fault")

# Lines SPLAT matches that report no fault: a lockdep kernel's boot banner.
BENIGN = re.compile(r"RCU lockdep checking is enabled")


class Runner:
    def __init__(self, args):
        self.args = args
        self.tap = args.tap
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.n = args.tap_start
        self.exit_status = None
        self.tables = {}       # scope -> {domain name -> page table}
        self.out = sys.stdout

    # --- TAP -------------------------------------------------------------
    def result(self, ok, desc):
        self.n += 1
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        self.out.write("%s %d - %s\n" % ("ok" if ok else "not ok", self.n, desc))
        self.out.flush()

    def guest_line(self, line):
        m = re.match(r"(not ok|ok)\b(?:\s+\d+)?\s*(?:-\s*)?(.*)", line)
        if self.tap and m and re.search(r"#\s*SKIP\b", m.group(2), re.I):
            self.n += 1
            self.skipped += 1
            self.out.write("ok %d - guest: %s\n" % (self.n, m.group(2).strip()))
            self.out.flush()
        elif self.tap and m:
            self.result(m.group(1) == "ok", "guest: " + m.group(2))
        elif self.tap and re.match(r"1\.\.\d+", line):
            pass
        else:
            self.out.write(line + "\n")
            self.out.flush()

    # --- hardware checks -------------------------------------------------
    def check(self, req):
        kind = req.get("check")
        if kind == "pasid":
            return self.check_pasid(req)
        if kind == "translate":
            return self.check_translate(req)
        if kind == "pasid_set":
            return self.check_pasid_set(req)
        if kind == "device_del":
            self.qmp.cmd("device_del", id=req["id"])
            return True, "QMP device_del %s accepted" % req["id"]
        if kind == "device_deleted":
            return self.wait_deleted(req["id"])
        if kind == "device_add":
            self.qmp.cmd("device_add", driver="nvme", bus="rp0", serial="pshim0", id=req["id"])
            return True, "QMP device_add nvme %s accepted" % req["id"]
        return False, "unknown check %r" % kind

    def check_pasid_set(self, req):
        """The whole PASID table holds exactly the PASIDs the guest lists."""
        want = set(req["pasids"])
        have = self.vt.present_pasids(req["dev"])
        desc = "PASID table of %s holds %d entries" % (req["dev"], len(have))
        if have != want:
            extra = sorted(have - want)[:8]
            missing = sorted(want - have)[:8]
            return False, desc + ", expected %d: extra %s, missing %s" % (len(want), extra, missing)
        return True, desc + ", exactly the %d the shim lists" % len(want)

    def wait_deleted(self, dev_id):
        deadline = time.time() + 30
        while time.time() < deadline:
            ev = self.qmp.pull_event(wait=max(0.1, deadline - time.time()))
            if ev and ev.get("event") == "DEVICE_DELETED" and \
                    ev.get("data", {}).get("device") == dev_id:
                return True, "QEMU reports DEVICE_DELETED for %s" % dev_id
        return False, "no DEVICE_DELETED event for %s in 30 s" % dev_id

    def expected_pgtt(self):
        return 1 if self.args.fsts == "on" else 2

    def check_pasid(self, req):
        pe = self.vt.pasid_entry(req["dev"], req["pasid"])
        desc = "pasid %d of %s" % (req["pasid"], req["dev"])
        if not req["present"]:
            if pe["present"]:
                return False, desc + ": entry present, expected none"
            return True, desc + ": no entry (%s)" % pe["why"]
        if not pe["present"]:
            return False, desc + ": no entry (%s)" % pe["why"]
        pgtt = pe["pgtt"]
        if pgtt != self.expected_pgtt():
            return False, desc + ": PGTT %d, expected %d" % (pgtt, self.expected_pgtt())
        ptr = pe["flptr"] if pgtt == 1 else pe["slptr"]
        desc += ": present, %s, table 0x%x, DID %d" % (vtd.PGTT_NAMES[pgtt], ptr, pe["did"])
        name = req.get("table")
        if name is not None:
            # One name, one page table; two names of a scope, two tables.
            scope = self.tables.setdefault(req.get("scope", ""), {})
            if name in scope and scope[name] != ptr:
                return False, desc + ": domain %s was at 0x%x" % (name, scope[name])
            for other, optr in scope.items():
                if other != name and optr == ptr:
                    return False, desc + ": same table as domain %s" % other
            scope[name] = ptr
            desc += " (domain %s)" % name
        return True, desc

    def check_translate(self, req):
        desc = "pasid %d iova 0x%x of %s" % (req["pasid"], req["iova"], req["dev"])
        tr = self.vt.translate(req["dev"], req["pasid"], req["iova"])
        want = req.get("pattern")
        if want is None:
            if tr is not None:
                return False, desc + ": translates to 0x%x, expected no translation" % tr[0]
            return True, desc + ": does not translate"
        if tr is None:
            return False, desc + ": does not translate"
        gpa, writable = tr
        want = bytes.fromhex(want)
        got = self.vt.read_bytes(gpa, len(want))
        if got != want:
            return False, desc + ": gpa 0x%x holds %s, expected %s" % (gpa, got.hex(), want.hex())
        if "writable" in req and bool(req["writable"]) != writable:
            return False, desc + ": writable=%s, expected %s" % (writable, req["writable"])
        return True, desc + ": -> gpa 0x%x holds the pattern" % gpa

    # --- plumbing --------------------------------------------------------
    def qemu_cmd(self):
        a = self.args
        iommu = "intel-iommu,intremap=on,caching-mode=on,scalable-mode=on,pasid-bits=%d" % a.pasid_bits
        if a.fsts == "on":
            iommu += ",fsts=on"
        # A task blocked for 60 s is reported with its stack (a hang is
        # a failure with a trace, not a silent timeout).
        append = ("console=ttyS0 intel_iommu=on,sm_on iommu.strict=1 panic=-1 "
                  "sysctl.kernel.hung_task_timeout_secs=60 "
                  # TCG on a busy host can miss the IO-APIC timer check
                  # at boot, which panics with interrupt remapping on.
                  "no_timer_check "
                  "oops=panic panic_on_warn=1 loglevel=7 " + a.append)
        cmd = ["qemu-system-x86_64",
               "-M", "q35,kernel-irqchip=split", "-accel", a.accel,
               "-cpu", "max" if a.accel == "tcg" else "host",
               "-m", a.mem, "-smp", "2", "-display", "none", "-no-reboot",
               "-nodefaults", "-kernel", a.kernel, "-initrd", a.initrd,
               "-append", append,
               "-qmp", "unix:%s/qmp.sock,server=on,wait=off" % a.run_dir,
               "-chardev", "file,id=con,path=%s/console.log" % a.run_dir,
               "-serial", "chardev:con",
               "-chardev", "socket,id=io,path=%s/io.sock,server=on,wait=on" % a.run_dir,
               "-serial", "chardev:io",
               "-device", iommu,
               "-device", "pcie-root-port,id=rp0,chassis=1,bus=pcie.0",
               "-device", "nvme,bus=rp0,serial=pshim0,id=nvme0",
               "-device", "pcie-root-port,id=rp1,chassis=2,bus=pcie.0",
               "-device", "nvme,bus=rp1,serial=pshim1,id=nvme1",
               # Two functions in one slot, no ACS: one IOMMU group. Both
               # set the multi-function header bit, as real devices do, so
               # a rescanned function 1 joins function 0's group again.
               "-device", "pcie-root-port,id=rp2,chassis=3,bus=pcie.0",
               "-device", "nvme,bus=rp2,addr=0.0,multifunction=on,serial=pshimmf0,id=mf0",
               "-device", "nvme,bus=rp2,addr=0.1,multifunction=on,serial=pshimmf1,id=mf1"]
        if a.disk:
            # The journey's Debian image, booted with root=/dev/vda.
            cmd += ["-drive", "file=%s,format=raw,if=virtio,cache=unsafe" % a.disk]
        return cmd

    def connect(self, path, deadline):
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.time() > deadline or self.qemu.poll() is not None:
                    raise
                time.sleep(0.05)

    def run(self):
        a = self.args
        for f in ("console.log", "qmp.sock", "io.sock"):
            try:
                os.unlink(os.path.join(a.run_dir, f))
            except FileNotFoundError:
                pass
        qlog = open(os.path.join(a.run_dir, "qemu.log"), "w")
        self.qemu = subprocess.Popen(self.qemu_cmd(), stdin=subprocess.DEVNULL,
                                     stdout=qlog, stderr=subprocess.STDOUT)
        deadline = time.time() + a.timeout
        try:
            io = self.connect(os.path.join(a.run_dir, "io.sock"), time.time() + 30)
            self.qmp = QEMUMonitorProtocol(os.path.join(a.run_dir, "qmp.sock"))
            self.qmp.connect()
            self.vt = vtd.VTd(self.qmp, a.run_dir)
            self.serve(io, deadline)
        except OSError as e:
            self.out.write("# cannot talk to QEMU: %s\n" % e)
        finally:
            try:
                self.qemu.wait(timeout=max(1, min(20, deadline - time.time())))
            except subprocess.TimeoutExpired:
                self.out.write("# QEMU did not exit in time: killed\n")
                self.qemu.kill()
                self.qemu.wait()
        return self.finish()

    def serve(self, io, deadline):
        buf = b""
        io.settimeout(0.5)
        while time.time() < deadline:
            try:
                data = io.recv(65536)
            except socket.timeout:
                if self.qemu.poll() is not None:
                    break
                continue
            if not data:
                break
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if line.startswith("@@PSHIM CHECK "):
                    req = json.loads(line[len("@@PSHIM CHECK "):])
                    try:
                        ok, desc = self.check(req)
                    except (vtd.VTdError, KeyError, ValueError) as e:
                        ok, desc = False, "check %r failed: %s" % (req, e)
                    self.result(ok, "hw: " + (req.get("desc", "") + ": " if req.get("desc") else "") + desc)
                    io.sendall(("@@PSHIM-RES %s\n" % ("ok" if ok else "fail")).encode())
                elif line.startswith("@@PSHIM-EXIT "):
                    self.exit_status = int(line.split()[1])
                else:
                    self.guest_line(line)
        else:
            self.out.write("# guest timed out after %d s\n" % self.args.timeout)
            self.qemu.kill()

    def finish(self):
        a = self.args
        try:
            console = open(os.path.join(a.run_dir, "console.log"), errors="replace").read()
        except FileNotFoundError:
            console = ""
        splats = [line for line in console.splitlines()
                  if SPLAT.search(line) and not BENIGN.search(line)]
        powered_off = "reboot: Power down" in console
        if self.tap:
            self.result(self.exit_status == 0,
                        "guest program exited with status %s" % self.exit_status)
            self.result(not splats, "guest kernel log has no WARN/BUG/Oops/lockdep/DMAR fault line"
                        + "".join("\n#   " + s for s in splats[:20]))
            self.result(powered_off, "guest shut down cleanly")
        else:
            for s in splats:
                self.out.write("# kernel: %s\n" % s)
        if self.exit_status is None or splats or not powered_off:
            self.out.write("# console log: %s/console.log\n" % a.run_dir)
            tail = console.splitlines()[-15:]
            for t in tail:
                self.out.write("#   %s\n" % t)
        with open(os.path.join(a.run_dir, "result"), "w") as f:
            f.write("%d %d %d\n" % (self.passed, self.failed, self.skipped))
        if self.tap:
            return 0 if self.failed == 0 else 1
        if splats or self.failed:
            return 1
        return self.exit_status if self.exit_status is not None else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kernel", required=True)
    p.add_argument("--initrd", required=True)
    p.add_argument("--run-dir", required=True)
    p.add_argument("--accel", default="tcg")
    p.add_argument("--fsts", default="off", choices=("on", "off"))
    p.add_argument("--pasid-bits", type=int, default=20)
    p.add_argument("--mem", default="2G")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--append", default="")
    p.add_argument("--disk", help="raw disk image for a virtio-blk /dev/vda")
    p.add_argument("--tap", action="store_true")
    p.add_argument("--tap-start", type=int, default=int(os.environ.get("PSHIM_TAP_START", "0")))
    sys.exit(Runner(p.parse_args()).run())


if __name__ == "__main__":
    main()
