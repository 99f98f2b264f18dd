// SPDX-License-Identifier: GPL-2.0
/*
 * Paging domains and the user memory mapped into them.
 *
 * A mapping is one allocation, its IOVA range node embedded, in the
 * domain's interval tree. A MAP charges its pages before anything is
 * pinned, as iommufd's pages.c does: RLIMIT_MEMLOCK on the caller's
 * user->locked_vm unless the caller has CAP_IPC_LOCK, and always the
 * caller's mm->pinned_vm; then pin.c pins and maps them, in batches.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "pin.h"
#include "compat.h"
#include "pasid_shim.h"

struct pshim_domain *pshim_domain_alloc(struct pshim_ctx *ctx,
					struct pshim_device *dev)
{
	struct iommu_domain *domain;
	struct pshim_domain *dom;
	int ret;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom)
		return ERR_PTR(-ENOMEM);
	dom->mappings = RB_ROOT_CACHED;

	mutex_lock(&dev->lock);
	if (dev->state != PSHIM_DEV_LIVE) {
		ret = -ENODEV;
		goto err_unlock;
	}
	domain = pshim_paging_domain_alloc(&dev->pdev->dev);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		goto err_unlock;
	}
	dom->domain = domain;
	dom->iommu = dev->pdev->dev.iommu->iommu_dev;
	dom->max_iova = min_t(u64, domain->geometry.aperture_end, dev->max_iova);
	dom->flush_order = dev->flush_order;
	mutex_unlock(&dev->lock);

	ret = pshim_obj_add(ctx, &dom->obj, PSHIM_OBJ_DOMAIN);
	if (ret) {
		iommu_domain_free(domain);
		kfree(dom);
		return ERR_PTR(ret);
	}
	atomic_inc(&pshim_stats.domains);
	return dom;

err_unlock:
	mutex_unlock(&dev->lock);
	kfree(dom);
	return ERR_PTR(ret);
}

static unsigned long pshim_mapping_npages(struct pshim_mapping *map)
{
	return (map->node.last - map->node.start + 1) >> PAGE_SHIFT;
}

/* iommufd's incr_user_locked_vm() and the pinned_vm of do_update_pinned(). */
static int pshim_charge(struct pshim_mapping *map, unsigned long npages)
{
	if (!capable(CAP_IPC_LOCK)) {
		struct user_struct *user = current_user();
		unsigned long limit, cur, new;

		limit = task_rlimit(current->group_leader, RLIMIT_MEMLOCK) >>
			PAGE_SHIFT;
		cur = atomic_long_read(&user->locked_vm);
		do {
			new = cur + npages;
			if (new > limit || new < cur)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
		map->user = get_uid(user);
	}
	map->mm = current->mm;
	mmgrab(map->mm);
	atomic64_add(npages, &map->mm->pinned_vm);
	return 0;
}

static void pshim_uncharge(struct pshim_mapping *map)
{
	unsigned long npages = pshim_mapping_npages(map);

	if (map->user) {
		atomic_long_sub(npages, &map->user->locked_vm);
		free_uid(map->user);
	}
	atomic64_sub(npages, &map->mm->pinned_vm);
	mmdrop(map->mm);
}

int pshim_domain_map(struct pshim_domain *dom, unsigned long uva,
		     unsigned long iova, u64 length, int prot)
{
	struct pshim_mapping *map;
	int ret;

	if (interval_tree_iter_first(&dom->mappings, iova, iova + length - 1))
		return -EEXIST;
	map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	map->node.start = iova;
	map->node.last = iova + length - 1;
	map->prot = prot;
	/* Charged before anything in proportion to the length is done. */
	ret = pshim_charge(map, length >> PAGE_SHIFT);
	if (ret)
		goto err_free;
	ret = pshim_pin_map(dom->domain, uva, iova, length, prot,
			    dom->flush_order, &pshim_stats.pinned_pages);
	if (ret)
		goto err_uncharge;
	interval_tree_insert(&map->node, &dom->mappings);
	return 0;

err_uncharge:
	pshim_uncharge(map);
err_free:
	kfree(map);
	return ret;
}

static void pshim_mapping_free(struct pshim_domain *dom,
			       struct pshim_mapping *map)
{
	interval_tree_remove(&map->node, &dom->mappings);
	pshim_unmap_unpin(dom->domain, map->node.start,
			  map->node.last - map->node.start + 1,
			  map->prot & IOMMU_WRITE, dom->flush_order,
			  &pshim_stats.pinned_pages);
	pshim_uncharge(map);
	kfree(map);
}

int pshim_domain_unmap(struct pshim_domain *dom, unsigned long iova,
		       u64 length, u64 *unmapped)
{
	unsigned long last = iova + length - 1;
	struct interval_tree_node *node;
	u64 total = 0;

	/* First pass: refuse the lot if a mapping straddles an edge. */
	for (node = interval_tree_iter_first(&dom->mappings, iova, last); node;
	     node = interval_tree_iter_next(node, iova, last)) {
		if (node->start < iova || node->last > last)
			return -EINVAL;
		total += node->last - node->start + 1;
	}
	if (!total)
		return -ENOENT;
	while ((node = interval_tree_iter_first(&dom->mappings, iova, last)))
		pshim_mapping_free(dom, container_of(node, struct pshim_mapping, node));
	*unmapped = total;
	return 0;
}

int pshim_domain_destroy(struct pshim_ctx *ctx, struct pshim_domain *dom)
{
	struct interval_tree_node *node;

	if (atomic_read(&dom->users))
		return -EBUSY;
	pshim_obj_remove(ctx, &dom->obj);
	while ((node = interval_tree_iter_first(&dom->mappings, 0, ULONG_MAX)))
		pshim_mapping_free(dom, container_of(node, struct pshim_mapping, node));
	iommu_domain_free(dom->domain);
	kfree(dom);
	atomic_dec(&pshim_stats.domains);
	return 0;
}
