// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device PASID table: pasid -> domain, kept in step with what
 * the IOMMU core has attached. Every change happens under sdev->lock.
 *
 * What the table stores per PASID depends on the kernel: where the core
 * takes an attach handle (6.11+) it keeps a pointer to it for as long as
 * the PASID is attached, so each attachment is one small allocation
 * holding the handle and its domain (struct pshim_pasid); elsewhere the
 * table holds the domain itself and attaching allocates nothing.
 */
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "pasid_shim.h"

/* LIST entries copied out per step (256 bytes). */
#define PSHIM_PASID_CHUNK	32

static void *pshim_entry_new(struct pshim_domain *dom)
{
	struct pshim_pasid *e;

	if (!pshim_attach_takes_handle())
		return dom;
	e = kmalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (e) {
		memset(&e->handle, 0, sizeof(e->handle));
		e->dom = dom;
	}
	return e;
}

struct pshim_domain *pshim_entry_dom(void *entry)
{
	return pshim_attach_takes_handle() ?
	       ((struct pshim_pasid *)entry)->dom : entry;
}

static struct pshim_attach_handle *pshim_entry_handle(void *entry)
{
	return pshim_attach_takes_handle() ?
	       &((struct pshim_pasid *)entry)->handle : NULL;
}

static void pshim_entry_free(void *entry)
{
	if (pshim_attach_takes_handle())
		kfree(entry);
}

/* Checks shared by attach, replace and detach; sdev->lock held. */
static int pshim_pasid_check(struct pshim_device *sdev, u32 pasid,
			     struct pshim_domain *dom)
{
	lockdep_assert_held(&sdev->lock);
	if (sdev->state != PSHIM_DEV_LIVE)
		return -ENODEV;
	/* The core range-checks only from 6.9, and not at all for 0. */
	if (!pasid || pasid >= sdev->max_pasids)
		return -EINVAL;
	if (dom && dom->iommu != sdev->pdev->dev.iommu->iommu_dev)
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

/* sdev->lock held. */
static int __pshim_pasid_attach(struct pshim_device *sdev, u32 pasid,
				struct pshim_domain *dom)
{
	void *entry;
	int ret;

	ret = pshim_pasid_check(sdev, pasid, dom);
	if (ret)
		return ret;
	ret = pshim_guard_attach(sdev, dom);
	if (ret)
		return ret;
	entry = pshim_entry_new(dom);
	if (!entry)
		return -ENOMEM;
	/*
	 * EBUSY for any domain already there, the same one included, as
	 * the IOMMU core and iommufd_device_attach() answer.
	 */
	ret = xa_insert(&sdev->pasids, pasid, entry, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_free;
	ret = pshim_attach_pasid(dom->domain, &sdev->pdev->dev, pasid,
				 pshim_entry_handle(entry));
	if (ret)
		goto err_erase;
	pshim_pasid_account(NULL, dom);
	sdev->nr_pasids++;
	return 0;

err_erase:
	xa_erase(&sdev->pasids, pasid);
err_free:
	pshim_entry_free(entry);
	return ret;
}

int pshim_pasid_attach(struct pshim_device *sdev, u32 pasid,
		       struct pshim_domain *dom)
{
	int ret;

	mutex_lock(&sdev->lock);
	ret = __pshim_pasid_attach(sdev, pasid, dom);
	mutex_unlock(&sdev->lock);
	return ret;
}

/*
 * Put @new's domain in place of @old's on the PASID. With the kernel's
 * atomic replace the old domain stays attached if the new one is
 * refused. Without it: detach the old domain, attach the new one, and
 * put the old one back if that fails; DMA on the PASID faults in
 * between, and PASID_SHIM_GET_INFO tells userspace which it gets.
 */
static int pshim_pasid_swap(struct pshim_device *sdev, u32 pasid,
			    void *old, void *new)
{
	struct pshim_domain *old_dom = pshim_entry_dom(old);
	struct pshim_domain *new_dom = pshim_entry_dom(new);
	struct device *dev = &sdev->pdev->dev;
	int ret, undo;

	/* Nothing the driver would refuse gets past here (guard.c). */
	ret = pshim_guard_attach(sdev, new_dom);
	if (ret)
		return ret;
	if (pshim_have_atomic_replace())
		return pshim_replace_pasid(new_dom->domain, dev, pasid,
					   pshim_entry_handle(new));

	pshim_detach_pasid(old_dom->domain, dev, pasid);
	ret = pshim_attach_pasid(new_dom->domain, dev, pasid, pshim_entry_handle(new));
	if (!ret)
		return 0;
	undo = pshim_attach_pasid(old_dom->domain, dev, pasid, pshim_entry_handle(old));
	if (undo) {
		dev_err(dev, "pasid-shim: pasid %u lost its domain: replace failed (%d), restore failed (%d)\n",
			pasid, ret, undo);
		xa_erase(&sdev->pasids, pasid);
		sdev->nr_pasids--;
		pshim_pasid_account(old_dom, NULL);
		pshim_entry_free(old);
	}
	return ret;
}

int pshim_pasid_replace(struct pshim_device *sdev, u32 pasid,
			struct pshim_domain *dom, struct pshim_domain **out_old)
{
	void *old, *new;
	int ret;

	/* A fresh handle each time: the core may still hold the old one. */
	new = pshim_entry_new(dom);
	if (!new)
		return -ENOMEM;

	mutex_lock(&sdev->lock);
	ret = pshim_pasid_check(sdev, pasid, dom);
	if (ret)
		goto out_unlock;
	old = xa_load(&sdev->pasids, pasid);
	if (!old) {
		ret = -EINVAL;
		goto out_unlock;
	}
	*out_old = pshim_entry_dom(old);
	if (*out_old == dom)
		goto out_unlock;
	ret = pshim_pasid_swap(sdev, pasid, old, new);
	if (ret)
		goto out_unlock;
	xa_store(&sdev->pasids, pasid, new, GFP_KERNEL);
	pshim_pasid_account(*out_old, dom);
	pshim_entry_free(old);
	new = NULL;
out_unlock:
	mutex_unlock(&sdev->lock);
	if (new)
		pshim_entry_free(new);
	return ret;
}

static void pshim_pasid_remove(struct pshim_device *sdev, u32 pasid,
			       void *entry)
{
	struct pshim_domain *dom = pshim_entry_dom(entry);

	pshim_detach_pasid(dom->domain, &sdev->pdev->dev, pasid);
	xa_erase(&sdev->pasids, pasid);
	sdev->nr_pasids--;
	pshim_pasid_account(dom, NULL);
	pshim_entry_free(entry);
}

/* sdev->lock held. */
static int __pshim_pasid_detach(struct pshim_device *sdev, u32 pasid)
{
	void *entry;
	int ret;

	ret = pshim_pasid_check(sdev, pasid, NULL);
	if (ret)
		return ret;
	entry = xa_load(&sdev->pasids, pasid);
	if (!entry)
		return -ENOENT;
	pshim_pasid_remove(sdev, pasid, entry);
	return 0;
}

int pshim_pasid_detach(struct pshim_device *sdev, u32 pasid)
{
	int ret;

	mutex_lock(&sdev->lock);
	ret = __pshim_pasid_detach(sdev, pasid);
	mutex_unlock(&sdev->lock);
	return ret;
}

/*
 * n elements under one hold of sdev->lock, in order, stopping at the
 * first failure; *done counts those done. @doms NULL: detach.
 */
int pshim_pasid_many(struct pshim_device *sdev, const struct pasid_shim_entry *e,
		     struct pshim_domain *const *doms, u32 n, u32 *done)
{
	int ret = 0;
	u32 i;

	mutex_lock(&sdev->lock);
	for (i = 0; i < n && !ret; i++)
		ret = doms ? __pshim_pasid_attach(sdev, e[i].pasid, doms[i]) :
			     __pshim_pasid_detach(sdev, e[i].pasid);
	mutex_unlock(&sdev->lock);
	*done = ret ? i - 1 : i;
	return ret;
}

int pshim_pasid_detach_all(struct pshim_device *sdev, bool killable)
{
	unsigned long pasid;
	void *entry;

	lockdep_assert_held(&sdev->lock);
	xa_for_each(&sdev->pasids, pasid, entry) {
		pshim_pasid_remove(sdev, pasid, entry);
		if (killable && fatal_signal_pending(current))
			return xa_empty(&sdev->pasids) ? 0 : -EINTR;
		cond_resched();
	}
	return 0;
}

bool pshim_pasid_attached(struct pshim_device *sdev, u32 pasid)
{
	bool ret;

	mutex_lock(&sdev->lock);
	ret = xa_load(&sdev->pasids, pasid);
	mutex_unlock(&sdev->lock);
	return ret;
}

/*
 * Up to @n entries from PASID *@next on, under sdev->lock; *@next is
 * then where the following chunk starts. 0 entries: none left.
 */
static int pshim_pasid_list_chunk(struct pshim_device *sdev,
				  struct pasid_shim_entry *e, u32 n,
				  unsigned long *next)
{
	void *entry;
	int k = 0;

	mutex_lock(&sdev->lock);
	if (sdev->state != PSHIM_DEV_LIVE) {
		mutex_unlock(&sdev->lock);
		return -ENODEV;
	}
	for (entry = xa_find(&sdev->pasids, next, ULONG_MAX, XA_PRESENT);
	     entry && k < n;
	     entry = xa_find_after(&sdev->pasids, next, ULONG_MAX, XA_PRESENT)) {
		e[k].pasid = *next;
		e[k].domain_id = pshim_entry_dom(entry)->obj.id;
		k++;
	}
	if (!entry)
		*next = ULONG_MAX;
	mutex_unlock(&sdev->lock);
	return k;
}

/*
 * Under the file's lock the table can only change by the device dying
 * (the bus notifier), which LIST then answers with ENODEV; so the
 * entries copied out and the count agree.
 */
int pshim_pasid_list(struct pshim_device *sdev,
		     struct pasid_shim_entry __user *out, u32 capacity,
		     u32 *count)
{
	struct pasid_shim_entry e[PSHIM_PASID_CHUNK];
	unsigned long next = 0;
	u32 filled = 0;
	int k;

	while (filled < capacity && next != ULONG_MAX) {
		k = min_t(u32, capacity - filled, ARRAY_SIZE(e));
		k = pshim_pasid_list_chunk(sdev, e, k, &next);
		if (k < 0)
			return k;
		if (copy_to_user(out + filled, e, k * sizeof(*e)))
			return -EFAULT;
		filled += k;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	mutex_lock(&sdev->lock);
	*count = sdev->nr_pasids;
	k = sdev->state == PSHIM_DEV_LIVE ? 0 : -ENODEV;
	mutex_unlock(&sdev->lock);
	return k;
}
