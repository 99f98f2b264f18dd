# SPDX-License-Identifier: LGPL-2.1-or-later
"""pasid_shim: drive /dev/pasid-shim from Python, one method per ioctl.

Pure Python (fcntl.ioctl, struct, ctypes for addresses); the structs are
those of <linux/pasid_shim.h>, ABI version 2. Every refusal by the kernel
is raised as PasidShimError, an OSError with the kernel's errno
(e.errno), the command (e.command) and what that errno means for it in
the pasid_shim contract (e.meaning); it is also the matching builtin
subclass (FileNotFoundError for ENOENT, PermissionError for EPERM...).
Objects (bound devices, domains, PASIDs from pasid_alloc) belong to the
open file and die with it::

    import mmap, pasid_shim

    with pasid_shim.open() as shim:
        dev, max_pasid = shim.bind("0000:01:00.0")
        dom = shim.domain_alloc(dev)
        buf = mmap.mmap(-1, 65536)          # page-aligned memory
        shim.map(dom, buf, iova=0x100000)   # pinned while mapped
        shim.attach(dev, 5, dom)
        assert shim.list(dev) == [(5, dom)]
    # closed: PASID 5 detached, the memory unpinned

Opening needs CAP_SYS_RAWIO (PermissionError, errno EPERM, without it).
shim.check(name) reports a device without binding it, and status() what
is bound system-wide. pasid_shim.__version__ is the release, the same as
the module's MODULE_VERSION and libpasidshim's.
"""
from __future__ import annotations

import builtins
import ctypes
import enum
import errno as _errno
import fcntl
import os
import struct
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple, Type

from ._contract import MEANINGS as _MEANINGS
from ._contract import MISSING as _MISSING
from ._contract import NAME_MAX
from ._contract import VERSION as __version__

__all__ = ["open", "status", "Shim", "Info", "Binding", "Attachment", "CheckReport",
           "MissingReason", "DeviceStatus", "PasidShimError", "Feature", "BindFlag",
           "MapFlag", "Iommu", "Have", "Missing", "ABI_VERSION", "DEVNODE", "NAME_MAX",
           "FEAT_ATOMIC_REPLACE", "FEAT_PASID_ALLOC", "BIND_EXCLUSIVE", "MAP_READ",
           "MAP_WRITE", "__version__"]

DEVNODE = "/dev/pasid-shim"
DEBUGFS = "/sys/kernel/debug/pasid_shim"
ABI_VERSION = 2


class Feature(enum.IntFlag):
    """out_features of GET_INFO."""
    ATOMIC_REPLACE = 1 << 0     # REPLACE is the kernel's iommu_replace_device_pasid()
    PASID_ALLOC = 1 << 1        # pasid_alloc() works (the kernel has a global allocator)


class BindFlag(enum.IntFlag):
    EXCLUSIVE = 1 << 0          # take a driverless device's DMA ownership


class MapFlag(enum.IntFlag):
    READ = 1 << 0               # the device may read
    WRITE = 1 << 1              # the device may write


class Iommu(enum.IntEnum):
    """out_iommu of CHECK: the IOMMU that translates the device."""
    NONE = 0
    INTEL_VTD = 1
    AMD_VI = 2
    ARM_SMMUV3 = 3
    OTHER = 4


class Have(enum.IntFlag):
    """out_have of CHECK: what the device and its IOMMU have."""
    SCALABLE = 1 << 0
    PASID_CAP = 1 << 1
    PASID_ENABLED = 1 << 2
    PASID_EXEC = 1 << 3
    PASID_PRIV = 1 << 4
    ATS = 1 << 5
    PRI = 1 << 6
    DRIVER = 1 << 7
    DRIVER_MANAGED_DMA = 1 << 8
    PAGING_PASID = 1 << 9


# out_missing of CHECK, one bit per requirement of BIND, from the contract.
Missing = enum.IntFlag("Missing", [(name, bit) for name, bit, *_ in _MISSING])
Missing.__doc__ = "out_missing of CHECK: each requirement of BIND not met, in BIND's order."

# The names of 0.2, kept.
FEAT_ATOMIC_REPLACE = Feature.ATOMIC_REPLACE
FEAT_PASID_ALLOC = Feature.PASID_ALLOC
BIND_EXCLUSIVE = BindFlag.EXCLUSIVE
MAP_READ = MapFlag.READ
MAP_WRITE = MapFlag.WRITE

_TYPE = 0xBC
_CMD_BASE = 0x80


def _io(nr: int) -> int:
    """_IO(0xBC, nr): the struct's size travels in its first field."""
    return (_TYPE << 8) | nr


(GET_INFO, BIND, DOMAIN_ALLOC, MAP, UNMAP, ATTACH, REPLACE, DETACH, LIST,
 DESTROY, PASID_ALLOC, PASID_FREE, ATTACH_MANY, DETACH_MANY,
 MAP_MANY, CHECK) = (_io(_CMD_BASE + i) for i in range(16))

# Native layout, as the kernel's structs (every field naturally aligned).
_INFO = struct.Struct("=IIII")            # size flags abi features
_BIND = struct.Struct("=IIQII")           # size flags name_uptr dev max_pasid
_DOMAIN_ALLOC = struct.Struct("=IIII")    # size flags dev_id domain_id
_MAP = struct.Struct("=IIIIQQQ")          # size flags domain rsvd va length iova
_UNMAP = struct.Struct("=IIIIQQQ")        # size flags domain rsvd iova length unmapped
_ATTACH = struct.Struct("=IIIIII")        # size flags dev pasid domain old
_DETACH = struct.Struct("=IIII")          # size flags dev pasid
_LIST = struct.Struct("=IIIIQ")           # size flags dev num entries_uptr
_ENTRY = struct.Struct("=II")             # pasid domain
_DESTROY = struct.Struct("=IIII")         # size flags id rsvd
_PASID_ALLOC = struct.Struct("=IIII")     # size flags dev pasid
_PASID_FREE = struct.Struct("=IIII")      # size flags pasid rsvd
_BATCH = struct.Struct("=IIIIQII")        # size flags dev num entries_uptr done rsvd
_MAP_MANY = struct.Struct("=IIIIQII")     # size flags domain num entries_uptr done rsvd
_MAP_ENTRY = struct.Struct("=QQQ")        # user_va length iova
# size flags name_uptr iommu have missing max_pasid_log2 dev_pasid_width
# group_devices vtd_cap vtd_ecap driver[NAME_MAX]
_CHECK = struct.Struct("=IIQIIIIIIQQ%ds" % NAME_MAX)


class Info(NamedTuple):
    """GET_INFO's reply."""
    abi_version: int
    features: Feature


class Binding(NamedTuple):
    """BIND's reply: the device's ID, and the PASID limit (valid PASIDs are
    1 .. max_pasid - 1; `pasids` is that range)."""
    dev_id: int
    max_pasid: int

    @property
    def pasids(self) -> range:
        return range(1, self.max_pasid)


class Attachment(NamedTuple):
    """One attached PASID, as LIST reports it."""
    pasid: int
    domain_id: int


class MissingReason(NamedTuple):
    """One requirement of BIND a device does not meet, from the contract."""
    flag: Missing
    errno: int          # what BIND fails with for it (0: a cause reported with PASIDS)
    why: str
    fix: str


class CheckReport(NamedTuple):
    """CHECK's report of a device (nothing is bound or changed)."""
    pci_name: str
    exclusive: bool
    iommu: Iommu
    have: Have
    missing: Missing
    max_pasid_log2: int     # bits of PASID the IOMMU gives it (0: none)
    dev_pasid_width: int    # the PASID capability's Max PASID Width
    group_devices: int
    vtd_cap: int
    vtd_ecap: int
    driver: str

    @property
    def ready(self) -> bool:
        """A BIND with the same flags would succeed now."""
        return not self.missing

    @property
    def bind_errno(self) -> int:
        """The errno BIND would fail with now (0 if it would succeed)."""
        for r in self.reasons():
            if r.errno:
                return r.errno
        return 0

    def reasons(self) -> List[MissingReason]:
        """Each missing requirement, in BIND's order, with its fix."""
        out = []
        for name, bit, err, why, fix in _MISSING:
            if self.missing & bit:
                e = getattr(_errno, err) if bit < Missing.PASID_CAP else 0
                out.append(MissingReason(Missing(bit), e, why, fix))
        return out


class DeviceStatus(NamedTuple):
    """One binding of any open file (status())."""
    pci_name: str
    mode: str               # "shared" or "exclusive"
    state: str              # "live" or "dead"
    attached: List[Attachment]


class PasidShimError(OSError):
    """A refusal: OSError with the errno, the command and its meaning.

    e.errno, e.strerror ("ATTACH: Device or resource busy (EBUSY: ...)"),
    e.command ("ATTACH"), e.meaning (the contract's text for that errno of
    that command), e.reply (the struct as the kernel left it, or None) and,
    for the _MANY commands, e.done (how many were done before the one
    refused)."""

    def __init__(self, err: int, command: str, meaning: Optional[str] = None,
                 reply: Optional[tuple] = None, done: Optional[int] = None):
        name = _errno.errorcode.get(err, "E?")
        if meaning is None:
            meaning = _MEANINGS.get((command, name), os.strerror(err))
        super().__init__(err, "%s: %s (%s: %s)" % (command, os.strerror(err), name, meaning))
        self.command = command
        self.meaning = meaning
        self.reply = reply
        self.done = done


_error_classes: Dict[type, Type[PasidShimError]] = {}


def _error(err: int, command: str, **kw) -> PasidShimError:
    """A PasidShimError that is also the builtin OSError subclass of err."""
    base = type(OSError(err, ""))
    if base is OSError:
        return PasidShimError(err, command, **kw)
    cls = _error_classes.get(base)
    if cls is None:
        cls = type("PasidShim" + base.__name__, (PasidShimError, base), {})
        _error_classes[base] = cls
    return cls(err, command, **kw)


class Shim:
    """One open /dev/pasid-shim; a context manager that closes it.

    Not thread-safe as an object (it keeps the buffers mapped in a dict);
    the kernel serializes the calls of one file."""

    def __init__(self, path: str = DEVNODE, check_abi: bool = True):
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError as e:
            meaning = None
            if e.errno == _errno.ENOENT and path != DEVNODE:
                meaning = "no such file: the path is wrong"
            elif e.errno == _errno.ENOENT and not os.path.exists("/sys/module/pasid_shim"):
                meaning = "pasid_shim is not loaded (modprobe pasid_shim)"
            raise _error(e.errno, "open", meaning=meaning) from None
        # Buffers mapped into domains, kept alive (and unresizable, as
        # ctypes holds an export of each) while the kernel has them pinned.
        self._mapped: Dict[Tuple[int, int], Tuple[int, object]] = {}
        if check_abi:
            abi = self.get_info().abi_version
            if abi != ABI_VERSION:
                self.close()
                raise _error(_errno.EPROTO, "GET_INFO",
                             meaning="the module speaks ABI %d, this module ABI %d"
                             % (abi, ABI_VERSION))

    def close(self) -> None:
        """Close the file: every object of it is destroyed."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self._mapped.clear()

    def __del__(self):
        # A Shim dropped without close(): its objects die with the fd.
        if getattr(self, "fd", -1) >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass

    def __enter__(self) -> "Shim":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    def fileno(self) -> int:
        return self.fd

    def _ioctl(self, name: str, cmd: int, layout: struct.Struct, *fields) -> tuple:
        buf = bytearray(layout.pack(layout.size, *fields))
        try:
            fcntl.ioctl(self.fd, cmd, buf, True)
        except OSError as e:
            raise _error(e.errno, name, reply=layout.unpack(buf)) from None
        return layout.unpack(buf)

    def _many(self, name: str, cmd: int, layout: struct.Struct, flags: int, obj_id: int,
              entries, n: int) -> int:
        """A _MANY command: the number done, or PasidShimError whose .done
        says how many were done before the element that failed."""
        try:
            return self._ioctl(name, cmd, layout, flags, obj_id, n,
                               ctypes.addressof(entries), 0, 0)[5]
        except PasidShimError as e:
            e.done = e.reply[5]
            raise

    def get_info(self) -> Info:
        """PASID_SHIM_GET_INFO -> Info(abi_version, features)."""
        _, _, abi, features = self._ioctl("GET_INFO", GET_INFO, _INFO, 0, 0, 0)
        return Info(abi, Feature(features))

    @staticmethod
    def _name(pci_name, command: str) -> ctypes.Array:
        name = pci_name.encode() if isinstance(pci_name, str) else bytes(pci_name)
        if len(name) >= NAME_MAX or b"\0" in name:
            raise _error(_errno.EINVAL, command,
                         meaning="%r is no PCI device name (fewer than %d characters)"
                         % (pci_name, NAME_MAX))
        return ctypes.create_string_buffer(name)

    def bind(self, pci_name: str, exclusive: bool = False) -> Binding:
        """PASID_SHIM_BIND -> Binding(dev_id, max_pasid); valid PASIDs are 1 .. max_pasid - 1."""
        cname = self._name(pci_name, "BIND")
        flags = BindFlag.EXCLUSIVE if exclusive else 0
        r = self._ioctl("BIND", BIND, _BIND, flags, ctypes.addressof(cname), 0, 0)
        return Binding(r[3], r[4])

    def check(self, pci_name: str, exclusive: bool = False) -> CheckReport:
        """PASID_SHIM_CHECK -> CheckReport: what a BIND would find, binding nothing."""
        cname = self._name(pci_name, "CHECK")
        flags = BindFlag.EXCLUSIVE if exclusive else 0
        r = self._ioctl("CHECK", CHECK, _CHECK, flags, ctypes.addressof(cname),
                        0, 0, 0, 0, 0, 0, 0, 0, b"")
        iommu = Iommu(r[3]) if r[3] in Iommu._value2member_map_ else Iommu.OTHER
        return CheckReport(str(pci_name), exclusive, iommu, Have(r[4]), Missing(r[5]), r[6],
                           r[7], r[8], r[9], r[10], r[11].split(b"\0", 1)[0].decode())

    def domain_alloc(self, dev_id: int) -> int:
        """PASID_SHIM_DOMAIN_ALLOC -> domain_id of a new, empty paging domain."""
        return self._ioctl("DOMAIN_ALLOC", DOMAIN_ALLOC, _DOMAIN_ALLOC, 0, dev_id, 0)[3]

    def map(self, domain_id: int, buffer, iova: int,
            flags: MapFlag = MapFlag.READ | MapFlag.WRITE) -> None:
        """PASID_SHIM_MAP: pin a writable, page-aligned buffer (mmap.mmap)
        and map it at iova. The buffer stays referenced, and cannot be
        closed or resized, until it is unmapped or the file is closed."""
        view = (ctypes.c_char * len(buffer)).from_buffer(buffer)
        self._ioctl("MAP", MAP, _MAP, flags, domain_id, 0, ctypes.addressof(view),
                    len(buffer), iova)
        self._mapped[(domain_id, iova)] = (len(buffer), view)

    def unmap(self, domain_id: int, iova: int, length: int) -> int:
        """PASID_SHIM_UNMAP -> bytes unmapped: every mapping wholly inside the range."""
        unmapped = self._ioctl("UNMAP", UNMAP, _UNMAP, 0, domain_id, 0, iova, length, 0)[6]
        for key, (size, _) in list(self._mapped.items()):
            if key[0] == domain_id and iova <= key[1] and key[1] + size <= iova + length:
                del self._mapped[key]
        return unmapped

    def attach(self, dev_id: int, pasid: int, domain_id: int) -> None:
        """PASID_SHIM_ATTACH: the domain on a PASID that has none (EBUSY otherwise)."""
        self._ioctl("ATTACH", ATTACH, _ATTACH, 0, dev_id, pasid, domain_id, 0)

    def replace(self, dev_id: int, pasid: int, domain_id: int) -> int:
        """PASID_SHIM_REPLACE -> the domain attached before; on failure it stays."""
        return self._ioctl("REPLACE", REPLACE, _ATTACH, 0, dev_id, pasid, domain_id, 0)[5]

    def detach(self, dev_id: int, pasid: int) -> None:
        """PASID_SHIM_DETACH (ENOENT if the PASID is not attached)."""
        self._ioctl("DETACH", DETACH, _DETACH, 0, dev_id, pasid)

    def list(self, dev_id: int) -> List[Attachment]:
        """PASID_SHIM_LIST -> [Attachment(pasid, domain_id), ...] in PASID order."""
        capacity = 0
        while True:
            entries = (ctypes.c_char * (_ENTRY.size * capacity))()
            count = self._ioctl("LIST", LIST, _LIST, 0, dev_id, capacity,
                                ctypes.addressof(entries))[3]
            if count <= capacity:
                raw = bytes(entries)[:count * _ENTRY.size]
                return [Attachment(*_ENTRY.unpack_from(raw, i * _ENTRY.size))
                        for i in range(count)]
            capacity = count + 16   # attachments may grow in between

    def destroy(self, obj_id: int) -> None:
        """PASID_SHIM_DESTROY: a domain (EBUSY while attached) or a device."""
        self._ioctl("DESTROY", DESTROY, _DESTROY, 0, obj_id, 0)
        for key in [k for k in self._mapped if k[0] == obj_id]:
            del self._mapped[key]

    def attach_many(self, dev_id: int, pairs: Iterable[Tuple[int, int]]) -> int:
        """PASID_SHIM_ATTACH_MANY: attach each (pasid, domain_id) in order ->
        the number attached. On a failure, the error's .done says how
        many were attached: pairs[e.done] failed, nothing after it was tried."""
        pairs = list(pairs)
        entries = (ctypes.c_char * (_ENTRY.size * len(pairs)))()
        for i, (pasid, domain_id) in enumerate(pairs):
            _ENTRY.pack_into(entries, i * _ENTRY.size, pasid, domain_id)
        return self._many("ATTACH_MANY", ATTACH_MANY, _BATCH, 0, dev_id, entries, len(pairs))

    def detach_many(self, dev_id: int, pasids: Iterable[int]) -> int:
        """PASID_SHIM_DETACH_MANY: detach each PASID in order -> the number
        detached (the error's .done on a failure, as attach_many)."""
        pasids = list(pasids)
        entries = (ctypes.c_char * (_ENTRY.size * len(pasids)))()
        for i, pasid in enumerate(pasids):
            _ENTRY.pack_into(entries, i * _ENTRY.size, pasid, 0)
        return self._many("DETACH_MANY", DETACH_MANY, _BATCH, 0, dev_id, entries, len(pasids))

    def map_many(self, domain_id: int, maps: Iterable[Tuple[object, int]],
                 flags: MapFlag = MapFlag.READ | MapFlag.WRITE) -> int:
        """PASID_SHIM_MAP_MANY: map each (buffer, iova) in order, as map()
        does one -> the number mapped (the error's .done on a failure; the
        buffers before it stay mapped and referenced)."""
        maps = list(maps)
        views = [(ctypes.c_char * len(buf)).from_buffer(buf) for buf, _ in maps]
        entries = (ctypes.c_char * (_MAP_ENTRY.size * len(maps)))()
        for i, ((buf, iova), view) in enumerate(zip(maps, views)):
            _MAP_ENTRY.pack_into(entries, i * _MAP_ENTRY.size, ctypes.addressof(view),
                                 len(buf), iova)
        done = 0
        try:
            done = self._many("MAP_MANY", MAP_MANY, _MAP_MANY, flags, domain_id, entries,
                              len(maps))
        except PasidShimError as e:
            done = e.done
            raise
        finally:
            for (buf, iova), view in list(zip(maps, views))[:done]:
                self._mapped[(domain_id, iova)] = (len(buf), view)
        return done

    def pasid_alloc(self, dev_id: int) -> int:
        """PASID_SHIM_PASID_ALLOC -> a PASID of the kernel's global allocator, held by this file."""
        return self._ioctl("PASID_ALLOC", PASID_ALLOC, _PASID_ALLOC, 0, dev_id, 0)[3]

    def pasid_free(self, pasid: int) -> None:
        """PASID_SHIM_PASID_FREE (ENOENT: not this file's; EBUSY: still attached)."""
        self._ioctl("PASID_FREE", PASID_FREE, _PASID_FREE, 0, pasid, 0)


def open(path: str = DEVNODE, check_abi: bool = True) -> Shim:  # noqa: A001 - as os.open
    """Open /dev/pasid-shim (or path): a Shim, to use in a with block.
    check_abi: refuse a module of another ABI version (EPROTO)."""
    return Shim(path, check_abi)


def status(debugfs: str = DEBUGFS) -> List[DeviceStatus]:
    """What is bound system-wide, by any open file, from debugfs (root).
    Domain IDs are those of the file that holds each device."""
    out: List[DeviceStatus] = []
    try:
        f = builtins.open(os.path.join(debugfs, "devices"))
    except OSError as e:
        meaning = None
        if e.errno == _errno.ENOENT:
            meaning = ("pasid_shim is not loaded (modprobe pasid_shim)"
                       if not os.path.exists("/sys/module/pasid_shim") else
                       "debugfs is not mounted (mount -t debugfs none /sys/kernel/debug)")
        raise _error(e.errno, "status", meaning=meaning) from None
    with f:
        for line in f:
            w = line.split()
            if len(w) == 4 and w[0] == "device":
                out.append(DeviceStatus(w[1], w[2], w[3], []))
            elif len(w) == 4 and w[0] == "pasid" and out:
                out[-1].attached.append(Attachment(int(w[1]), int(w[3])))
    return out
