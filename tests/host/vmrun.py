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

# A kernel log line that fails the boot. Besides the generic headers
# (WARNING:, BUG: - which covers KASAN, KFENCE, soft lockups and sleeping
# in atomic context -, Oops, Call Trace), the reports that print neither:
# UBSAN, lockdep's own headers, kmemleak (after the scan before power-off),
# RCU stalls (an NMI backtrace of a CPU in user mode has no Call Trace),
# SLUB's "BUG cache (Tainted): ...", a hard lockup, list corruption, the
# VT-d invalidation queue's errors (dmar.c: IQE, ITE, ICE) and faults,
# and debugfs refusing a name it already has.
# lockdep's reports carry WARNING: or BUG: or INFO: headers (matched
# below); the bare word is no report: a PROVE_RCU kernel boots with
# "RCU lockdep checking is enabled".
SPLAT = re.compile(r"WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|"
                   r"turning off the locking correctness validator|"
                   r"blocked for more than|"
                   r"possible circular locking|possible recursive locking|"
                   r"inconsistent lock state|suspicious RCU usage|"
                   r"trying to register non-static key|"
                   r"kmemleak: \d+ new suspected memory leak|unreferenced object 0x|"
                   r"detected (expedited )?stalls? on|self-detected stall|"
                   r"BUG [^ ]+ \((Not tainted|Tainted)|hard LOCKUP|"
                   r"list_(add|del) corruption|"
                   r"Invalidation Queue Error|Invalidation Time-out Error|"
                   r"Invalidation Completion Error|"
                   r"DMAR: DRHD: handling fault|"
                   r"debugfs: (File|Directory) .* already present|"
                   r"Kernel panic|general protection fault")

# Taint flags (/proc/sys/kernel/tainted) every run of the rig has: O, an
# out-of-tree module (pasid_shim, the PASID capability helper, the bench
# module), and E, a module the kernel could not verify the signature of
# (the rig's are unsigned; DKMS's MOK key is not enrolled in the journey).
# Any other flag - W (a WARN), D (an Oops), B (bad page), L (soft
# lockup), P, F, R, C ... - fails the boot.
TAINT_EXPECTED = (1 << 12) | (1 << 13)
TAINT_LETTERS = "PFSRMBUDAWCIOELKXTN"


def taint_names(mask):
    return "".join(TAINT_LETTERS[i] if i < len(TAINT_LETTERS) else "(bit %d)" % i
                   for i in range(64) if mask >> i & 1)


def ram_ranges(mem):
    """Guest-physical RAM of a q35 machine with -m mem: below the PCI
    hole (2 GiB of it when there are 2.75 GiB or more), the rest at 4 GiB."""
    m = re.fullmatch(r"(\d+)([MG]?)", mem.upper())
    size = int(m.group(1)) << {"": 20, "M": 20, "G": 30}[m.group(2)]
    low = size if size < 0xB0000000 else 0x80000000
    return [(0, low), (1 << 32, (1 << 32) + size - low)]


class Runner:
    def __init__(self, args):
        self.args = args
        self.tap = args.tap
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.n = args.tap_start
        self.exit_status = None
        self.taint = None
        self.tables = {}       # scope -> {domain name -> page table}
        self.marks = {}        # name -> (device, PASID directory, entries)
        self.ram = ram_ranges(args.mem)
        self.out = sys.stdout
        # TAP plans: results since the current program started or since
        # the last plan; the program (an @@PSHIM-PROG name), its plan.
        self.prog = None
        self.progs = 0
        self.count = 0
        self.planned = False
        self.plans = 0

    # --- TAP -------------------------------------------------------------
    def emit(self, ok, desc, skip=False):
        self.n += 1
        self.count += 1
        if skip:
            self.skipped += 1
        elif ok:
            self.passed += 1
        else:
            self.failed += 1
        self.out.write("%s %d - %s\n" % ("ok" if ok or skip else "not ok", self.n, desc))
        self.out.flush()

    def result(self, ok, desc):
        self.emit(ok, desc)

    def verdict(self, ok, desc):
        """A result of the rig itself, in no program's plan."""
        self.emit(ok, desc)
        self.count -= 1

    def guest_line(self, line):
        m = re.match(r"(not ok|ok)\b(?:\s+\d+)?\s*(?:-\s*)?(.*)", line)
        plan = re.fullmatch(r"1\.\.(\d+)(\s*#.*)?", line)
        if self.tap and m:
            # Only a passing line can be a skip: "not ok ... # SKIP"
            # stays a failure, whatever its text says.
            skip = m.group(1) == "ok" and re.search(r"#\s*SKIP\b", m.group(2), re.I)
            self.emit(m.group(1) == "ok", "guest: " + m.group(2).strip(), skip=bool(skip))
        elif self.tap and plan:
            self.plan(int(plan.group(1)))
        elif self.tap and line.startswith("@@PSHIM-PROG "):
            self.close_prog()
            self.prog = line[len("@@PSHIM-PROG "):].strip()
            self.progs += 1
            self.count, self.planned = 0, False
            self.out.write("# %s\n" % self.prog)
            self.out.flush()
        else:
            self.out.write(line + "\n")
            self.out.flush()

    def who(self):
        return self.prog or "the guest command"

    def plan(self, want):
        """A program's plan ends it: the results since it started (or
        since the previous plan) must be as many as it says."""
        self.plans += 1
        if self.count != want:
            self.verdict(False, "%s: TAP plan 1..%d, but %d results" % (self.who(), want, self.count))
        else:
            self.out.write("# %s: %d results, as planned\n" % (self.who(), want))
        self.count, self.planned = 0, True

    def close_prog(self):
        """A program of the run's loop (@@PSHIM-PROG) must end with its
        plan: one that stopped early, even with status 0, lost tests."""
        if self.prog is None:
            return
        if not self.planned:
            self.verdict(False, "%s stopped before its TAP plan (%d results)" % (self.prog, self.count))
        elif self.count:
            self.verdict(False, "%s: %d results after its TAP plan" % (self.prog, self.count))
        self.prog, self.count = None, 0

    def close_run(self):
        """With --require-plan (scripts/vm-run --tap), the command's last
        program must have ended with a plan too."""
        self.close_prog()
        if not self.args.require_plan:
            return
        if not self.plans and not self.progs:
            self.verdict(False, "the guest command printed no TAP plan (%d results)" % self.count)
        elif self.count:
            self.verdict(False, "the guest command's last %d results came after its last TAP plan"
                         % self.count)

    # --- hardware checks -------------------------------------------------
    def check(self, req):
        kind = req.get("check")
        if kind == "pasid":
            return self.check_pasid(req)
        if kind == "translate":
            return self.check_translate(req)
        if kind == "pasid_set":
            return self.check_pasid_set(req)
        if kind == "pasid_mark":
            return self.check_pasid_mark(req)
        if kind == "pasid_cleared":
            return self.check_pasid_cleared(req)
        if kind == "vtd_regs":
            return self.check_vtd_regs(req)
        if kind == "device_del":
            self.qmp.cmd("device_del", id=req["id"])
            return True, "QMP device_del %s accepted" % req["id"]
        if kind == "device_deleted":
            return self.wait_deleted(req["id"])
        if kind == "device_add":
            self.qmp.cmd("device_add", driver="nvme", bus="rp0", serial="pshim0", id=req["id"])
            return True, "QMP device_add nvme %s accepted" % req["id"]
        return False, "unknown check %r" % kind

    @staticmethod
    def wanted(req):
        """The PASID set a request names: "pasids" [..] or "range" [lo, hi]."""
        if "range" in req:
            lo, hi = req["range"]
            return set(range(lo, hi + 1))
        return set(req["pasids"])

    @staticmethod
    def set_diff(have, want):
        extra = sorted(have - want)[:8]
        missing = sorted(want - have)[:8]
        return ", expected %d: extra %s, missing %s" % (len(want), extra, missing)

    def check_vtd_regs(self, req):
        """CHECK's report of the unit: its CAP, ECAP and root-table mode."""
        cap, ecap = self.vt.read_qwords(vtd.DMAR_BASE + vtd.CAP_REG, 2)
        scalable = self.vt.rtaddr() & vtd.RTADDR_TTM == vtd.RTADDR_TTM_SCALABLE
        desc = "VT-d CAP 0x%x ECAP 0x%x, root table %s" % (
            cap, ecap, "scalable" if scalable else "legacy")
        ok = (cap, ecap, scalable) == (req["cap"], req["ecap"], req["scalable"])
        if not ok:
            desc += "; the guest reported CAP 0x%x ECAP 0x%x %s" % (
                req["cap"], req["ecap"], "scalable" if req["scalable"] else "legacy")
        return ok, desc

    def check_pasid_set(self, req):
        """The whole PASID table holds exactly the PASIDs the guest lists.
        A device with no context entry has no table: that fails (a wrong
        name, or a device that is gone, is no empty table)."""
        want = self.wanted(req)
        have = self.vt.present_pasids(req["dev"])
        if have is None:
            return False, "%s has no context entry: no PASID table to read" % req["dev"]
        desc = "PASID table of %s holds %d entries" % (req["dev"], len(have))
        if have != want:
            return False, desc + self.set_diff(have, want)
        return True, desc + ", exactly the %d the shim lists" % len(want)

    def is_ram(self, gpa):
        return any(lo <= gpa < hi for lo, hi in self.ram)

    def check_pasid_mark(self, req):
        """Remember where the device's PASID directory is, before the
        device goes away (pasid_cleared reads that memory afterwards). The
        table must hold exactly the PASIDs named now: the positive control
        that the entries about to be torn down were in the hardware."""
        d = self.vt.pasid_dir(req["dev"])
        if d is None:
            return False, "%s has no context entry: nothing to mark" % req["dev"]
        have = set(self.vt.walk(*d))
        want = self.wanted(req)
        self.marks[req["as"]] = (req["dev"], d[0], d[1])
        desc = "%s: PASID directory at 0x%x (marked %s) holds %d entries" % (
            req["dev"], d[0], req["as"], len(have))
        if have != want:
            return False, desc + self.set_diff(have, want)
        return True, desc + ", exactly those expected"

    def check_pasid_cleared(self, req):
        """No PASID entry is left in the memory of a marked PASID directory
        and its tables, whatever happened to the device since: intel-iommu
        frees them when the device is released (sysfs remove, hot-unplug)
        without clearing them, so an entry there is one nobody detached
        before the device went; read right after, the pages are seldom
        reused, and a reused page shows garbage, not a valid entry."""
        dev, pdir, entries = self.marks[req["as"]]
        left = self.vt.walk(pdir, entries, is_ram=self.is_ram)
        now = self.vt.pasid_dir(dev)
        state = ("the device has no context entry now" if now is None else
                 "still the device's directory" if now[0] == pdir else
                 "the device has a new directory at 0x%x" % now[0])
        desc = "PASID directory of %s marked %s at 0x%x (%s)" % (dev, req["as"], pdir, state)
        if left:
            return False, desc + ": %d entries left, PASIDs %s" % (len(left), sorted(left)[:8])
        return True, desc + ": no entry left"

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
            if pe["why"] == "no context entry":
                # Absent from a table that is not there proves nothing.
                return False, desc + ": no context entry, so no PASID table to look in"
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
        if self.vt.pasid_dir(req["dev"]) is None:
            return False, desc + ": no context entry, no PASID table"
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
        except Exception as e:  # counted, so the result file is still written
            self.verdict(False, "vmrun: %s: %s" % (type(e).__name__, e))
            self.qemu.kill()
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
                    req = {}
                    try:
                        req = json.loads(line[len("@@PSHIM CHECK "):])
                        ok, desc = self.check(req)
                    except Exception as e:  # a failed check, never a dead runner
                        ok, desc = False, "check %r failed: %s: %s" % (
                            req or line, type(e).__name__, e)
                    label = req.get("desc") if isinstance(req, dict) else None
                    self.result(ok, "hw: " + (label + ": " if label else "") + desc)
                    io.sendall(("@@PSHIM-RES %s\n" % ("ok" if ok else "fail")).encode())
                elif line.startswith("@@PSHIM-EXIT "):
                    self.exit_status = int(line.split()[1])
                elif line.startswith("@@PSHIM-TAINT "):
                    self.taint = int(line.split()[1])
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
        splats = [line for line in console.splitlines() if SPLAT.search(line)]
        powered_off = "reboot: Power down" in console
        bad_taint = None if self.taint is None else self.taint & ~TAINT_EXPECTED
        if self.tap:
            self.close_run()
            self.verdict(self.exit_status == 0,
                         "guest program exited with status %s" % self.exit_status)
            self.verdict(not splats, "guest kernel log has no WARN/BUG/Oops/lockdep/DMAR fault line"
                         + "".join("\n#   " + s for s in splats[:20]))
            if self.taint is None:
                tdesc = "guest kernel reported no taint value before power-off"
            elif bad_taint:
                tdesc = "guest kernel taint %d has unexpected flags %s" % (
                    self.taint, taint_names(bad_taint))
            else:
                tdesc = "guest kernel taint %d: only the expected flags (%s)" % (
                    self.taint, taint_names(self.taint) or "none")
            self.verdict(self.taint is not None and not bad_taint, tdesc)
            self.verdict(powered_off, "guest shut down cleanly")
        else:
            if bad_taint:
                self.out.write("# kernel taint %d: unexpected flags %s\n"
                               % (self.taint, taint_names(bad_taint)))
            for s in splats:
                self.out.write("# kernel: %s\n" % s)
        if self.exit_status is None or splats or bad_taint or not powered_off:
            self.out.write("# console log: %s/console.log\n" % a.run_dir)
            tail = console.splitlines()[-15:]
            for t in tail:
                self.out.write("#   %s\n" % t)
        with open(os.path.join(a.run_dir, "result"), "w") as f:
            f.write("%d %d %d\n" % (self.passed, self.failed, self.skipped))
        if self.tap:
            return 0 if self.failed == 0 else 1
        if splats or self.failed or bad_taint:
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
    p.add_argument("--require-plan", action="store_true",
                   help="every program must end with a TAP plan (1..N) of its results")
    p.add_argument("--tap-start", type=int, default=int(os.environ.get("PSHIM_TAP_START", "0")))
    sys.exit(Runner(p.parse_args()).run())


if __name__ == "__main__":
    main()
