// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device PASID table: pasid -> domain, kept in step with what
 * the IOMMU core has attached. Every change happens under dev->lock.
 *
 * What the table stores per PASID depends on the kernel: where the core
 * takes an attach handle (6.11+) it keeps a pointer to it for as long as
 * the PASID is attached, so each attachment is one small allocation
 * holding the handle and its domain (struct pshim_pasid); elsewhere the
 * table holds the domain itself and attaching allocates nothing.
 */
#include <linux/slab.h>

#include "pasid_shim.h"

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

/* Checks shared by attach, replace and detach; dev->lock held. */
static int pshim_pasid_check(struct pshim_device *dev, u32 pasid,
			     struct pshim_domain *dom)
{
	lockdep_assert_held(&dev->lock);
	if (dev->state != PSHIM_DEV_LIVE)
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

/* dev->lock held. */
static int __pshim_pasid_attach(struct pshim_device *dev, u32 pasid,
				struct pshim_domain *dom)
{
	void *entry;
	int ret;

	ret = pshim_pasid_check(dev, pasid, dom);
	if (ret)
		return ret;
	ret = pshim_guard_attach(dev, dom);
	if (ret)
		return ret;
	entry = pshim_entry_new(dom);
	if (!entry)
		return -ENOMEM;
	/*
	 * EBUSY for any domain already there, the same one included, as
	 * the IOMMU core and iommufd_device_attach() answer.
	 */
	ret = xa_insert(&dev->pasids, pasid, entry, GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_free;
	ret = pshim_attach_pasid(dom->domain, &dev->pdev->dev, pasid,
				 pshim_entry_handle(entry));
	if (ret)
		goto err_erase;
	pshim_pasid_account(NULL, dom);
	dev->nr_pasids++;
	return 0;

err_erase:
	xa_erase(&dev->pasids, pasid);
err_free:
	pshim_entry_free(entry);
	return ret;
}

int pshim_pasid_attach(struct pshim_device *dev, u32 pasid,
		       struct pshim_domain *dom)
{
	int ret;

	mutex_lock(&dev->lock);
	ret = __pshim_pasid_attach(dev, pasid, dom);
	mutex_unlock(&dev->lock);
	return ret;
}

/*
 * n attachments under one hold of dev->lock, in order, stopping at the
 * first failure; *done counts those made.
 */
int pshim_pasid_attach_many(struct pshim_device *dev, const u32 *pasids,
			    struct pshim_domain *const *doms, u32 n, u32 *done)
{
	int ret = 0;
	u32 i;

	mutex_lock(&dev->lock);
	for (i = 0; i < n; i++) {
		ret = __pshim_pasid_attach(dev, pasids[i], doms[i]);
		if (ret)
			break;
	}
	mutex_unlock(&dev->lock);
	*done = i;
	return ret;
}

/*
 * Put @new_entry's domain in place of @old's on the PASID. With the
 * kernel's atomic replace the old domain stays attached if the new one
 * is refused. Without it: detach the old domain, attach the new one,
 * and put the old one back if that fails; DMA on the PASID faults in
 * between, and PASID_SHIM_GET_INFO tells userspace which it gets.
 */
static int pshim_pasid_swap(struct pshim_device *dev, u32 pasid,
			    void *old, void *new)
{
	struct pshim_domain *old_dom = pshim_entry_dom(old);
	struct pshim_domain *new_dom = pshim_entry_dom(new);
	struct device *d = &dev->pdev->dev;
	int ret, undo;

	/* Nothing the driver would refuse gets past here (guard.c). */
	ret = pshim_guard_attach(dev, new_dom);
	if (ret)
		return ret;
	if (pshim_have_atomic_replace())
		return pshim_replace_pasid(new_dom->domain, d, pasid,
					   pshim_entry_handle(new));

	pshim_detach_pasid(old_dom->domain, d, pasid);
	ret = pshim_attach_pasid(new_dom->domain, d, pasid, pshim_entry_handle(new));
	if (!ret)
		return 0;
	undo = pshim_attach_pasid(old_dom->domain, d, pasid, pshim_entry_handle(old));
	if (undo) {
		dev_err(d, "pasid-shim: pasid %u lost its domain: replace failed (%d), restore failed (%d)\n",
			pasid, ret, undo);
		xa_erase(&dev->pasids, pasid);
		dev->nr_pasids--;
		pshim_pasid_account(old_dom, NULL);
		pshim_entry_free(old);
	}
	return ret;
}

int pshim_pasid_replace(struct pshim_device *dev, u32 pasid,
			struct pshim_domain *dom, struct pshim_domain **out_old)
{
	void *old, *new;
	int ret;

	/* A fresh handle each time: the core may still hold the old one. */
	new = pshim_entry_new(dom);
	if (!new)
		return -ENOMEM;

	mutex_lock(&dev->lock);
	ret = pshim_pasid_check(dev, pasid, dom);
	if (ret)
		goto out_unlock;
	old = xa_load(&dev->pasids, pasid);
	if (!old) {
		ret = -EINVAL;
		goto out_unlock;
	}
	*out_old = pshim_entry_dom(old);
	if (*out_old == dom)
		goto out_unlock;
	ret = pshim_pasid_swap(dev, pasid, old, new);
	if (ret)
		goto out_unlock;
	xa_store(&dev->pasids, pasid, new, GFP_KERNEL);
	pshim_pasid_account(*out_old, dom);
	pshim_entry_free(old);
	new = NULL;
out_unlock:
	mutex_unlock(&dev->lock);
	if (new)
		pshim_entry_free(new);
	return ret;
}

static void pshim_pasid_remove(struct pshim_device *dev, u32 pasid,
			       void *entry)
{
	struct pshim_domain *dom = pshim_entry_dom(entry);

	pshim_detach_pasid(dom->domain, &dev->pdev->dev, pasid);
	xa_erase(&dev->pasids, pasid);
	dev->nr_pasids--;
	pshim_pasid_account(dom, NULL);
	pshim_entry_free(entry);
}

/* dev->lock held. */
static int __pshim_pasid_detach(struct pshim_device *dev, u32 pasid)
{
	void *entry;
	int ret;

	ret = pshim_pasid_check(dev, pasid, NULL);
	if (ret)
		return ret;
	entry = xa_load(&dev->pasids, pasid);
	if (!entry)
		return -ENOENT;
	pshim_pasid_remove(dev, pasid, entry);
	return 0;
}

int pshim_pasid_detach(struct pshim_device *dev, u32 pasid)
{
	int ret;

	mutex_lock(&dev->lock);
	ret = __pshim_pasid_detach(dev, pasid);
	mutex_unlock(&dev->lock);
	return ret;
}

/* As pshim_pasid_attach_many(). */
int pshim_pasid_detach_many(struct pshim_device *dev, const u32 *pasids,
			    u32 n, u32 *done)
{
	int ret = 0;
	u32 i;

	mutex_lock(&dev->lock);
	for (i = 0; i < n; i++) {
		ret = __pshim_pasid_detach(dev, pasids[i]);
		if (ret)
			break;
	}
	mutex_unlock(&dev->lock);
	*done = i;
	return ret;
}

/* Every PASID of the device, when it dies; dev->lock held. */
void pshim_pasid_detach_all(struct pshim_device *dev)
{
	unsigned long pasid;
	void *entry;

	lockdep_assert_held(&dev->lock);
	xa_for_each(&dev->pasids, pasid, entry) {
		pshim_pasid_remove(dev, pasid, entry);
		cond_resched();
	}
}

bool pshim_pasid_attached(struct pshim_device *dev, u32 pasid)
{
	bool ret;

	mutex_lock(&dev->lock);
	ret = xa_load(&dev->pasids, pasid);
	mutex_unlock(&dev->lock);
	return ret;
}

/*
 * How many PASIDs are attached. Under the file's lock the count can only
 * shrink (the bus notifier detaches, nothing else attaches), so it bounds
 * the buffer a following LIST needs.
 */
u32 pshim_pasid_count(struct pshim_device *dev)
{
	u32 n;

	mutex_lock(&dev->lock);
	n = dev->nr_pasids;
	mutex_unlock(&dev->lock);
	return n;
}

int pshim_pasid_list(struct pshim_device *dev, struct pasid_shim_entry *out,
		     u32 capacity, u32 *count)
{
	unsigned long pasid;
	void *entry;
	u32 n = 0;

	mutex_lock(&dev->lock);
	if (dev->state != PSHIM_DEV_LIVE) {
		mutex_unlock(&dev->lock);
		return -ENODEV;
	}
	xa_for_each(&dev->pasids, pasid, entry) {
		if (n < capacity) {
			out[n].pasid = pasid;
			out[n].domain_id = pshim_entry_dom(entry)->obj.id;
		}
		n++;
	}
	mutex_unlock(&dev->lock);
	*count = n;
	return 0;
}

/*
 * PASIDs from the IOMMU core's global allocator, the one SVA and kernel
 * drivers take theirs from: the file holds them until it frees them or
 * closes, and may attach them to any of its devices.
 */
int pshim_pasid_alloc(struct pshim_ctx *ctx, struct pshim_device *dev,
		      u32 *out)
{
	ioasid_t pasid;
	int ret;

	mutex_lock(&dev->lock);
	if (dev->state != PSHIM_DEV_LIVE) {
		mutex_unlock(&dev->lock);
		return -ENODEV;
	}
	pasid = pshim_alloc_global_pasid(&dev->pdev->dev);
	mutex_unlock(&dev->lock);
	if (pasid == IOMMU_PASID_INVALID)
		return pshim_have_global_pasid() ? -ENOSPC : -EOPNOTSUPP;
	ret = xa_insert(&ctx->pasids, pasid, xa_mk_value(0), GFP_KERNEL_ACCOUNT);
	if (ret) {
		pshim_free_global_pasid(pasid);
		return ret;
	}
	atomic_inc(&pshim_stats.pasids);
	*out = pasid;
	return 0;
}

/* EBUSY while attached to a device of the file. */
int pshim_pasid_free(struct pshim_ctx *ctx, u32 pasid)
{
	struct pshim_obj *obj;
	unsigned long id;

	if (!xa_load(&ctx->pasids, pasid))
		return -ENOENT;
	xa_for_each(&ctx->objects, id, obj)
		if (obj->type == PSHIM_OBJ_DEVICE &&
		    pshim_pasid_attached(container_of(obj, struct pshim_device, obj), pasid))
			return -EBUSY;
	xa_erase(&ctx->pasids, pasid);
	pshim_free_global_pasid(pasid);
	atomic_dec(&pshim_stats.pasids);
	return 0;
}

/* At close, after every device is gone. */
void pshim_pasid_free_all(struct pshim_ctx *ctx)
{
	unsigned long pasid;
	void *entry;

	xa_for_each(&ctx->pasids, pasid, entry) {
		xa_erase(&ctx->pasids, pasid);
		pshim_free_global_pasid(pasid);
		atomic_dec(&pshim_stats.pasids);
	}
}
