// SPDX-License-Identifier: GPL-2.0
/*
 * Paging domains and the user memory mapped into them. Each mapping
 * pins its pages (long-term) and charges them to the mapping caller's
 * RLIMIT_MEMLOCK and pinned_vm until it is unmapped or the file closes.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

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
	mt_init(&dom->mappings);

	mutex_lock(&dev->lock);
	if (dev->dead) {
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

static int pshim_charge(struct pshim_mapping *map, unsigned long npages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	unsigned long cur, new;

	do {
		cur = atomic_long_read(&user->locked_vm);
		new = cur + npages;
		if (new > limit || new < cur)
			return -ENOMEM;
	} while (atomic_long_cmpxchg(&user->locked_vm, cur, new) != cur);
	map->user = get_uid(user);
	map->mm = current->mm;
	mmgrab(map->mm);
	atomic64_add(npages, &map->mm->pinned_vm);
	return 0;
}

static void pshim_uncharge(struct pshim_mapping *map)
{
	atomic_long_sub(map->npages, &map->user->locked_vm);
	atomic64_sub(map->npages, &map->mm->pinned_vm);
	free_uid(map->user);
	mmdrop(map->mm);
}

static void pshim_unpin(struct pshim_mapping *map, unsigned long npinned)
{
	unpin_user_pages_dirty_lock(map->pages, npinned,
				    map->prot & IOMMU_WRITE);
	atomic_long_sub(npinned, &pshim_stats.pinned_pages);
}

static int pshim_pin(struct pshim_mapping *map, unsigned long uva)
{
	unsigned int gup = FOLL_LONGTERM |
			   (map->prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	unsigned long done = 0;
	int ret;

	while (done < map->npages) {
		ret = pin_user_pages_fast(uva + (done << PAGE_SHIFT),
					  min(map->npages - done, 1UL << 18),
					  gup, map->pages + done);
		if (ret <= 0) {
			pshim_unpin(map, done);
			return ret ? ret : -EFAULT;
		}
		done += ret;
		atomic_long_add(ret, &pshim_stats.pinned_pages);
	}
	return 0;
}

/* Map physically contiguous runs of the pinned pages in one call each. */
static int pshim_map_pages(struct pshim_domain *dom, struct pshim_mapping *map)
{
	unsigned long i = 0, run;
	phys_addr_t start;
	int ret;

	while (i < map->npages) {
		start = page_to_phys(map->pages[i]);
		for (run = 1; i + run < map->npages; run++)
			if (page_to_phys(map->pages[i + run]) !=
			    start + (run << PAGE_SHIFT))
				break;
		ret = pshim_iommu_map(dom->domain, map->iova + (i << PAGE_SHIFT),
				      start, run << PAGE_SHIFT, map->prot);
		if (ret) {
			if (i)
				iommu_unmap(dom->domain, map->iova, i << PAGE_SHIFT);
			return ret;
		}
		i += run;
	}
	return 0;
}

int pshim_domain_map(struct pshim_domain *dom, unsigned long uva,
		     unsigned long iova, size_t length, int prot)
{
	unsigned long last = iova + length - 1;
	struct pshim_mapping *map;
	int ret;

	map = kzalloc(sizeof(*map), GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	map->iova = iova;
	map->length = length;
	map->npages = length >> PAGE_SHIFT;
	map->prot = prot;
	map->pages = kvmalloc_array(map->npages, sizeof(*map->pages),
				    GFP_KERNEL_ACCOUNT);
	if (!map->pages) {
		ret = -ENOMEM;
		goto err_free;
	}
	/* Reserve the range first: an overlap fails before any pinning. */
	ret = mtree_insert_range(&dom->mappings, iova, last, map,
				 GFP_KERNEL_ACCOUNT);
	if (ret)
		goto err_free;
	ret = pshim_charge(map, map->npages);
	if (ret)
		goto err_erase;
	ret = pshim_pin(map, uva);
	if (ret)
		goto err_uncharge;
	ret = pshim_map_pages(dom, map);
	if (ret)
		goto err_unpin;
	return 0;

err_unpin:
	pshim_unpin(map, map->npages);
err_uncharge:
	pshim_uncharge(map);
err_erase:
	mtree_erase(&dom->mappings, iova);
err_free:
	kvfree(map->pages);
	kfree(map);
	return ret;
}

static void pshim_mapping_free(struct pshim_domain *dom,
			       struct pshim_mapping *map)
{
	size_t unmapped = iommu_unmap(dom->domain, map->iova, map->length);

	WARN_ON(unmapped != map->length);
	pshim_unpin(map, map->npages);
	pshim_uncharge(map);
	kvfree(map->pages);
	kfree(map);
}

int pshim_domain_unmap(struct pshim_domain *dom, unsigned long iova,
		       size_t length, u64 *unmapped)
{
	unsigned long last = iova + length - 1, index = iova;
	struct pshim_mapping *map;
	u64 total = 0;

	/* First pass: refuse the lot if a mapping straddles an edge. */
	mt_for_each(&dom->mappings, map, index, last) {
		if (map->iova < iova || map->iova + map->length - 1 > last)
			return -EINVAL;
		total += map->length;
	}
	if (!total)
		return -ENOENT;
	index = iova;
	mt_for_each(&dom->mappings, map, index, last) {
		mtree_erase(&dom->mappings, map->iova);
		pshim_mapping_free(dom, map);
	}
	*unmapped = total;
	return 0;
}

int pshim_domain_destroy(struct pshim_ctx *ctx, struct pshim_domain *dom)
{
	struct pshim_mapping *map;
	unsigned long index = 0;

	if (atomic_read(&dom->users))
		return -EBUSY;
	pshim_obj_remove(ctx, &dom->obj);
	mt_for_each(&dom->mappings, map, index, ULONG_MAX)
		pshim_mapping_free(dom, map);
	mtree_destroy(&dom->mappings);
	iommu_domain_free(dom->domain);
	kfree(dom);
	atomic_dec(&pshim_stats.domains);
	return 0;
}
