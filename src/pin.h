/* SPDX-License-Identifier: GPL-2.0 */
/* Pin user memory and map it into an IOMMU domain, and back (pin.c). */
#ifndef PASID_SHIM_PIN_H
#define PASID_SHIM_PIN_H

#include <linux/atomic.h>
#include <linux/iommu.h>

/*
 * Pin [uva, uva + length) and map it at iova with prot; on failure
 * nothing stays pinned or mapped. *pinned counts the pages pinned.
 * order: the largest IOTLB flush the IOMMU takes, log2 pages (VT-d's
 * MAMV).
 */
int pshim_pin_map(struct iommu_domain *domain, unsigned long uva,
		  unsigned long iova, u64 length, int prot, unsigned int order,
		  atomic_long_t *pinned);
/* Unmap [iova, iova + length), all of it from pshim_pin_map(), and unpin. */
void pshim_unmap_unpin(struct iommu_domain *domain, unsigned long iova,
		       u64 length, bool dirty, unsigned int order,
		       atomic_long_t *pinned);

#endif /* PASID_SHIM_PIN_H */
