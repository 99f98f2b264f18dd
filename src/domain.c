// SPDX-License-Identifier: GPL-2.0
/*
 * Paging domains and the user memory mapped into them.
 *
 * A MAP pins its pages (long-term) and maps them in batches of one
 * page's worth of page pointers, so the kernel memory a call uses does
 * not grow with its length, and charges them before pinning anything,
 * as iommufd's pages.c does: RLIMIT_MEMLOCK on the caller's
 * user->locked_vm unless the caller has CAP_IPC_LOCK, and always the
 * caller's mm->pinned_vm. Mappings keep no page array: when one goes,
 * its pages are found again through the domain (iommu_iova_to_phys(),
 * as VFIO type1 and iommufd do), unmapped a run at a time with one
 * IOTLB flush per batch of runs, and unpinned as runs.
 */
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "compat.h"
#include "pasid_shim.h"

/* Pages pinned per pin_user_pages_fast() call: one page of pointers. */
#define PSHIM_PIN_BATCH		(PAGE_SIZE / sizeof(struct page *))
/* A MAP this small pins into an array on the stack: no allocation. */
#define PSHIM_PIN_SMALL		16
/* Physically contiguous runs unmapped per IOTLB flush. */
#define PSHIM_UNMAP_RUNS	16

struct pshim_run {
	phys_addr_t phys;
	size_t len;
};

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

static void pshim_unpin_run(phys_addr_t phys, size_t len, bool dirty)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(phys)),
					 len >> PAGE_SHIFT, dirty);
	atomic_long_sub(len >> PAGE_SHIFT, &pshim_stats.pinned_pages);
}

static void pshim_unpin_runs(struct pshim_run *runs, unsigned int n, bool dirty)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pshim_unpin_run(runs[i].phys, runs[i].len, dirty);
}

/*
 * Unmap [iova, iova + length), all of it mapped by pshim_domain_map(),
 * and unpin its pages: each physically contiguous run is one
 * unmap and one unpin, and the IOTLB is flushed before any page of a
 * batch of runs is unpinned.
 */
static void pshim_unmap_unpin(struct pshim_domain *dom, unsigned long iova,
			      u64 length, bool dirty)
{
	struct iommu_domain *domain = dom->domain;
	struct pshim_run runs[PSHIM_UNMAP_RUNS];
	struct iommu_iotlb_gather gather;
	unsigned int nr = 0;
	phys_addr_t phys;
	u64 off = 0;
	size_t len;

	iommu_iotlb_gather_init(&gather);
	while (off < length) {
		phys = iommu_iova_to_phys(domain, iova + off);
		if (!phys) {	/* not mapped: nothing of ours to unpin */
			off += PAGE_SIZE;
			continue;
		}
		for (len = PAGE_SIZE; off + len < length; len += PAGE_SIZE)
			if (iommu_iova_to_phys(domain, iova + off + len) != phys + len)
				break;
		iommu_unmap_fast(domain, iova + off, len, &gather);
		runs[nr].phys = phys;
		runs[nr].len = len;
		if (++nr == PSHIM_UNMAP_RUNS) {
			iommu_iotlb_sync(domain, &gather);
			pshim_unpin_runs(runs, nr, dirty);
			nr = 0;
			cond_resched();
		}
		off += len;
	}
	/*
	 * Never sync an empty gather: its range is ULONG_MAX..0, and
	 * intel-iommu (6.12, first-stage) turns that into a PASID IOTLB
	 * invalidation the unit rejects, and retries it forever.
	 */
	if (nr) {
		iommu_iotlb_sync(domain, &gather);
		pshim_unpin_runs(runs, nr, dirty);
	}
}

/*
 * Map the pinned pages[0..n) at iova, extending *run (pages pinned but
 * not mapped yet, physically contiguous) while they continue it, and
 * mapping it whenever they do not. On failure *run and pages[i..n)
 * are still pinned and unmapped; *mapped tells how far the rest got.
 */
static int pshim_map_batch(struct pshim_domain *dom, struct pshim_mapping *map,
			   struct page **pages, unsigned long n,
			   unsigned long iova, struct pshim_run *run,
			   unsigned long run_iova, unsigned long *i)
{
	phys_addr_t phys;
	int ret;

	for (*i = 0; *i < n; (*i)++, iova += PAGE_SIZE) {
		phys = page_to_phys(pages[*i]);
		if (run->len && phys == run->phys + run->len) {
			run->len += PAGE_SIZE;
			continue;
		}
		if (run->len) {
			ret = pshim_iommu_map(dom->domain, run_iova, run->phys,
					      run->len, map->prot);
			if (ret)
				return ret;
		}
		run->phys = phys;
		run->len = PAGE_SIZE;
		run_iova = iova;
	}
	return 0;
}

int pshim_domain_map(struct pshim_domain *dom, unsigned long uva,
		     unsigned long iova, u64 length, int prot)
{
	unsigned int gup = FOLL_LONGTERM | (prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	unsigned long npages = length >> PAGE_SHIFT, done = 0, i, n, batch;
	struct page *small[PSHIM_PIN_SMALL], **pages = small;
	struct pshim_run run = {};
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
	ret = pshim_charge(map, npages);
	if (ret)
		goto err_free;
	batch = ARRAY_SIZE(small);
	if (npages > batch) {
		pages = (struct page **)__get_free_page(GFP_KERNEL_ACCOUNT);
		if (!pages) {
			ret = -ENOMEM;
			goto err_uncharge;
		}
		batch = PSHIM_PIN_BATCH;
	}

	while (done < npages) {
		n = min(npages - done, batch);
		ret = pin_user_pages_fast(uva + (done << PAGE_SHIFT), n, gup, pages);
		if (ret <= 0) {
			ret = ret ? ret : -EFAULT;
			goto err_unwind;
		}
		n = ret;
		atomic_long_add(n, &pshim_stats.pinned_pages);
		/* The pending run starts where the mapped part ends. */
		ret = pshim_map_batch(dom, map, pages, n, iova + (done << PAGE_SHIFT),
				      &run, iova + (done << PAGE_SHIFT) - run.len, &i);
		if (ret) {
			unpin_user_pages(pages + i, n - i);
			atomic_long_sub(n - i, &pshim_stats.pinned_pages);
			done += i;
			goto err_unwind;
		}
		done += n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_unwind;
		}
		cond_resched();
	}
	ret = pshim_iommu_map(dom->domain, iova + length - run.len, run.phys,
			      run.len, prot);
	if (ret)
		goto err_unwind;
	if (pages != small)
		free_page((unsigned long)pages);
	interval_tree_insert(&map->node, &dom->mappings);
	return 0;

err_unwind:
	/* Pinned, not mapped: the pending run. Mapped: everything before it. */
	if (run.len)
		pshim_unpin_run(run.phys, run.len, false);
	pshim_unmap_unpin(dom, iova, (done << PAGE_SHIFT) - run.len,
			  prot & IOMMU_WRITE);
	if (pages != small)
		free_page((unsigned long)pages);
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
	pshim_unmap_unpin(dom, map->node.start,
			  map->node.last - map->node.start + 1,
			  map->prot & IOMMU_WRITE);
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
