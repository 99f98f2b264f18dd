/*
 * HAVE_DEV_IOMMU_MAX_PASIDS: struct dev_iommu::max_pasids, v6.2
 * ("iommu: Add max_pasids field in struct iommu_device").
 * Required (minimum kernel 6.2).
 */
#include <linux/iommu.h>
static __used u32 probe(struct device *dev)
{
	return dev->iommu->max_pasids;
}
