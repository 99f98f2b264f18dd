/*
 * HAVE_IOMMU_PAGING_DOMAIN_ALLOC: iommu_paging_domain_alloc(dev), v6.11
 * ("iommu: Add iommu_paging_domain_alloc()
 * interface"); an inline wrapper from v6.13.
 */
#include <linux/iommu.h>
static __used struct iommu_domain * probe(struct device *dev)
{
	return iommu_paging_domain_alloc(dev);
}
