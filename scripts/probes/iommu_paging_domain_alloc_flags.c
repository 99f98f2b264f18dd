/*
 * HAVE_IOMMU_PAGING_DOMAIN_ALLOC_FLAGS: iommu_paging_domain_alloc_flags()
 * with IOMMU_HWPT_ALLOC_PASID, v6.13 ("iommu: Add
 * iommu_paging_domain_alloc_flags()").
 */
#include <linux/iommu.h>
#include <uapi/linux/iommufd.h>
static __used struct iommu_domain * probe(struct device *dev)
{
	return iommu_paging_domain_alloc_flags(dev, IOMMU_HWPT_ALLOC_PASID);
}
