/* SPDX-License-Identifier: GPL-2.0 */
/* What an Intel VT-d unit says of itself in sysfs (vtd.c). */
#ifndef PASID_SHIM_VTD_H
#define PASID_SHIM_VTD_H

#include <linux/device.h>
#include <uapi/linux/pasid_shim.h>

/* Largest IOTLB flush the shim asks of any unit: 2^40 pages. */
#define PSHIM_FLUSH_ORDER_MAX	40

struct pshim_vtd {
	struct device *unit;		/* the unit's sysfs device */
	u64 cap, ecap;			/* its capability registers */
	u64 max_iova;			/* what it translates (addr_width) */
	unsigned int flush_order;	/* its MAMV: largest page-selective flush */
	int agaw;			/* table levels - 2, as intel-iommu picks */
};

/*
 * The VT-d unit behind dev (0), -ENODEV where it is something else, or
 * -ENOMEM when its registers could not be read.
 */
int pshim_vtd_get(struct device *dev, struct pshim_vtd *vtd);
/* 1 if the unit's root table is in scalable mode, 0 if not, or -errno. */
int pshim_vtd_scalable(struct pshim_vtd *vtd);
/* Which IOMMU translates dev: enum pasid_shim_iommu (uAPI). */
enum pasid_shim_iommu pshim_iommu_kind(struct device *dev);
/* One decimal attribute of the unit: domains_used, domains_supported. */
int pshim_vtd_count(struct device *unit, const char *name,
		    unsigned long long *val);

#endif /* PASID_SHIM_VTD_H */
