// SPDX-License-Identifier: GPL-2.0
/*
 * Paging domains, the user memory mapped into them, and MAP's and
 * UNMAP's rules, next to the mappings they guard.
 *
 * A mapping is one object from a SLAB_ACCOUNT cache (the memory cgroup
 * is charged its bytes from a per-CPU stock, refilled a page at a time),
 * its IOVA range node embedded, in the domain's interval tree. A MAP
 * charges its pages before anything is pinned (acct.c), then pin.c pins
 * and maps them, in batches. Records are allocated one at a time, also
 * by MAP_MANY: a bulk allocation per chunk measured 5% faster per 4 KiB
 * buffer, but before 6.8 a bulk allocation that fails part way leaves
 * the memory cgroup charged for what it did not hand out, and it would
 * fail a whole chunk where one record's ENOMEM fails one buffer.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "pin.h"
#include "pasid_shim.h"

/* Buffers of a MAP_MANY copied in per step. */
#define PSHIM_MAP_CHUNK	16

struct pshim_mapping {
	struct interval_tree_node node;	/* IOVA node.start .. node.last */
	struct pshim_acct *acct;	/* who was charged */
	int prot;			/* IOMMU_READ | IOMMU_WRITE | ... */
};

static struct kmem_cache *pshim_mapping_cache;

struct pshim_domain *pshim_domain_create(struct pshim_ctx *ctx,
					 struct pshim_device *sdev)
{
	struct iommu_domain *domain;
	struct pshim_domain *dom;
	int ret;

	ret = pshim_file_domain_charge(ctx);
	if (ret)
		return ERR_PTR(ret);
	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom) {
		ret = -ENOMEM;
		goto err_uncharge;
	}
	dom->mappings = RB_ROOT_CACHED;

	mutex_lock(&sdev->lock);
	if (sdev->state != PSHIM_DEV_LIVE) {
		mutex_unlock(&sdev->lock);
		ret = -ENODEV;
		goto err_free;
	}
	domain = pshim_paging_domain_alloc(&sdev->pdev->dev);
	if (IS_ERR(domain)) {
		mutex_unlock(&sdev->lock);
		ret = PTR_ERR(domain);
		goto err_free;
	}
	dom->domain = domain;
	dom->iommu = sdev->pdev->dev.iommu->iommu_dev;
	dom->max_iova = min_t(u64, domain->geometry.aperture_end, sdev->max_iova);
	dom->flush_order = sdev->flush_order;
	mutex_unlock(&sdev->lock);

	ret = pshim_obj_add(ctx, &dom->obj, PSHIM_OBJ_DOMAIN);
	if (ret)
		goto err_domain;
	atomic_inc(&pshim_stats.domains);
	return dom;

err_domain:
	iommu_domain_free(dom->domain);
err_free:
	kfree(dom);
err_uncharge:
	pshim_file_domain_uncharge(ctx);
	return ERR_PTR(ret);
}

static unsigned long pshim_mapping_npages(struct pshim_mapping *map)
{
	return (map->node.last - map->node.start + 1) >> PAGE_SHIFT;
}

/* MAP's rules for one buffer; *last is its last IOVA byte. */
static int pshim_domain_map_check(struct pshim_domain *dom,
				  const struct pasid_shim_map_entry *e, u64 *last)
{
	if (!e->length || !PAGE_ALIGNED(e->length) ||
	    !PAGE_ALIGNED(e->user_va) || !PAGE_ALIGNED(e->iova))
		return -EINVAL;
	if (check_add_overflow(e->iova, e->length - 1, last) ||
	    e->user_va + e->length < e->user_va)
		return -EOVERFLOW;
	/* The aperture, and what the IOMMU translates (guard.c). */
	if (e->iova < dom->domain->geometry.aperture_start || *last > dom->max_iova)
		return -ERANGE;
	if (interval_tree_iter_first(&dom->mappings, e->iova, *last))
		return -EEXIST;
	return 0;
}

int pshim_domain_map(struct pshim_domain *dom,
		     const struct pasid_shim_map_entry *e, int prot,
		     struct pshim_charge *chg)
{
	struct pshim_mapping *map;
	unsigned long npages;
	u64 last;
	int ret;

	ret = pshim_domain_map_check(dom, e, &last);
	if (ret)
		return ret;
	npages = e->length >> PAGE_SHIFT;
	map = kmem_cache_alloc(pshim_mapping_cache, GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	/* Charged before anything in proportion to the length is done. */
	ret = pshim_charge_take(chg, npages);
	if (ret)
		goto err_free;
	ret = pshim_pin_map(dom->domain, e->user_va, e->iova, e->length, prot,
			    dom->flush_order, &pshim_stats.pinned_pages);
	if (ret)
		goto err_refund;
	map->node.start = e->iova;
	map->node.last = last;
	map->prot = prot;
	map->acct = chg->acct;
	refcount_inc(&map->acct->refs);
	interval_tree_insert(&map->node, &dom->mappings);
	return 0;

err_refund:
	pshim_charge_refund(chg, npages);
err_free:
	kmem_cache_free(pshim_mapping_cache, map);
	return ret;
}

/* Pages the chunk's buffers ask for, counting only lengths MAP accepts. */
static unsigned long pshim_domain_map_pages(const struct pasid_shim_map_entry *e,
					    u32 n)
{
	unsigned long total = 0;
	u32 i;

	for (i = 0; i < n; i++)
		if (e[i].length && PAGE_ALIGNED(e[i].length) &&
		    check_add_overflow(total, (unsigned long)(e[i].length >> PAGE_SHIFT), &total))
			return 0;
	return total;
}

int pshim_domain_map_many(struct pshim_ctx *ctx, struct pshim_domain *dom,
			  const struct pasid_shim_map_entry __user *uentries,
			  u32 num, int prot, u32 *done)
{
	struct pasid_shim_map_entry e[PSHIM_MAP_CHUNK];
	struct pshim_charge chg;
	u32 n, got, i;
	int ret;

	*done = 0;
	ret = pshim_charge_begin(ctx, &chg);
	if (ret)
		return ret;
	while (*done < num && !ret) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min_t(u32, num - *done, ARRAY_SIZE(e));
		got = pshim_copy_entries(e, uentries + *done, n, sizeof(*e));
		/* One charge for the chunk; what it does not map is refunded. */
		pshim_charge_prepay(&chg, pshim_domain_map_pages(e, got));
		for (i = 0; i < got && !ret; i++) {
			ret = pshim_domain_map(dom, &e[i], prot, &chg);
			if (!ret)
				(*done)++;
		}
		if (!ret && got < n)
			ret = -EFAULT;
		cond_resched();
	}
	pshim_charge_end(&chg);
	return ret;
}

static void pshim_mapping_free(struct pshim_domain *dom,
			       struct pshim_mapping *map)
{
	unsigned long npages = pshim_mapping_npages(map);

	interval_tree_remove(&map->node, &dom->mappings);
	pshim_unmap_unpin(dom->domain, map->node.start, npages << PAGE_SHIFT,
			  map->prot & IOMMU_WRITE, dom->flush_order,
			  &pshim_stats.pinned_pages);
	pshim_acct_uncharge(map->acct, npages);
	pshim_acct_put(map->acct);
	kmem_cache_free(pshim_mapping_cache, map);
}

/*
 * Free every mapping in [iova, last], yielding after each; a fatal
 * signal stops it when @killable.
 */
static int pshim_domain_clear(struct pshim_domain *dom, u64 iova, u64 last,
			      bool killable, u64 *bytes)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(&dom->mappings, iova, last))) {
		*bytes += node->last - node->start + 1;
		pshim_mapping_free(dom, container_of(node, struct pshim_mapping, node));
		if (killable && fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

int pshim_domain_unmap(struct pshim_domain *dom, u64 iova, u64 length,
		       u64 *unmapped)
{
	struct interval_tree_node *node;
	u64 last;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	/*
	 * Mappings never overlap, so only the first and the last in the
	 * range can straddle its edges: refuse the lot if one does.
	 */
	node = interval_tree_iter_first(&dom->mappings, iova, last);
	if (!node)
		return -ENOENT;
	if (node->start < iova)
		return -EINVAL;
	node = interval_tree_iter_first(&dom->mappings, last, last);
	if (node && node->last > last)
		return -EINVAL;
	*unmapped = 0;
	return pshim_domain_clear(dom, iova, last, true, unmapped);
}

int pshim_domain_destroy(struct pshim_ctx *ctx, struct pshim_obj *obj,
			 bool killable)
{
	struct pshim_domain *dom = container_of(obj, struct pshim_domain, obj);
	u64 bytes = 0;
	int ret;

	if (atomic_read(&dom->users))
		return -EBUSY;
	ret = pshim_domain_clear(dom, 0, ULONG_MAX, killable, &bytes);
	if (ret)
		return ret;
	pshim_obj_remove(ctx, &dom->obj);
	iommu_domain_free(dom->domain);
	kfree(dom);
	pshim_file_domain_uncharge(ctx);
	atomic_dec(&pshim_stats.domains);
	return 0;
}

int pshim_domain_init(void)
{
	pshim_mapping_cache = KMEM_CACHE(pshim_mapping, SLAB_ACCOUNT);
	return pshim_mapping_cache ? 0 : -ENOMEM;
}

void pshim_domain_exit(void)
{
	kmem_cache_destroy(pshim_mapping_cache);
}
