/*
 * HAVE_IOMMU_ALLOC_GLOBAL_PASID: the IOMMU core's global PASID
 * allocator, v6.6 ("iommu: Add global PASID allocator" / "iommu:
 * Generalize PASID 0 for normal DMA w/o PASID").
 */
#include <linux/iommu.h>
static __used ioasid_t probe(struct device *dev)
{
	ioasid_t pasid = iommu_alloc_global_pasid(dev);

	iommu_free_global_pasid(pasid);
	return pasid;
}
