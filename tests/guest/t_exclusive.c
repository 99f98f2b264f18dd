// SPDX-License-Identifier: GPL-2.0
/*
 * Exclusive binding (PASID_SHIM_BIND_EXCLUSIVE): the shim takes a
 * driverless device's DMA ownership as iommufd does. While held, the
 * RID translates nothing (the host reads its RID_PASID entry), no kernel
 * driver can bind underneath, VFIO cannot claim the group; after
 * DESTROY or close all of that works again.
 */
#include "pshim_sys.h"

/* RID traffic uses PASID 0 (RID_PASID) of the scalable-mode table. */
static void rid_blocked(const char *what)
{
	t_hw_say("%s", what);
	t_hw_pasid(0, 0, NULL);
}

static void rid_translated(const char *name, const char *what)
{
	t_hw_say("%s", what);
	t_hw_pasid(0, 1, name);
}

int main(void)
{
	unsigned char *buf = t_pattern_buf(0x4000, 'x');
	uint32_t id, id2, max, dom;
	struct vfio_hold h;
	char drv[64];
	int fd, fd2;

	t_init();
	fd = t_open();
	fd2 = t_open();

	t_row(pshim_bind_flags(fd, t_dev, PASID_SHIM_BIND_EXCLUSIVE, &id, &max), CT_BIND_HASDRIVER,
	      "exclusive BIND while nvme is bound");
	rid_translated("default", "before: the RID translates through the DMA domain");
	t_expect(sys_unbind(t_dev), 0, "nvme unbound");
	t_row(t_bind(fd, t_dev, &id, &max), CT_BIND_NODRIVER, "shared BIND of a driverless device");
	t_expect(pshim_bind_flags(fd, t_dev, PASID_SHIM_BIND_EXCLUSIVE, &id, &max), 0,
		 "exclusive BIND of the driverless device");
	rid_blocked("held: the RID translates nothing");
	t_expect(t_bind(fd2, t_dev, &id2, &max), -EBUSY, "BIND from another file");
	t_expect(t_domain_alloc(fd, id, &dom), 0, "DOMAIN_ALLOC");
	t_expect(t_map(fd, dom, buf, 0x4000, 0x100000, PASID_SHIM_MAP_READ), 0, "MAP");
	t_expect(t_attach(fd, id, 5, dom), 0, "ATTACH pasid 5");
	t_hw_pasid(5, 1, "A");
	t_hw_translate(5, 0x100000, buf, 32);

	t_expect(sys_bind(t_dev, "nvme"), -EBUSY, "held: binding nvme is refused (DMA owned)");
	t_result(!sys_driver(t_dev, drv, sizeof(drv)) && !*drv, "held: the device still has no driver");

	/* vfio-pci manages DMA itself, so it binds, but cannot claim. */
	t_expect(sys_to_vfio(t_dev), 0, "held: vfio-pci binds (driver_managed_dma)");
	t_expect(sys_vfio_claim(t_dev, &h), -EPERM,
		 "held: VFIO cannot put the group in a container (not viable: its DMA owner is claimed)");
	sys_vfio_release(&h);
	t_expect(sys_unbind(t_dev), 0, "vfio-pci unbound again");
	t_hw_pasid(5, 1, "A");
	t_expect(t_attach(fd, id, 6, dom), 0, "the exclusive binding outlived vfio-pci's visit");
	rid_blocked("and the RID is still blocked");

	t_expect(t_destroy(fd, id), 0, "DESTROY the exclusive binding");
	t_hw_pasid(5, 0, NULL);
	t_hw_pasid(6, 0, NULL);
	rid_translated("default", "released: the RID translates through the DMA domain again");
	t_expect(sys_bind(t_dev, "nvme"), 0, "released: nvme binds");
	t_result(sys_wait(t_dev, "nvme", 1, 10), "and probes");

	/* close releases it too */
	t_expect(sys_unbind(t_dev), 0, "nvme unbound");
	t_expect(pshim_bind_flags(fd2, t_dev, PASID_SHIM_BIND_EXCLUSIVE, &id2, &max), 0,
		 "exclusive BIND from the second file");
	t_expect(sys_bind(t_dev, "nvme"), -EBUSY, "held: binding nvme is refused (DMA owned)");
	close(fd2);
	t_expect(sys_bind(t_dev, "nvme"), 0, "after close nvme binds");
	t_result(sys_wait(t_dev, "nvme", 1, 10), "and probes");

	/* VFIO first: its ownership keeps the shim out. */
	t_expect(sys_to_vfio(t_dev), 0, "vfio-pci bound");
	t_expect(sys_vfio_claim(t_dev, &h), 0, "VFIO claims the group");
	t_expect(pshim_bind_flags(fd, t_dev, PASID_SHIM_BIND_EXCLUSIVE, &id, &max), -EBUSY,
		 "exclusive BIND of a VFIO-owned device");
	t_row(t_bind(fd, t_dev, &id, &max), CT_BIND_DMADRIVER, "shared BIND of a VFIO-owned device");
	sys_vfio_release(&h);
	t_result(sys_restore(t_dev) == 0, "nvme back");
	close(fd);
	t_expect_no_leak("exclusive mode");
	t_hw_say("no PASID entry but the RID's is left in the PASID table");
	t_hw_empty(t_dev);
	return t_done();
}
