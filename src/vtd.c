// SPDX-License-Identifier: GPL-2.0
/*
 * What an Intel VT-d unit says of itself: its registers and domain-ID
 * counts, from its own sysfs attributes (/sys/class/iommu/dmarN/
 * intel-iommu/), read through each attribute's show() on the unit's
 * struct device, which dev->iommu->iommu_dev->dev leads to: public
 * types only, the same from 6.2 to 7.x. guard.c decides with them;
 * pshim_vtd_get() is exported (PASID_SHIM_INTERNAL) for test modules.
 */
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/kstrtox.h>
#include <linux/string.h>

#include "compat.h"
#include "vtd.h"

/* The unit's attribute group of that name, or NULL. */
static const struct attribute_group *pshim_unit_group(struct device *unit,
						      const char *name)
{
	const struct attribute_group **grp;

	for (grp = unit ? unit->groups : NULL; grp && *grp; grp++)
		if ((*grp)->name && !strcmp((*grp)->name, name))
			return *grp;
	return NULL;
}

/* Read one attribute of the unit's "intel-iommu" group into a page. */
static int pshim_vtd_attr(struct device *unit, const char *name,
			  unsigned long long *val, unsigned int base)
{
	const struct attribute_group *grp = pshim_unit_group(unit, "intel-iommu");
	struct device_attribute *da = NULL;
	struct attribute **attr;
	char *buf;
	int ret;

	for (attr = grp ? grp->attrs : NULL; attr && *attr; attr++)
		if (!strcmp((*attr)->name, name)) {
			da = container_of(*attr, struct device_attribute, attr);
			break;
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
 * intel-iommu's iommu->agaw, as __iommu_calculate_agaw() finds it from
 * 6.2 on: the widest adjusted guest address width up to 57 bits among
 * those both stages the unit may use support (__iommu_calculate_sagaw():
 * first stage 4-level, and 5-level with FL5LP; second stage SAGAW).
 */
static int pshim_vtd_agaw(u64 cap, u64 ecap)
{
	unsigned long fl = BIT(2) | (cap & BIT_ULL(60) ? BIT(3) : 0);
	unsigned long sl = (cap >> 8) & 0x1f;
	unsigned long sagaw;
	int agaw;

	if (!(ecap & BIT_ULL(43)) || !(ecap & BIT_ULL(47)))
		sagaw = sl;		/* no scalable mode or no first stage */
	else if (!(ecap & BIT_ULL(46)))
		sagaw = fl;		/* first stage only */
	else
		sagaw = fl & sl;
	for (agaw = 3; agaw >= 0; agaw--)	/* width_to_agaw(57) == 3 */
		if (sagaw & BIT(agaw))
			break;
	return agaw;
}

/* Its addr_width: agaw_to_width(iommu->agaw), capped by MGAW. */
static u64 pshim_vtd_max_iova(u64 cap, int agaw)
{
	int mgaw = ((cap >> 16) & 0x3f) + 1;
	int width;

	if (agaw < 0)
		return 0;
	width = min(30 + 9 * agaw, mgaw);
	return width >= 64 ? U64_MAX : (1ULL << width) - 1;
}

int pshim_vtd_get(struct device *dev, struct pshim_vtd *vtd)
{
	struct device *unit = dev->iommu && dev->iommu->iommu_dev ?
			      dev->iommu->iommu_dev->dev : NULL;
	unsigned long long cap, ecap;
	int ret;

	ret = pshim_vtd_attr(unit, "cap", &cap, 16);
	if (!ret)
		ret = pshim_vtd_attr(unit, "ecap", &ecap, 16);
	if (ret)
		return ret;
	vtd->unit = unit;
	vtd->cap = cap;
	vtd->ecap = ecap;
	vtd->agaw = pshim_vtd_agaw(cap, ecap);
	vtd->max_iova = pshim_vtd_max_iova(cap, vtd->agaw);
	vtd->flush_order = min_t(unsigned int, (cap >> 48) & 0x3f,	/* MAMV */
				 PSHIM_FLUSH_ORDER_MAX);
	return 0;
}

PSHIM_EXPORT(pshim_vtd_get);

/* Root Table Address Register: its TTM field says legacy or scalable mode. */
#define PSHIM_VTD_RTADDR	0x20
#define PSHIM_VTD_RTADDR_TTM	GENMASK_ULL(11, 10)
#define PSHIM_VTD_TTM_SCALABLE	1

/*
 * Is the unit's root table in scalable mode? Read from the register
 * itself (its MMIO base is the unit's "address" attribute), as the
 * hardware has it, not as the driver was asked.
 */
int pshim_vtd_scalable(struct pshim_vtd *vtd)
{
	unsigned long long base;
	void __iomem *regs;
	u64 rtaddr;
	int ret;

	ret = pshim_vtd_attr(vtd->unit, "address", &base, 16);
	if (ret)
		return ret;
	regs = ioremap(base, PAGE_SIZE);
	if (!regs)
		return -ENOMEM;
	rtaddr = readq(regs + PSHIM_VTD_RTADDR);
	iounmap(regs);
	return FIELD_GET(PSHIM_VTD_RTADDR_TTM, rtaddr) == PSHIM_VTD_TTM_SCALABLE;
}

enum pasid_shim_iommu pshim_iommu_kind(struct device *dev)
{
	struct device *unit = dev->iommu && dev->iommu->iommu_dev ?
			      dev->iommu->iommu_dev->dev : NULL;

	if (!dev->iommu)
		return PASID_SHIM_IOMMU_NONE;
	if (pshim_unit_group(unit, "intel-iommu"))
		return PASID_SHIM_IOMMU_INTEL_VTD;
	if (pshim_unit_group(unit, "amd-iommu"))
		return PASID_SHIM_IOMMU_AMD_VI;
	/* arm-smmu-v3 names its unit "smmu3.<base address>". */
	if (unit && !strncmp(dev_name(unit), "smmu3.", 6))
		return PASID_SHIM_IOMMU_ARM_SMMUV3;
	return PASID_SHIM_IOMMU_OTHER;
}

int pshim_vtd_count(struct device *unit, const char *name,
		    unsigned long long *val)
{
	return pshim_vtd_attr(unit, name, val, 10);
}
