"""pytest example for python3-pasid-shim: attach, replace and detach the
domains of one PASID, and the errno of each refusal.

    PSHIM_DEV=0000:01:00.0 pytest-3 -v test_pasid_shim.py   (as root)

PSHIM_DEV names a PCI device with PASIDs, alone in its IOMMU group, with
its kernel driver bound (a shared binding).
"""
import errno
import mmap
import os

import pytest

import pasid_shim

DEV = os.environ.get("PSHIM_DEV")
pytestmark = pytest.mark.skipif(not DEV, reason="set PSHIM_DEV to a PCI device")


@pytest.fixture
def shim():
    with pasid_shim.open() as s:
        yield s


@pytest.fixture
def dev(shim):
    dev_id, max_pasid = shim.bind(DEV)
    assert max_pasid > 5
    return dev_id


def test_info(shim):
    assert shim.get_info().abi_version == pasid_shim.ABI_VERSION


def test_attach_replace_detach(shim, dev):
    a, b = shim.domain_alloc(dev), shim.domain_alloc(dev)
    buf = mmap.mmap(-1, 65536)
    buf.write(b"\xaa" * 65536)
    shim.map(a, buf, iova=0x100000)
    shim.attach(dev, 5, a)
    assert shim.list(dev) == [(5, a)]
    assert shim.replace(dev, 5, b) == a
    assert shim.list(dev) == [(5, b)]
    shim.detach(dev, 5)
    assert shim.list(dev) == []
    assert shim.unmap(a, 0, 1 << 30) == 65536


def test_refusals_raise_oserror_with_errno(shim, dev):
    dom = shim.domain_alloc(dev)
    shim.attach(dev, 7, dom)
    with pytest.raises(OSError) as e:
        shim.attach(dev, 7, dom)            # the PASID has a domain
    assert e.value.errno == errno.EBUSY
    with pytest.raises(OSError) as e:
        shim.destroy(dom)                   # still attached
    assert e.value.errno == errno.EBUSY
    with pytest.raises(OSError) as e:
        shim.detach(dev, 8)                 # not attached
    assert e.value.errno == errno.ENOENT
    with pytest.raises(OSError) as e:
        with pasid_shim.open() as other:
            other.bind(DEV)                 # bound by our file already
    assert e.value.errno == errno.EBUSY


def test_close_releases_everything(shim, dev):
    if not shim.get_info().features & pasid_shim.FEAT_PASID_ALLOC:
        pytest.skip("no global PASID allocator in this kernel (before 6.6)")
    pasid = shim.pasid_alloc(dev)
    shim.attach(dev, pasid, shim.domain_alloc(dev))
    shim.close()
    with pasid_shim.open() as again:        # the device is free again
        dev2, _ = again.bind(DEV)
        assert again.list(dev2) == []
