// SPDX-License-Identifier: GPL-2.0
/*
 * What the IOMMU driver would refuse, checked before it is asked.
 *
 * On every kernel: MAP refuses an IOVA the device's IOMMU cannot
 * translate. A paging domain's aperture is not always the IOMMU's reach
 * (intel-iommu before 7.x allocates every domain 57 bits wide, accepts
 * a MAP above the unit's address width and refuses the attach later),
 * so for Intel VT-d the reach is computed as intel-iommu computes it,
 * from the unit's capability register.
 *
 * On kernels whose iommu_attach_device_pasid() undoes a refused attach
 * on a device that was never set up (6.2-6.9, see
 * scripts/probes/remove_dev_pasid_two_args.c), nothing may reach an
 * attach the driver will refuse. intel-iommu's set_dev_pasid() of that
 * era refuses (besides memory shortage, which nothing can foresee):
 *  - a device behind a VMD controller (dev_is_real_dma_subdevice()):
 *    refused at BIND, EOPNOTSUPP;
 *  - a kdump kernel with copied context tables (context_copied()):
 *    refused at BIND, EBUSY;
 *  - a domain with mappings beyond the unit's address width
 *    (prepare_domain_attach_device()): refused at MAP, ERANGE;
 *  - a domain that needs a domain ID when the unit has none left
 *    (domain_attach_iommu()): refused at ATTACH and REPLACE, ENOSPC,
 *    keeping PSHIM_DID_SPARE IDs free for the kernel's own devices;
 *  - a domain of another unit, a PASID 0 or beyond the device's width,
 *    a group of several devices: refused for every kernel elsewhere.
 * Dirty tracking, forced snooping and 5-level first-stage tables are
 * never asked for. Another IOMMU driver on such a kernel is refused at
 * BIND (EOPNOTSUPP): the shim cannot tell what it would refuse.
 *
 * The unit's registers and domain ID counts come from its own sysfs
 * attributes (/sys/class/iommu/dmarN/intel-iommu/), read through the
 * attribute's show() on the unit's struct device: public types only,
 * the same on 6.2 and 7.x.
 */
#include <linux/crash_dump.h>
#include <linux/device.h>
#include <linux/gfp.h>
#include <linux/kstrtox.h>
#include <linux/string.h>

#include "pasid_shim.h"

/* Domain IDs left to the kernel's own devices coming and going. */
#define PSHIM_DID_SPARE		8

/* Read one attribute of the unit's "intel-iommu" group into a page. */
static int pshim_vtd_attr(struct device *unit, const char *name,
			  unsigned long long *val, unsigned int base)
{
	const struct attribute_group **grp;
	struct device_attribute *da = NULL;
	struct attribute **attr;
	char *buf;
	int ret;

	if (!unit)
		return -ENODEV;
	for (grp = unit->groups; grp && *grp && !da; grp++) {
		if (!(*grp)->name || strcmp((*grp)->name, "intel-iommu"))
			continue;
		for (attr = (*grp)->attrs; attr && *attr; attr++)
			if (!strcmp((*attr)->name, name)) {
				da = container_of(*attr, struct device_attribute, attr);
				break;
			}
	}
	if (!da || !da->show)
		return -ENODEV;
	/* sysfs_emit() wants a whole page. */
	buf = (char *)__get_free_page(GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = da->show(unit, da, buf);
	if (ret > 0) {
		buf[min_t(int, ret, PAGE_SIZE - 1)] = 0;
		ret = kstrtoull(strim(buf), base, val);
	} else {
		ret = ret ? ret : -EINVAL;
	}
	free_page((unsigned long)buf);
	return ret;
}

/*
 * intel-iommu's addr_width: the widest adjusted guest address width the
 * unit supports up to 57 bits (iommu->agaw), capped by its MGAW.
 */
static u64 pshim_vtd_max_iova(u64 cap)
{
	unsigned long sagaw = (cap >> 8) & 0x1f;
	int mgaw = ((cap >> 16) & 0x3f) + 1;
	int agaw, width;

	for (agaw = 3; agaw >= 0; agaw--)	/* width_to_agaw(57) == 3 */
		if (sagaw & BIT(agaw))
			break;
	if (agaw < 0)
		return 0;
	width = min(30 + 9 * agaw, mgaw);
	return width >= 64 ? U64_MAX : (1ULL << width) - 1;
}

int pshim_guard_bind(struct pshim_device *sdev)
{
	struct device *dev = &sdev->pdev->dev;
	struct device *unit = dev->iommu->iommu_dev->dev;
	unsigned long long cap;

	sdev->max_iova = U64_MAX;
	sdev->vtd = NULL;
	if (!pshim_vtd_attr(unit, "cap", &cap, 16)) {
		sdev->vtd = unit;
		sdev->max_iova = pshim_vtd_max_iova(cap);
	}
	if (!pshim_attach_undo_unsafe())
		return 0;
	if (!sdev->vtd) {
		dev_info_ratelimited(dev, "pasid-shim: this kernel cannot undo a refused PASID attach safely, and only Intel VT-d's refusals are known\n");
		return -EOPNOTSUPP;
	}
	if (pshim_behind_vmd(sdev->pdev))
		return -EOPNOTSUPP;
	if (is_kdump_kernel())
		return -EBUSY;
	return 0;
}

/*
 * Before dom is attached to a PASID of sdev: the first attachment of a
 * domain on a unit takes a domain ID there.
 */
int pshim_guard_attach(struct pshim_device *sdev, struct pshim_domain *dom)
{
	unsigned long long used, supported;

	if (!pshim_attach_undo_unsafe() || atomic_read(&dom->users))
		return 0;
	if (pshim_vtd_attr(sdev->vtd, "domains_used", &used, 10) ||
	    pshim_vtd_attr(sdev->vtd, "domains_supported", &supported, 10))
		return -ENOSPC;
	return used + PSHIM_DID_SPARE >= supported ? -ENOSPC : 0;
}
