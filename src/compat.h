/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel API differences are handled. Everything
 * else in the module calls these wrappers only. The HAVE_* macros come
 * from compile probes run against the target kernel's headers
 * (scripts/probe, one file per API in scripts/probes/), never from
 * version numbers.
 */
#ifndef PASID_SHIM_COMPAT_H
#define PASID_SHIM_COMPAT_H

#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include "compat_probes.h"

#if defined(HAVE_IOMMU_PAGING_DOMAIN_ALLOC_FLAGS)
#include <uapi/linux/iommufd.h>
#endif

/*
 * The module's plain kernel helpers (pin.c, vtd.c), exported in a
 * namespace of their own for the project's test modules. The namespace
 * is a token before 6.13 and a string from then on.
 */
#if defined(HAVE_MODULE_IMPORT_NS_TOKEN)
#define PSHIM_EXPORT(sym) EXPORT_SYMBOL_NS_GPL(sym, PASID_SHIM_INTERNAL)
#define PSHIM_IMPORT_INTERNAL() MODULE_IMPORT_NS(PASID_SHIM_INTERNAL)
#else
#define PSHIM_EXPORT(sym) EXPORT_SYMBOL_NS_GPL(sym, "PASID_SHIM_INTERNAL")
#define PSHIM_IMPORT_INTERNAL() MODULE_IMPORT_NS("PASID_SHIM_INTERNAL")
#endif

static inline struct iommu_domain *pshim_paging_domain_alloc(struct device *dev)
{
	struct iommu_domain *domain;

#if defined(HAVE_IOMMU_PAGING_DOMAIN_ALLOC_FLAGS)
	/* Ask for a domain usable on a PASID; older drivers refuse the flag. */
	domain = iommu_paging_domain_alloc_flags(dev, IOMMU_HWPT_ALLOC_PASID);
	if (!IS_ERR(domain))
		return domain;
#endif
#if defined(HAVE_IOMMU_PAGING_DOMAIN_ALLOC)
	domain = iommu_paging_domain_alloc(dev);	/* ERR_PTR on failure */
	if (IS_ERR(domain))
		return domain;
#else
	domain = iommu_domain_alloc(dev->bus);		/* NULL on failure */
#endif
	return domain ? domain : ERR_PTR(-ENOMEM);
}

/*
 * Kernels from 6.11 take a caller-owned attach handle. The core keeps
 * the pointer while the PASID is attached (until a later replace
 * succeeds or the PASID is detached), so each attachment owns one.
 */
struct pshim_attach_handle {
#if defined(HAVE_IOMMU_ATTACH_DEVICE_PASID_HANDLE)
	struct iommu_attach_handle handle;
#endif
};

static inline bool pshim_attach_takes_handle(void)
{
#if defined(HAVE_IOMMU_ATTACH_DEVICE_PASID_HANDLE)
	return true;
#else
	return false;
#endif
}

/* h may be NULL where nobody will look the handle up. */
static inline int pshim_attach_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct pshim_attach_handle *h)
{
#if defined(HAVE_IOMMU_ATTACH_DEVICE_PASID_HANDLE)
	return iommu_attach_device_pasid(domain, dev, pasid, h ? &h->handle : NULL);
#else
	return iommu_attach_device_pasid(domain, dev, pasid);
#endif
}

/* Must name the domain attached now: the driver looks it up by it. */
static inline void pshim_detach_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid)
{
	iommu_detach_device_pasid(domain, dev, pasid);
}

static inline int pshim_iommu_map(struct iommu_domain *domain,
				  unsigned long iova, phys_addr_t paddr,
				  size_t size, int prot)
{
#if defined(HAVE_IOMMU_MAP_GFP)
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL_ACCOUNT);
#else
	return iommu_map(domain, iova, paddr, size, prot);
#endif
}

#if defined(HAVE_IOMMU_REPLACE_DEVICE_PASID)
/* Exported in IOMMUFD_INTERNAL; the prototype is in iommu-priv.h only. */
int iommu_replace_device_pasid(struct iommu_domain *domain,
			       struct device *dev, ioasid_t pasid,
			       struct iommu_attach_handle *handle);

#if defined(HAVE_MODULE_IMPORT_NS_TOKEN)
#define PSHIM_IMPORT_NS() MODULE_IMPORT_NS(IOMMUFD_INTERNAL)
#else
#define PSHIM_IMPORT_NS() MODULE_IMPORT_NS("IOMMUFD_INTERNAL")
#endif

static inline bool pshim_have_atomic_replace(void)
{
	return true;
}

/* h must be a fresh handle: passing the installed one WARNs. */
static inline int pshim_replace_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid,
				      struct pshim_attach_handle *h)
{
	return iommu_replace_device_pasid(domain, dev, pasid, &h->handle);
}
#else
#define PSHIM_IMPORT_NS()

/* Before 6.15: REPLACE is detach + attach (see pasid.c). */
static inline bool pshim_have_atomic_replace(void)
{
	return false;
}

static inline int pshim_replace_pasid(struct iommu_domain *domain,
				      struct device *dev, ioasid_t pasid,
				      struct pshim_attach_handle *h)
{
	return -EOPNOTSUPP;
}
#endif

#if defined(HAVE_IOMMU_ALLOC_GLOBAL_PASID)
static inline bool pshim_have_global_pasid(void)
{
	return true;
}

static inline ioasid_t pshim_alloc_global_pasid(struct device *dev)
{
	return iommu_alloc_global_pasid(dev);
}

static inline void pshim_free_global_pasid(ioasid_t pasid)
{
	iommu_free_global_pasid(pasid);
}
#else
#ifndef IOMMU_PASID_INVALID
#define IOMMU_PASID_INVALID	((ioasid_t)-1)
#endif

/* Before 6.6 there is no allocator to share: PASID_ALLOC is EOPNOTSUPP. */
static inline bool pshim_have_global_pasid(void)
{
	return false;
}

static inline ioasid_t pshim_alloc_global_pasid(struct device *dev)
{
	return IOMMU_PASID_INVALID;
}

static inline void pshim_free_global_pasid(ioasid_t pasid)
{
}
#endif

/*
 * Does iommu_attach_device_pasid() undo a refused attach on a device
 * that was never set up (6.2-6.9)? Then guard.c keeps refusals away.
 */
static inline bool pshim_attach_undo_unsafe(void)
{
#if defined(HAVE_REMOVE_DEV_PASID_TWO_ARGS)
	return true;
#else
	return false;
#endif
}

static inline bool pshim_behind_vmd(struct pci_dev *pdev)
{
#if defined(HAVE_IS_VMD)
	return is_vmd(pdev->bus);
#else
	return false;
#endif
}

/* What the probes found, for modinfo (main.c). */
#if defined(HAVE_IOMMU_REPLACE_DEVICE_PASID)
#define PSHIM_PROBED_REPLACE "replace=atomic"
#else
#define PSHIM_PROBED_REPLACE "replace=emulated"
#endif
#if defined(HAVE_IOMMU_PAGING_DOMAIN_ALLOC_FLAGS)
#define PSHIM_PROBED_ALLOC " domain-alloc=paging-flags-pasid"
#elif defined(HAVE_IOMMU_PAGING_DOMAIN_ALLOC)
#define PSHIM_PROBED_ALLOC " domain-alloc=paging"
#else
#define PSHIM_PROBED_ALLOC " domain-alloc=bus"
#endif
#if defined(HAVE_IOMMU_ATTACH_DEVICE_PASID_HANDLE)
#define PSHIM_PROBED_HANDLE " attach-handle=yes"
#else
#define PSHIM_PROBED_HANDLE " attach-handle=no"
#endif
#if defined(HAVE_REMOVE_DEV_PASID_TWO_ARGS)
#define PSHIM_PROBED_GUARD " refused-attach-undo=unsafe(guarded)"
#else
#define PSHIM_PROBED_GUARD " refused-attach-undo=safe"
#endif

#endif /* PASID_SHIM_COMPAT_H */
