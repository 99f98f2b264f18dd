# SPDX-License-Identifier: LGPL-2.1-or-later
"""pasid_shim: drive /dev/pasid-shim from Python, one method per ioctl.

Pure Python (fcntl.ioctl, struct, ctypes for addresses); the structs are
those of <linux/pasid_shim.h>, ABI version 2. Every refusal by the kernel
is raised as OSError with the kernel's errno (e.errno), the message
naming the command. Objects (bound devices, domains, PASIDs from
pasid_alloc) belong to the open file and die with it::

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
"""

import ctypes
import errno
import fcntl
import os
import struct
from collections import namedtuple

__all__ = ["open", "Shim", "Info", "ABI_VERSION", "DEVNODE",
           "FEAT_ATOMIC_REPLACE", "FEAT_PASID_ALLOC", "BIND_EXCLUSIVE",
           "MAP_READ", "MAP_WRITE"]

DEVNODE = "/dev/pasid-shim"
ABI_VERSION = 2

FEAT_ATOMIC_REPLACE = 1 << 0
FEAT_PASID_ALLOC = 1 << 1
BIND_EXCLUSIVE = 1 << 0
MAP_READ = 1 << 0
MAP_WRITE = 1 << 1

_TYPE = 0xBC
_CMD_BASE = 0x80
_NAME_MAX = 32      # PCI name with its NUL


def _io(nr):
    """_IO(0xBC, nr): the struct's size travels in its first field."""
    return (_TYPE << 8) | nr


(GET_INFO, BIND, DOMAIN_ALLOC, MAP, UNMAP, ATTACH, REPLACE, DETACH, LIST,
 DESTROY, PASID_ALLOC, PASID_FREE, ATTACH_MANY, DETACH_MANY,
 MAP_MANY) = (_io(_CMD_BASE + i) for i in range(15))

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

Info = namedtuple("Info", "abi_version features")


class Shim:
    """One open /dev/pasid-shim; a context manager that closes it."""

    def __init__(self, path=DEVNODE):
        self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        # Buffers mapped into domains, kept alive (and unresizable, as
        # ctypes holds an export of each) while the kernel has them pinned.
        self._mapped = {}

    def close(self):
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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def fileno(self):
        return self.fd

    def _ioctl(self, name, cmd, layout, *fields):
        buf = bytearray(layout.pack(layout.size, *fields))
        try:
            fcntl.ioctl(self.fd, cmd, buf, True)
        except OSError as e:
            err = OSError(e.errno, "%s: %s" % (name, os.strerror(e.errno)))
            err.reply = layout.unpack(buf)   # what the kernel wrote back
            raise err from None
        return layout.unpack(buf)

    def _many(self, name, cmd, layout, flags, obj_id, entries, n):
        """A _MANY command: the number done, or OSError whose .done says
        how many were done before the element that failed."""
        try:
            return self._ioctl(name, cmd, layout, flags, obj_id, n,
                               ctypes.addressof(entries), 0, 0)[5]
        except OSError as e:
            e.done = e.reply[5]
            raise

    def get_info(self):
        """PASID_SHIM_GET_INFO -> Info(abi_version, features)."""
        _, _, abi, features = self._ioctl("GET_INFO", GET_INFO, _INFO, 0, 0, 0)
        return Info(abi, features)

    def bind(self, pci_name, exclusive=False):
        """PASID_SHIM_BIND -> (dev_id, max_pasid); valid PASIDs are 1 .. max_pasid - 1."""
        name = pci_name.encode() if isinstance(pci_name, str) else bytes(pci_name)
        if len(name) >= _NAME_MAX or b"\0" in name:
            raise OSError(errno.EINVAL, "BIND: %r is no PCI device name" % pci_name)
        cname = ctypes.create_string_buffer(name)
        flags = BIND_EXCLUSIVE if exclusive else 0
        r = self._ioctl("BIND", BIND, _BIND, flags, ctypes.addressof(cname), 0, 0)
        return r[3], r[4]

    def domain_alloc(self, dev_id):
        """PASID_SHIM_DOMAIN_ALLOC -> domain_id of a new, empty paging domain."""
        return self._ioctl("DOMAIN_ALLOC", DOMAIN_ALLOC, _DOMAIN_ALLOC, 0, dev_id, 0)[3]

    def map(self, domain_id, buffer, iova, flags=MAP_READ | MAP_WRITE):
        """PASID_SHIM_MAP: pin a writable, page-aligned buffer (mmap.mmap)
        and map it at iova. The buffer stays referenced, and cannot be
        closed or resized, until it is unmapped or the file is closed."""
        view = (ctypes.c_char * len(buffer)).from_buffer(buffer)
        self._ioctl("MAP", MAP, _MAP, flags, domain_id, 0, ctypes.addressof(view),
                    len(buffer), iova)
        self._mapped[(domain_id, iova)] = (len(buffer), view)

    def unmap(self, domain_id, iova, length):
        """PASID_SHIM_UNMAP -> bytes unmapped: every mapping wholly inside the range."""
        unmapped = self._ioctl("UNMAP", UNMAP, _UNMAP, 0, domain_id, 0, iova, length, 0)[6]
        for key, (size, _) in list(self._mapped.items()):
            if key[0] == domain_id and iova <= key[1] and key[1] + size <= iova + length:
                del self._mapped[key]
        return unmapped

    def attach(self, dev_id, pasid, domain_id):
        """PASID_SHIM_ATTACH: the domain on a PASID that has none (EBUSY otherwise)."""
        self._ioctl("ATTACH", ATTACH, _ATTACH, 0, dev_id, pasid, domain_id, 0)

    def replace(self, dev_id, pasid, domain_id):
        """PASID_SHIM_REPLACE -> the domain attached before; on failure it stays."""
        return self._ioctl("REPLACE", REPLACE, _ATTACH, 0, dev_id, pasid, domain_id, 0)[5]

    def detach(self, dev_id, pasid):
        """PASID_SHIM_DETACH (ENOENT if the PASID is not attached)."""
        self._ioctl("DETACH", DETACH, _DETACH, 0, dev_id, pasid)

    def list(self, dev_id):
        """PASID_SHIM_LIST -> [(pasid, domain_id), ...] in PASID order."""
        capacity = 0
        while True:
            entries = (ctypes.c_char * (_ENTRY.size * capacity))()
            count = self._ioctl("LIST", LIST, _LIST, 0, dev_id, capacity,
                                ctypes.addressof(entries))[3]
            if count <= capacity:
                raw = bytes(entries)[:count * _ENTRY.size]
                return [_ENTRY.unpack_from(raw, i * _ENTRY.size) for i in range(count)]
            capacity = count + 16   # attachments may grow in between

    def destroy(self, obj_id):
        """PASID_SHIM_DESTROY: a domain (EBUSY while attached) or a device."""
        self._ioctl("DESTROY", DESTROY, _DESTROY, 0, obj_id, 0)
        for key in [k for k in self._mapped if k[0] == obj_id]:
            del self._mapped[key]

    def attach_many(self, dev_id, pairs):
        """PASID_SHIM_ATTACH_MANY: attach each (pasid, domain_id) in order ->
        the number attached. On a failure, the OSError's .done says how
        many were attached: pairs[e.done] failed, nothing after it was tried."""
        pairs = list(pairs)
        entries = (ctypes.c_char * (_ENTRY.size * len(pairs)))()
        for i, (pasid, domain_id) in enumerate(pairs):
            _ENTRY.pack_into(entries, i * _ENTRY.size, pasid, domain_id)
        return self._many("ATTACH_MANY", ATTACH_MANY, _BATCH, 0, dev_id, entries, len(pairs))

    def detach_many(self, dev_id, pasids):
        """PASID_SHIM_DETACH_MANY: detach each PASID in order -> the number
        detached (OSError's .done on a failure, as attach_many)."""
        pasids = list(pasids)
        entries = (ctypes.c_char * (_ENTRY.size * len(pasids)))()
        for i, pasid in enumerate(pasids):
            _ENTRY.pack_into(entries, i * _ENTRY.size, pasid, 0)
        return self._many("DETACH_MANY", DETACH_MANY, _BATCH, 0, dev_id, entries, len(pasids))

    def map_many(self, domain_id, maps, flags=MAP_READ | MAP_WRITE):
        """PASID_SHIM_MAP_MANY: map each (buffer, iova) in order, as map()
        does one -> the number mapped (OSError's .done on a failure; the
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
        except OSError as e:
            done = e.done
            raise
        finally:
            for (buf, iova), view in list(zip(maps, views))[:done]:
                self._mapped[(domain_id, iova)] = (len(buf), view)
        return done

    def pasid_alloc(self, dev_id):
        """PASID_SHIM_PASID_ALLOC -> a PASID of the kernel's global allocator, held by this file."""
        return self._ioctl("PASID_ALLOC", PASID_ALLOC, _PASID_ALLOC, 0, dev_id, 0)[3]

    def pasid_free(self, pasid):
        """PASID_SHIM_PASID_FREE (ENOENT: not this file's; EBUSY: still attached)."""
        self._ioctl("PASID_FREE", PASID_FREE, _PASID_FREE, 0, pasid, 0)


def open(path=DEVNODE):  # noqa: A001 - the module's verb, as os.open
    """Open /dev/pasid-shim (or path): a Shim, to use in a with block."""
    return Shim(path)
