/*
 * HAVE_REMOVE_DEV_PASID_TWO_ARGS: iommu_ops::remove_dev_pasid(dev, pasid)
 * without the domain. That is the signature of the kernels (6.2-6.9)
 * whose iommu_attach_device_pasid() undoes a refused attach on every
 * device of the group, the one that refused included (on VT-d: a WARN,
 * then a NULL dereference). The fix, v6.10 commit b025dea63cde "iommu:
 * Undo pasid attachment only for the devices that have succeeded", came
 * with the patch that gave remove_dev_pasid its domain argument; 7.x has
 * no such op. Stable kernels that took the fix alone (6.6.33+, 6.8.12,
 * 6.9.3+) keep the old signature and get the (harmless) guard too.
 */
#include <linux/iommu.h>
static void probe_remove(struct device *dev, ioasid_t pasid)
{
}

static const struct iommu_ops ops __used = {
	.remove_dev_pasid = probe_remove,
};
