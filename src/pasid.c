// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device PASID table: pasid -> domain, kept in step with what
 * the IOMMU core has attached. Every change happens under dev->lock.
 */
#include "compat.h"
#include "pasid_shim.h"

/* Checks shared by attach and replace; dev->lock held. */
static int pshim_pasid_check(struct pshim_device *dev, u32 pasid,
			     struct pshim_domain *dom)
{
	lockdep_assert_held(&dev->lock);
	if (dev->dead)
		return -ENODEV;
	/* The core range-checks only from 6.9, and not at all for 0. */
	if (!pasid || pasid >= dev->max_pasids)
		return -EINVAL;
	if (dom && dom->iommu != dev->pdev->dev.iommu->iommu_dev)
		return -EINVAL;
	return 0;
}

static void pshim_pasid_account(struct pshim_domain *old,
				struct pshim_domain *new)
{
	if (new) {
		atomic_inc(&new->users);
		atomic_inc(&pshim_stats.attachments);
	}
	if (old) {
		atomic_dec(&pshim_stats.attachments);
		atomic_dec(&old->users);
	}
}

int pshim_pasid_attach(struct pshim_device *dev, u32 pasid,
		       struct pshim_domain *dom)
{
	int ret;

	mutex_lock(&dev->lock);
	ret = pshim_pasid_check(dev, pasid, dom);
	if (ret)
		goto out_unlock;
	/* EBUSY for any domain already there, the same one included. */
	ret = xa_insert(&dev->pasids, pasid, dom, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto out_unlock;
	ret = pshim_attach_pasid(dom->domain, &dev->pdev->dev, pasid);
	if (ret) {
		xa_erase(&dev->pasids, pasid);
		goto out_unlock;
	}
	pshim_pasid_account(NULL, dom);
out_unlock:
	mutex_unlock(&dev->lock);
	return ret;
}

/*
 * Without the kernel's atomic replace: detach the old domain, attach
 * the new one, and put the old one back if that fails. DMA on the PASID
 * faults in between; PASID_SHIM_GET_INFO tells userspace which it gets.
 */
static int pshim_pasid_swap(struct pshim_device *dev, u32 pasid,
			    struct pshim_domain *old, struct pshim_domain *dom)
{
	struct device *d = &dev->pdev->dev;
	int ret, undo;

	if (pshim_have_atomic_replace())
		return pshim_replace_pasid(dom->domain, d, pasid);

	pshim_detach_pasid(old->domain, d, pasid);
	ret = pshim_attach_pasid(dom->domain, d, pasid);
	if (!ret)
		return 0;
	undo = pshim_attach_pasid(old->domain, d, pasid);
	if (undo) {
		dev_err(d, "pasid-shim: pasid %u lost its domain: replace failed (%d), restore failed (%d)\n",
			pasid, ret, undo);
		xa_erase(&dev->pasids, pasid);
		pshim_pasid_account(old, NULL);
	}
	return ret;
}

int pshim_pasid_replace(struct pshim_device *dev, u32 pasid,
			struct pshim_domain *dom, struct pshim_domain **out_old)
{
	struct pshim_domain *old;
	int ret;

	mutex_lock(&dev->lock);
	ret = pshim_pasid_check(dev, pasid, dom);
	if (ret)
		goto out_unlock;
	old = xa_load(&dev->pasids, pasid);
	if (!old) {
		ret = -EINVAL;
		goto out_unlock;
	}
	*out_old = old;
	if (old == dom)
		goto out_unlock;
	ret = pshim_pasid_swap(dev, pasid, old, dom);
	if (ret)
		goto out_unlock;
	xa_store(&dev->pasids, pasid, dom, GFP_KERNEL);
	pshim_pasid_account(old, dom);
out_unlock:
	mutex_unlock(&dev->lock);
	return ret;
}

int pshim_pasid_detach(struct pshim_device *dev, u32 pasid)
{
	struct pshim_domain *dom;
	int ret;

	mutex_lock(&dev->lock);
	ret = pshim_pasid_check(dev, pasid, NULL);
	if (ret)
		goto out_unlock;
	dom = xa_erase(&dev->pasids, pasid);
	if (!dom) {
		ret = -ENOENT;
		goto out_unlock;
	}
	pshim_detach_pasid(dom->domain, &dev->pdev->dev, pasid);
	pshim_pasid_account(dom, NULL);
out_unlock:
	mutex_unlock(&dev->lock);
	return ret;
}

void pshim_pasid_detach_all(struct pshim_device *dev, bool mark_dead)
{
	struct pshim_domain *dom;
	unsigned long pasid;

	mutex_lock(&dev->lock);
	xa_for_each(&dev->pasids, pasid, dom) {
		pshim_detach_pasid(dom->domain, &dev->pdev->dev, pasid);
		xa_erase(&dev->pasids, pasid);
		pshim_pasid_account(dom, NULL);
	}
	if (mark_dead)
		dev->dead = true;
	mutex_unlock(&dev->lock);
}

int pshim_pasid_list(struct pshim_device *dev, struct pasid_shim_entry *out,
		     u32 capacity, u32 *count)
{
	struct pshim_domain *dom;
	unsigned long pasid;
	u32 n = 0;

	mutex_lock(&dev->lock);
	if (dev->dead) {
		mutex_unlock(&dev->lock);
		return -ENODEV;
	}
	xa_for_each(&dev->pasids, pasid, dom) {
		if (n < capacity) {
			out[n].pasid = pasid;
			out[n].domain_id = dom->obj.id;
		}
		n++;
	}
	mutex_unlock(&dev->lock);
	*count = n;
	return 0;
}
