/*
 * HAVE_IS_VMD: x86's is_vmd(), true for a bus behind an Intel VMD
 * controller, whose devices intel-iommu refuses PASIDs to
 * (dev_is_real_dma_subdevice()).
 */
#include <linux/pci.h>
static __used bool probe(struct pci_bus *bus)
{
	return is_vmd(bus);
}
