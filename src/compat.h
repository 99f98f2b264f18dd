/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel API differences are handled. Everything
 * else in the module calls these wrappers only.
 */
#ifndef PASID_SHIM_COMPAT_H
#define PASID_SHIM_COMPAT_H

#include <linux/iommu.h>

static inline struct iommu_domain *pshim_paging_domain_alloc(struct device *dev)
{
	struct iommu_domain *domain;

	domain = iommu_paging_domain_alloc(dev);
	return domain ? domain : ERR_PTR(-ENOMEM);
}

static inline int pshim_attach_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid)
{
	return iommu_attach_device_pasid(domain, dev, pasid, NULL);
}

static inline void pshim_detach_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid)
{
	iommu_detach_device_pasid(domain, dev, pasid);
}

static inline int pshim_iommu_map(struct iommu_domain *domain,
				  unsigned long iova, phys_addr_t paddr,
				  size_t size, int prot)
{
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
}

static inline bool pshim_have_atomic_replace(void)
{
	return false;
}

static inline int pshim_replace_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid)
{
	return -EOPNOTSUPP;
}

#endif /* PASID_SHIM_COMPAT_H */
