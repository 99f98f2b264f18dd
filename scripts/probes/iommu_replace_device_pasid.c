/*
 * HAVE_IOMMU_REPLACE_DEVICE_PASID: iommu_replace_device_pasid() is
 * exported, in namespace IOMMUFD_INTERNAL, from v6.15 ("iommu: Introduce
 * a replace API for device pasid"). Its prototype lives only in the
 * kernel's private drivers/iommu/iommu-priv.h, so it is declared here as
 * compat.h declares it; modpost decides whether the export exists.
 */
#include <linux/iommu.h>
#include <linux/module.h>
MODULE_IMPORT_NS("IOMMUFD_INTERNAL");
int iommu_replace_device_pasid(struct iommu_domain *domain,
			       struct device *dev, ioasid_t pasid,
			       struct iommu_attach_handle *handle);
static __used int probe(struct iommu_domain *d, struct device *dev)
{
	return iommu_replace_device_pasid(d, dev, 1, NULL);
}
