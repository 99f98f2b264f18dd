/*
 * HAVE_IOMMU_ATTACH_DEVICE_PASID: the 3-argument form, v6.2
 * ("iommu: Add attach/detach_dev_pasid iommu interfaces")
 * to v6.10. Required: one of the two forms (minimum kernel 6.2).
 */
#include <linux/iommu.h>
static __used int probe(struct iommu_domain *d, struct device *dev)
{
	return iommu_attach_device_pasid(d, dev, 1);
}
