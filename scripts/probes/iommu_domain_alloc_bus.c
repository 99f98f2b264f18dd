/*
 * HAVE_IOMMU_DOMAIN_ALLOC_BUS: iommu_domain_alloc(bus), removed in v6.13
 * ("iommu: Remove iommu_domain_alloc()").
 */
#include <linux/iommu.h>
#include <linux/pci.h>
static __used struct iommu_domain * probe(void)
{
	return iommu_domain_alloc(&pci_bus_type);
}
