"""python3-pasid-shim against the hardware: after each step the host
reads the emulated VT-d (PASID table, page tables) and decides. Test
harness only: the checks travel over the serial line in PSHIM_TTY."""
import errno
import json
import mmap
import os

import pytest

import pasid_shim

DEV = os.environ["PSHIM_DEV"]
TTY = os.environ["PSHIM_TTY"]


def hw(**req):
    """One @@PSHIM CHECK; the host counts it and answers ok or fail."""
    with open(TTY, "r+b", buffering=0) as tty:
        tty.write(b"@@PSHIM CHECK " + json.dumps(req).encode() + b"\n")
        reply = b""
        while not reply.endswith(b"\n"):
            reply += tty.read(1)
    return reply.strip() == b"@@PSHIM-RES ok"


def filled(byte):
    buf = mmap.mmap(-1, 65536)
    buf.write(bytes([byte]) * 65536)
    return buf


def test_attach_replace_detach_in_hardware():
    with pasid_shim.open() as shim:
        assert shim.get_info().abi_version == 2
        dev, max_pasid = shim.bind(DEV)
        assert max_pasid == 1 << 20
        a, b = shim.domain_alloc(dev), shim.domain_alloc(dev)
        shim.map(a, filled(0xa5), iova=0x200000)
        shim.map(b, filled(0x5a), iova=0x200000, flags=pasid_shim.MAP_READ)
        shim.attach(dev, 9, a)
        assert hw(check="pasid", dev=DEV, pasid=9, present=True, table="A", scope="py",
                  desc="python attach")
        assert hw(check="translate", dev=DEV, pasid=9, iova=0x200000, pattern="a5" * 8,
                  writable=True, desc="python attach")
        assert shim.replace(dev, 9, b) == a
        assert hw(check="pasid", dev=DEV, pasid=9, present=True, table="B", scope="py",
                  desc="python replace")
        assert hw(check="translate", dev=DEV, pasid=9, iova=0x200000, pattern="5a" * 8,
                  writable=False, desc="python replace, read-only map")
        shim.detach(dev, 9)
        assert hw(check="pasid", dev=DEV, pasid=9, present=False, desc="python detach")
        assert shim.unmap(a, 0x200000, 65536) == 65536


def test_close_detaches_in_hardware():
    with pasid_shim.open() as shim:
        dev, _ = shim.bind(DEV)
        pasid = shim.pasid_alloc(dev)
        shim.attach(dev, pasid, shim.domain_alloc(dev))
        assert shim.list(dev)[0][0] == pasid
        assert hw(check="pasid", dev=DEV, pasid=pasid, present=True,
                  desc="python PASID %d from pasid_alloc" % pasid)
        with pytest.raises(OSError) as e:
            shim.pasid_free(pasid)
        assert e.value.errno == errno.EBUSY  # still attached
    assert hw(check="pasid", dev=DEV, pasid=pasid, present=False,
              desc="python: closing the file detached PASID %d" % pasid)


def test_batches_in_hardware():
    with pasid_shim.open() as shim:
        dev, _ = shim.bind(DEV)
        a = shim.domain_alloc(dev)
        assert shim.map_many(a, [(filled(0x11), 0x300000), (filled(0x22), 0x400000)]) == 2
        assert shim.attach_many(dev, [(20, a), (21, a), (22, a)]) == 3
        assert hw(check="translate", dev=DEV, pasid=21, iova=0x400000, pattern="22" * 8,
                  desc="python attach_many + map_many")
        with pytest.raises(OSError) as e:
            shim.attach_many(dev, [(23, a), (22, a), (24, a)])  # 22 is attached
        assert e.value.errno == errno.EBUSY and e.value.done == 1
        assert [p for p, _ in shim.list(dev)] == [20, 21, 22, 23]
        assert shim.detach_many(dev, [20, 21, 22, 23]) == 4
        assert hw(check="pasid_set", dev=DEV, pasids=[],
                  desc="python detach_many: the PASID table is empty again")
