"""Read the emulated Intel VT-d's translation structures from the host.

Nothing here trusts the guest: every value comes from QEMU over QMP,
the DMAR registers and guest-physical memory read with the monitor's
`xp` command. The walk follows the VT-d spec for scalable mode:
RTADDR -> root entry (bus) -> scalable-mode context entry (devfn) ->
PASID directory entry (pasid >> 6) -> PASID table entry (pasid & 63)
-> first- or second-stage page table.
"""

import os
import re
import struct
import tempfile

DMAR_BASE = 0xFED90000
CAP_REG = 0x08          # and ECAP_REG at 0x10
RTADDR_REG = 0x20
RTADDR_TTM = 3 << 10    # translation table mode
RTADDR_TTM_SCALABLE = 1 << 10
PAGE_MASK = ~0xFFF & ((1 << 52) - 1)

PGTT_NAMES = {1: "first-stage", 2: "second-stage", 3: "nested", 4: "pass-through"}


class VTdError(Exception):
    pass


def parse_bdf(name):
    """'0000:01:00.0' -> (bus, devfn)."""
    m = re.fullmatch(r"(?:[0-9a-fA-F]{4}:)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])", name)
    if not m:
        raise VTdError("bad PCI name %r" % name)
    bus, slot, fn = (int(g, 16) for g in m.groups())
    return bus, (slot << 3) | fn


class VTd:
    def __init__(self, qmp, scratch=None):
        self.qmp = qmp
        self.scratch = scratch or tempfile.gettempdir()

    def read_qwords(self, gpa, count):
        """count little-endian u64s of guest-physical memory at gpa."""
        out = self.qmp.cmd("human-monitor-command",
                           **{"command-line": "xp /%dgx 0x%x" % (count, gpa)})
        vals = []
        for line in out.splitlines():
            if ":" not in line:
                continue
            vals += [int(v, 16) for v in line.split(":", 1)[1].split()]
        if len(vals) != count:
            raise VTdError("xp at 0x%x returned %r" % (gpa, out))
        return vals

    def read_bytes(self, gpa, length):
        out = self.qmp.cmd("human-monitor-command",
                           **{"command-line": "xp /%dbx 0x%x" % (length, gpa)})
        vals = []
        for line in out.splitlines():
            if ":" in line:
                vals += [int(v, 16) for v in line.split(":", 1)[1].split()]
        if len(vals) != length:
            raise VTdError("xp bytes at 0x%x returned %r" % (gpa, out))
        return bytes(vals)

    def read_block(self, gpa, length):
        """length bytes of guest-physical memory, in one QMP pmemsave."""
        fd, path = tempfile.mkstemp(prefix="pmem.", dir=self.scratch)
        os.close(fd)
        try:
            self.qmp.cmd("pmemsave", val=gpa, size=length, filename=path)
            with open(path, "rb") as f:
                data = f.read()
        finally:
            os.unlink(path)
        if len(data) != length:
            raise VTdError("pmemsave at 0x%x gave %d of %d bytes" % (gpa, len(data), length))
        return data

    def pasid_dir(self, name):
        """(GPA, entries) of the device's PASID directory, or None if it
        has no present scalable-mode context entry."""
        bus, devfn = parse_bdf(name)
        ctx = self.context_entry(bus, devfn)
        if ctx is None or not ctx[0] & 1:
            return None
        return ctx[0] & PAGE_MASK, 1 << (((ctx[0] >> 9) & 7) + 7)

    def walk(self, pdir, entries, is_ram=None):
        """Every present PASID entry under the PASID directory at pdir:
        {pasid: (entry GPA, its 8 qwords)}, PASID 0 (RID_PASID) left out.
        With is_ram, memory that may no longer be a PASID directory (freed
        with its device) is read with care: a directory entry with
        reserved bits set, or pointing at page 0 or outside RAM, is no
        pointer to follow, and only entries with a known PGTT count."""
        found = {}
        raw = self.read_block(pdir, entries * 8)
        tables = []
        for i, (pde,) in enumerate(struct.iter_unpack("<Q", raw)):
            if not pde & 1:
                continue
            table = pde & PAGE_MASK
            if is_ram is not None and (pde & 0xFFC or not table or not is_ram(table)):
                continue
            tables.append((i, table))
        pages = self.read_pages([t for _, t in tables], is_ram)
        for i, table in tables:
            block = pages[table]
            for j in range(64):
                pe = struct.unpack_from("<8Q", block, j * 64)
                if not pe[0] & 1 or not i << 6 | j:
                    continue
                if is_ram is not None and (pe[0] >> 6) & 7 not in PGTT_NAMES:
                    continue
                found[i << 6 | j] = (table + j * 64, pe)
        return found

    def read_pages(self, addrs, is_ram=None):
        """{addr: its 4 KiB} for page addresses, nearby ones (above 1 MiB,
        in one stretch of RAM) read together: one QMP pmemsave per
        stretch, not one per page."""
        pages, run = {}, []

        def flush():
            if run:
                block = self.read_block(run[0], run[-1] + 4096 - run[0])
                for a in run:
                    pages[a] = block[a - run[0]:a - run[0] + 4096]
                run.clear()

        for a in sorted(set(addrs)):
            if run and (a - run[-1] > 1 << 18 or run[0] < 1 << 20 or
                        (is_ram is not None and not is_ram(a + 4095))):
                flush()
            if run and is_ram is not None and not all(
                    is_ram(x) for x in range(run[-1], a + 4096, 4096)):
                flush()
            run.append(a)
        flush()
        return pages

    def present_pasids(self, name):
        """Every PASID with a present entry, PASID 0 (RID_PASID) left out;
        None if the device has no context entry (no PASID table at all)."""
        d = self.pasid_dir(name)
        if d is None:
            return None
        return set(self.walk(*d))

    def rtaddr(self):
        (val,) = self.read_qwords(DMAR_BASE + RTADDR_REG, 1)
        return val

    def context_entry(self, bus, devfn):
        rta = self.rtaddr()
        if (rta >> 10) & 3 != 1:
            raise VTdError("root table not in scalable mode (RTADDR=0x%x)" % rta)
        lo, hi = self.read_qwords((rta & PAGE_MASK) + bus * 16, 2)
        # Scalable mode: lower half of the root entry covers devfn 0-127,
        # upper half 128-255; 32-byte context entries.
        root = lo if devfn < 128 else hi
        if not root & 1:
            return None
        ctx = (root & PAGE_MASK) + (devfn & 0x7F) * 32
        return self.read_qwords(ctx, 4)

    def pasid_entry(self, name, pasid):
        """Decoded PASID table entry, or a dict with present False."""
        bus, devfn = parse_bdf(name)
        ctx = self.context_entry(bus, devfn)
        res = {"pasid": pasid, "present": False}
        if ctx is None or not ctx[0] & 1:
            res["why"] = "no context entry"
            return res
        pdts = (ctx[0] >> 9) & 7
        if pasid >> 6 >= 1 << (pdts + 7):
            res["why"] = "pasid beyond PASID directory size"
            return res
        (pde,) = self.read_qwords((ctx[0] & PAGE_MASK) + (pasid >> 6) * 8, 1)
        if not pde & 1:
            res["why"] = "PASID directory entry not present"
            return res
        pe = self.read_qwords((pde & PAGE_MASK) + (pasid & 63) * 64, 8)
        res.update({
            "present": bool(pe[0] & 1),
            "pgtt": (pe[0] >> 6) & 7,
            "aw": (pe[0] >> 2) & 7,
            "slptr": pe[0] & PAGE_MASK,
            "did": pe[1] & 0xFFFF,
            "flptr": pe[2] & PAGE_MASK,
            "flpm": (pe[2] >> 2) & 3,
            "raw": pe,
        })
        if not res["present"]:
            res["why"] = "PASID entry not present"
        return res

    def translate(self, name, pasid, iova):
        """(gpa, writable) that (pasid, iova) translates to, or None."""
        pe = self.pasid_entry(name, pasid)
        if not pe["present"]:
            return None
        if pe["pgtt"] == 2:
            levels = pe["aw"] + 2      # AW 1: 3-level, 2: 4-level, 3: 5-level
            table = pe["slptr"]
        elif pe["pgtt"] == 1:
            levels = 5 if pe["flpm"] == 1 else 4
            table = pe["flptr"]
        else:
            raise VTdError("cannot walk PGTT %d" % pe["pgtt"])
        writable = True
        for level in range(levels, 0, -1):
            shift = 12 + 9 * (level - 1)
            (ent,) = self.read_qwords(table + ((iova >> shift) & 0x1FF) * 8, 1)
            if pe["pgtt"] == 2:
                present, writable = ent & 3, writable and bool(ent & 2)
            else:
                present, writable = ent & 1, writable and bool(ent & 2)
            if not present:
                return None
            if level == 1 or (level <= 3 and ent & (1 << 7)):
                size = 1 << shift
                return ((ent & PAGE_MASK & ~(size - 1)) | (iova & (size - 1)),
                        writable)
            table = ent & PAGE_MASK
        return None
