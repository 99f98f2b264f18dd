// SPDX-License-Identifier: GPL-2.0
/*
 * PASID_SHIM_CHECK: a device reported without binding it. Every field
 * is checked against what the guest's sysfs and the emulated hardware
 * say (the host reads the VT-d unit's CAP, ECAP and RTADDR over QMP),
 * and BIND, tried right after, must fail with exactly the errno of the
 * lowest requirement CHECK said was missing, or succeed when none was.
 */
#include <libgen.h>
#include <stddef.h>

#include "pshim_sys.h"

/* BIND's errno for the lowest PASID_SHIM_MISSING_* bit, as the contract has it. */
static int refusal(uint32_t missing)
{
	const unsigned int n = sizeof(ct_missing_errno) / sizeof(ct_missing_errno[0]);

	missing &= (1u << n) - 1;
	return missing ? ct_missing_errno[__builtin_ctz(missing)] : 0;
}

static int check(int fd, const char *name, uint32_t flags, struct pasid_shim_check *c)
{
	memset(c, 0xa5, sizeof(*c));	/* every out_ field must be written */
	c->size = sizeof(*c);
	c->flags = flags;
	c->name_uptr = (uintptr_t)name;
	return t_ioctl(fd, PASID_SHIM_CHECK, c);
}

/* CHECK, then BIND with the same flags: BIND's answer is CHECK's verdict. */
static void agree(const char *name, uint32_t flags, const char *what)
{
	struct pasid_shim_check c;
	int fd = t_open(), ret;
	uint32_t dev, max;

	ret = check(fd, name, flags, &c);
	t_expect(ret, 0, what);
	t_call();
	ret = pshim_bind_flags(fd, name, flags, &dev, &max);
	t_result(ret == refusal(c.out_missing),
		 "%s: CHECK says missing 0x%x, so BIND %s; BIND answers %s", what,
		 c.out_missing, refusal(c.out_missing) ? strerror(-refusal(c.out_missing)) : "succeeds",
		 ret ? strerror(-ret) : "success");
	close(fd);
}

static void parent_of(const char *dev, char *out, size_t len)
{
	char path[160], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", dev);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(out, len, "%s", basename(dirname(link)));
}

int main(void)
{
	const char *mf0 = getenv("PSHIM_MF0");
	struct pasid_shim_check c;
	char port[64], drv[64], toolong[64];
	int fd, fd2, ret;
	uint32_t dev, max;

	t_init();
	fd = t_open();

	/* The endpoint, as it is: everything there, nothing missing. */
	t_row(check(fd, t_dev, 0, &c), CT_CHECK_REPORT, "CHECK the endpoint");
	sys_driver(t_dev, drv, sizeof(drv));
	t_result(c.out_iommu == PASID_SHIM_IOMMU_INTEL_VTD, "out_iommu: Intel VT-d (%u)", c.out_iommu);
	t_result(c.out_missing == 0, "out_missing 0x%x: a shared BIND would succeed", c.out_missing);
	t_result((c.out_have & (PASID_SHIM_HAVE_SCALABLE | PASID_SHIM_HAVE_PASID_CAP |
				PASID_SHIM_HAVE_PASID_ENABLED | PASID_SHIM_HAVE_DRIVER |
				PASID_SHIM_HAVE_PAGING_PASID)) ==
		 (PASID_SHIM_HAVE_SCALABLE | PASID_SHIM_HAVE_PASID_CAP | PASID_SHIM_HAVE_PASID_ENABLED |
		  PASID_SHIM_HAVE_DRIVER | PASID_SHIM_HAVE_PAGING_PASID) &&
		 !(c.out_have & (PASID_SHIM_HAVE_DRIVER_MANAGED_DMA | PASID_SHIM_HAVE_PASID_EXEC |
				 PASID_SHIM_HAVE_PASID_PRIV | PASID_SHIM_HAVE_ATS | PASID_SHIM_HAVE_PRI)),
		 "out_have 0x%x: scalable mode, PASID capability enabled, a DMA-API driver, paging domains on PASIDs; no EXEC, PRIV, ATS or PRI (QEMU's nvme has none)",
		 c.out_have);
	t_result(c.out_max_pasid_log2 == 20 && c.out_dev_pasid_width == 20,
		 "PASID width: the IOMMU gives %u bits, the capability says %u (both 20 here)",
		 c.out_max_pasid_log2, c.out_dev_pasid_width);
	t_result(c.out_group_devices == 1, "out_group_devices %u", c.out_group_devices);
	t_result(!strcmp((char *)c.out_driver, drv) && *drv,
		 "out_driver \"%.32s\", sysfs says \"%s\"", (char *)c.out_driver, drv);
	t_hw_say("the VT-d registers CHECK reports are the emulated unit's");
	t_hw("\"check\":\"vtd_regs\",\"cap\":%llu,\"ecap\":%llu,\"scalable\":true",
	     (unsigned long long)c.out_vtd_cap, (unsigned long long)c.out_vtd_ecap);
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND, as CHECK said");
	t_result(max == 1u << c.out_max_pasid_log2, "out_max_pasid %u is 1 << %u", max,
		 c.out_max_pasid_log2);

	/* Bound by this file: another file's CHECK and BIND see it taken. */
	fd2 = t_open();
	t_expect(check(fd2, t_dev, 0, &c), 0, "CHECK from another file while bound");
	t_result(c.out_missing == PASID_SHIM_MISSING_UNBOUND, "out_missing 0x%x: bound already",
		 c.out_missing);
	close(fd2);
	agree(t_dev, 0, "another file, while bound");
	t_expect(t_destroy(fd, dev), 0, "DESTROY the binding");

	/* Exclusive needs no driver; shared needs one. */
	t_expect(check(fd, t_dev, PASID_SHIM_BIND_EXCLUSIVE, &c), 0, "CHECK exclusive, driver bound");
	t_result(c.out_missing == PASID_SHIM_MISSING_NO_DRIVER, "out_missing 0x%x: it has a driver",
		 c.out_missing);
	agree(t_dev, PASID_SHIM_BIND_EXCLUSIVE, "exclusive, driver bound");
	t_expect(sys_unbind(t_dev), 0, "unbind nvme");
	t_expect(check(fd, t_dev, 0, &c), 0, "CHECK shared, no driver");
	t_result(c.out_missing == PASID_SHIM_MISSING_DRIVER && !(c.out_have & PASID_SHIM_HAVE_DRIVER) &&
		 !c.out_driver[0], "out_missing 0x%x, no driver named", c.out_missing);
	agree(t_dev, 0, "shared, no driver");
	agree(t_dev, PASID_SHIM_BIND_EXCLUSIVE, "exclusive, no driver");
	t_expect(sys_to_vfio(t_dev), 0, "give the endpoint to vfio-pci");
	t_expect(check(fd, t_dev, 0, &c), 0, "CHECK shared, vfio-pci bound");
	t_result(c.out_missing == PASID_SHIM_MISSING_DMA_API_DRIVER &&
		 (c.out_have & PASID_SHIM_HAVE_DRIVER_MANAGED_DMA) &&
		 !strcmp((char *)c.out_driver, "vfio-pci"),
		 "out_missing 0x%x, driver \"%.32s\" manages DMA itself", c.out_missing,
		 (char *)c.out_driver);
	agree(t_dev, 0, "shared, vfio-pci bound");
	t_expect(sys_restore(t_dev), 0, "back to nvme");

	/* The root port above it: a bridge with no PASIDs. */
	parent_of(t_dev, port, sizeof(port));
	t_expect(check(fd, port, 0, &c), 0, "CHECK the root port");
	t_result((c.out_missing & (PASID_SHIM_MISSING_PASIDS | PASID_SHIM_MISSING_PASID_CAP |
				   PASID_SHIM_MISSING_NOT_BRIDGE)) ==
		 (PASID_SHIM_MISSING_PASIDS | PASID_SHIM_MISSING_PASID_CAP | PASID_SHIM_MISSING_NOT_BRIDGE) &&
		 !(c.out_missing & PASID_SHIM_MISSING_SCALABLE) && c.out_max_pasid_log2 == 0,
		 "root port %s: out_missing 0x%x: no PASIDs, no PASID capability, a bridge; scalable mode is not what is missing",
		 port, c.out_missing);
	agree(port, 0, "the root port");
	ret = t_bind(fd, port, &dev, &max);
	t_row(ret, CT_BIND_NOPASIDCAP, "BIND the root port, which CHECK says has no PASID capability");

	/* Two functions of one slot without ACS: one group. */
	if (mf0) {
		t_expect(check(fd, mf0, 0, &c), 0, "CHECK function 0 of the multi-function slot");
		t_result((c.out_missing & PASID_SHIM_MISSING_GROUP_ALONE) && c.out_group_devices == 2,
			 "out_missing 0x%x, out_group_devices %u", c.out_missing, c.out_group_devices);
		agree(mf0, 0, "function 0 of the multi-function slot");
	} else {
		t_result(0, "PSHIM_MF0 is set");
	}

	/* Bad input. */
	memset(toolong, 'a', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = 0;
	t_row(check(fd, "0000:7f:1f.7", 0, &c), CT_CHECK_NODEV, "CHECK of no such device");
	t_row(check(fd, toolong, 0, &c), CT_CHECK_NAMELONG, "CHECK of a name of 63 bytes");
	c.size = sizeof(c);
	c.flags = 0;
	c.name_uptr = 8;
	t_row(t_ioctl(fd, PASID_SHIM_CHECK, &c), CT_CHECK_NAMEFAULT, "CHECK with an unreadable name");
	t_row(check(fd, t_dev, 2, &c), CT_CHECK_FLAG, "CHECK with an unknown flag");
	c.size = offsetof(struct pasid_shim_check, out_driver);
	t_expect(t_ioctl(fd, PASID_SHIM_CHECK, &c), -EINVAL, "CHECK with a struct shorter than its first version");
	ret = t_stat("devices");
	close(fd);
	t_result(ret == 0, "CHECK bound nothing (stats devices %d)", ret);
	t_expect_no_leak("close");
	return t_done();
}
