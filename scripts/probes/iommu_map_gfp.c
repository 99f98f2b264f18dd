/*
 * HAVE_IOMMU_MAP_GFP: iommu_map() takes a gfp_t, v6.3
 * ("iommu: Add a gfp parameter to iommu_map()").
 */
#include <linux/iommu.h>
static __used int probe(struct iommu_domain *d)
{
	return iommu_map(d, 0, 0, 4096, IOMMU_READ, GFP_KERNEL);
}
