/*
 * HAVE_IOMMU_ATTACH_DEVICE_PASID_HANDLE: iommu_attach_device_pasid()
 * takes a 4th argument, struct iommu_attach_handle * (v6.11,
 * "iommu: Add attach handle to struct iopf_group").
 */
#include <linux/iommu.h>
static __used int probe(struct iommu_domain *d, struct device *dev)
{
	return iommu_attach_device_pasid(d, dev, 1, NULL);
}
