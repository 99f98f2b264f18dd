// SPDX-License-Identifier: GPL-2.0
/*
 * What the IOMMU driver would refuse, checked before it is asked.
 *
 * On every kernel, for Intel VT-d:
 *  - MAP refuses an IOVA the device's IOMMU cannot translate. A paging
 *    domain's aperture is not always the IOMMU's reach (intel-iommu
 *    before 7.x allocates every domain 57 bits wide, accepts a MAP above
 *    the unit's address width and refuses the attach later), so the
 *    reach is computed as intel-iommu computes it, from the unit's
 *    capability register.
 *  - The shim's domains never take the unit's last domain IDs (DIDs):
 *    a sixteenth of them (at least 8) stays for the kernel, which needs
 *    one whenever a device is added or a DMA owner gives a device back
 *    to its default domain (__iommu_release_dma_ownership() cannot fail
 *    and WARNs when it does). The unit's own count of used DIDs is read
 *    when the shim's budget, half the headroom it saw last, runs out.
 *
 * On kernels whose iommu_attach_device_pasid() undoes a refused attach
 * on a device that was never set up (6.2-6.9, see
 * scripts/probes/remove_dev_pasid_two_args.c), nothing may reach an
 * attach the driver will refuse. intel-iommu's set_dev_pasid() of that
 * era refuses (besides memory shortage, which nothing can foresee):
 *  - a device behind a VMD controller (dev_is_real_dma_subdevice()):
 *    refused at BIND, EOPNOTSUPP;
 *  - a kdump kernel with copied context tables (context_copied()):
 *    refused at BIND, EBUSY;
 *  - a domain with mappings beyond the unit's address width
 *    (prepare_domain_attach_device()): refused at MAP, ERANGE;
 *  - a domain that needs a domain ID when the unit has none left
 *    (domain_attach_iommu()): refused at ATTACH and REPLACE, ENOSPC,
 *    by the DID budget above;
 *  - a group that has grown beyond the bound device (the driver calls
 *    set_dev_pasid() on every device of it): refused at ATTACH, EXDEV;
 *  - a first-stage domain with more levels than the unit's first stage
 *    walks (domain_setup_first_level()): cannot arise, as the unit's
 *    width is the kernel's own (vtd.c intersects both stages' widths as
 *    __iommu_calculate_sagaw() does) and no MAP goes beyond it;
 *  - a domain of another unit, a PASID 0 or beyond the device's width:
 *    refused for every kernel elsewhere.
 * Dirty tracking, forced snooping and 5-level first-stage tables are
 * never asked for. Another IOMMU driver on such a kernel is refused at
 * BIND (EOPNOTSUPP): the shim cannot tell what it would refuse.
 *
 * The unit's registers and domain ID counts come from vtd.c.
 */
#include <linux/crash_dump.h>
#include <linux/slab.h>

#include "pasid_shim.h"
#include "vtd.h"

/* Domain IDs left to the kernel: a sixteenth, and at least this many. */
#define PSHIM_DID_SPARE_MIN	8

/* A VT-d unit a device was bound on, and the shim's DID budget there. */
struct pshim_unit {
	struct list_head node;
	struct device *dev;
	atomic_long_t budget;		/* first attachments before a re-read */
};

static DEFINE_MUTEX(pshim_units_lock);
static LIST_HEAD(pshim_units);

/* The unit's entry, made on first sight; units are never unregistered. */
static struct pshim_unit *pshim_unit_get(struct device *vtd)
{
	struct pshim_unit *unit;

	mutex_lock(&pshim_units_lock);
	list_for_each_entry(unit, &pshim_units, node)
		if (unit->dev == vtd)
			goto out;
	unit = kzalloc(sizeof(*unit), GFP_KERNEL);
	if (unit) {
		unit->dev = vtd;
		list_add(&unit->node, &pshim_units);
	}
out:
	mutex_unlock(&pshim_units_lock);
	return unit;
}

/*
 * Can the device's IOMMU driver attach a paging domain to a PASID at
 * all? The core refuses each such attach with EOPNOTSUPP when the
 * domain's ops have no set_dev_pasid (VT-d before 6.6; drivers without
 * PASID support): say it once at BIND, with one log line, instead of a
 * bare error at every ATTACH. The ops belong to the domain, not the
 * device, so one is allocated to look. Return: 1 yes, 0 no, -ENOMEM.
 */
static int pshim_guard_paging_pasid(struct device *dev)
{
	struct iommu_domain *domain = pshim_paging_domain_alloc(dev);
	bool can;

	if (IS_ERR(domain))
		return PTR_ERR(domain) == -ENOMEM ? -ENOMEM : 0;
	can = domain->ops && domain->ops->set_dev_pasid;
	iommu_domain_free(domain);
	if (!can)
		dev_info_ratelimited(dev, "pasid-shim: its IOMMU driver cannot attach paging domains to PASIDs on this kernel\n");
	return can;
}

/*
 * What the IOMMU says of the device, for BIND and CHECK (device.c's
 * pshim_device_assess(), with device_lock held): which IOMMU, its
 * registers and mode where it is VT-d, and what the guard refuses.
 */
int pshim_guard_assess(struct device *dev, struct pasid_shim_check *r,
		       u32 *missing)
{
	struct pshim_vtd vtd;
	int ret;

	ret = pshim_guard_paging_pasid(dev);
	if (ret < 0)
		return ret;
	if (ret)
		r->out_have |= PASID_SHIM_HAVE_PAGING_PASID;
	else
		*missing |= PASID_SHIM_MISSING_PAGING_PASID;
	r->out_iommu = pshim_iommu_kind(dev);
	/* No memory to read the unit's registers is no answer: fail. */
	ret = pshim_vtd_get(dev, &vtd);
	if (ret == -ENOMEM)
		return ret;
	if (!ret) {
		r->out_vtd_cap = vtd.cap;
		r->out_vtd_ecap = vtd.ecap;
		ret = pshim_vtd_scalable(&vtd);
		if (ret == -ENOMEM)
			return ret;
		if (ret > 0)
			r->out_have |= PASID_SHIM_HAVE_SCALABLE;
		else if (*missing & PASID_SHIM_MISSING_PASIDS)
			*missing |= PASID_SHIM_MISSING_SCALABLE;
		ret = 0;
	}
	if (!pshim_attach_undo_unsafe())
		return 0;
	if (ret) {
		dev_info_ratelimited(dev, "pasid-shim: this kernel cannot undo a refused PASID attach safely, and only Intel VT-d's refusals are known\n");
		*missing |= PASID_SHIM_MISSING_GUARDED;
	}
	if (pshim_behind_vmd(to_pci_dev(dev)))
		*missing |= PASID_SHIM_MISSING_GUARDED;
	if (is_kdump_kernel())
		*missing |= PASID_SHIM_MISSING_NOT_KDUMP;
	return 0;
}

/* At BIND, once nothing is missing: what the guard keeps per device. */
int pshim_guard_bind(struct pshim_device *sdev)
{
	struct pshim_vtd vtd;
	int ret;

	sdev->max_iova = U64_MAX;
	sdev->flush_order = PSHIM_FLUSH_ORDER_MAX;
	sdev->unit = NULL;
	ret = pshim_vtd_get(&sdev->pdev->dev, &vtd);
	if (ret == -ENODEV)
		return 0;
	if (ret)
		return ret;
	sdev->unit = pshim_unit_get(vtd.unit);
	if (!sdev->unit)
		return -ENOMEM;
	sdev->max_iova = vtd.max_iova;
	sdev->flush_order = vtd.flush_order;
	return 0;
}

static int pshim_count_dev(struct device *d, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/* Does the device's IOMMU group still hold the device alone? */
static bool pshim_guard_alone(struct pshim_device *sdev)
{
	struct iommu_group *group = iommu_group_get(&sdev->pdev->dev);
	unsigned int n = 0;

	if (!group)
		return false;
	iommu_group_for_each_dev(group, &n, pshim_count_dev);
	iommu_group_put(group);
	return n == 1;
}

/*
 * Take one DID of the unit from the budget; when it is spent, read the
 * unit's own count and make the budget half of the headroom above the
 * spare.
 */
static int pshim_guard_did(struct pshim_unit *unit)
{
	unsigned long long used, supported, spare;
	long long headroom;
	int ret = 0;

	if (atomic_long_dec_if_positive(&unit->budget) >= 0)
		return 0;
	mutex_lock(&pshim_units_lock);
	if (atomic_long_dec_if_positive(&unit->budget) >= 0)
		goto out;
	/* Counts that cannot be read refuse this one: ENOMEM, or ENOSPC. */
	ret = pshim_vtd_count(unit->dev, "domains_used", &used);
	if (!ret)
		ret = pshim_vtd_count(unit->dev, "domains_supported", &supported);
	if (ret) {
		ret = ret == -ENOMEM ? ret : -ENOSPC;
		goto out;
	}
	spare = max_t(unsigned long long, supported / 16, PSHIM_DID_SPARE_MIN);
	headroom = (long long)supported - (long long)spare - (long long)used;
	if (headroom <= 0)
		ret = -ENOSPC;
	else
		atomic_long_set(&unit->budget, headroom / 2);	/* this one taken */
out:
	mutex_unlock(&pshim_units_lock);
	return ret;
}

/*
 * Before dom is attached to a PASID of sdev. dev->lock held; the
 * domain's first attachment on the unit takes a DID there.
 */
int pshim_guard_attach(struct pshim_device *sdev, struct pshim_domain *dom)
{
	if (pshim_attach_undo_unsafe() && !pshim_guard_alone(sdev))
		return -EXDEV;
	if (!sdev->unit || atomic_read(&dom->users))
		return 0;
	return pshim_guard_did(sdev->unit);
}

/* At unload. */
void pshim_guard_exit(void)
{
	struct pshim_unit *unit, *next;

	list_for_each_entry_safe(unit, next, &pshim_units, node)
		kfree(unit);
}
