// SPDX-License-Identifier: GPL-2.0
/*
 * Pin user memory and map it into an IOMMU domain, and the way back.
 * Nothing here knows the shim's objects: it is plain kernel work on an
 * iommu_domain, exported (PASID_SHIM_INTERNAL) for the project's test
 * modules to run as it is.
 *
 * pshim_pin_map() pins (long-term) and maps in batches of one page's
 * worth of page pointers (16 on the stack for a small buffer), so the
 * kernel memory a call uses does not grow with the length; physically
 * contiguous runs are mapped with one iommu_map() each, across batch
 * boundaries. No page array is kept: pshim_unmap_unpin() finds the
 * pages again through the domain (iommu_iova_to_phys(), as VFIO type1
 * and iommufd do), unmaps a physically contiguous run at a time, in
 * naturally aligned chunks whose IOTLB flushes are merged only into
 * naturally aligned ranges the unit can take, and unpins runs as runs.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "pin.h"

/* Pages pinned per pin_user_pages_fast() call: one page of pointers. */
#define PSHIM_PIN_BATCH		(PAGE_SIZE / sizeof(struct page *))
/* A MAP this small pins into an array on the stack: no allocation. */
#define PSHIM_PIN_SMALL		16
/* Physically contiguous runs unmapped per IOTLB flush. */
#define PSHIM_UNMAP_RUNS	16
/* Pages looked up while finding a run, between two cond_resched(). */
#define PSHIM_RUN_YIELD		4096
/*
 * A page whose reference count passed this is pinned too often: each
 * FOLL_PIN of a small page adds GUP_PIN_COUNTING_BIAS (1024), so this
 * is about a million pins, half way to the overflow GUP WARNs on.
 */
#define PSHIM_PIN_REF_MAX	BIT(30)

struct pshim_run {
	phys_addr_t phys;
	size_t len;
};

static void pshim_unpin_run(phys_addr_t phys, size_t len, bool dirty,
			    atomic_long_t *pinned)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(phys)),
					 len >> PAGE_SHIFT, dirty);
	atomic_long_sub(len >> PAGE_SHIFT, pinned);
}

static void pshim_unpin_runs(struct pshim_run *runs, unsigned int n,
			     bool dirty, atomic_long_t *pinned)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		pshim_unpin_run(runs[i].phys, runs[i].len, dirty, pinned);
}

/* An UNMAP in progress: what is unmapped and not flushed yet, and unpinned after. */
struct pshim_unmap {
	struct iommu_domain *domain;
	struct iommu_iotlb_gather gather;
	unsigned long start, end;	/* the gather's range, ours; end 0: empty */
	unsigned int order;		/* largest flush, log2 pages */
	struct pshim_run runs[PSHIM_UNMAP_RUNS];
	unsigned int nr;		/* runs unmapped, not unpinned */
	bool dirty;
	atomic_long_t *pinned;
};

/* Flush what is unmapped, then unpin the runs that are wholly gone. */
static void pshim_unmap_sync(struct pshim_unmap *u)
{
	if (u->end) {
		iommu_iotlb_sync(u->domain, &u->gather);
		u->end = 0;
	}
	pshim_unpin_runs(u->runs, u->nr, u->dirty, u->pinned);
	u->nr = 0;
}

/*
 * Unmap one naturally aligned power-of-two chunk. It joins the pending
 * flush only as its buddy, the two making one naturally aligned
 * power-of-two range no larger than the unit flushes in one go: the
 * flush intel-iommu makes of a gather must be such a range, or it WARNs
 * (qi_flush_piotlb(), first stage, before 6.10) or asks the unit for an
 * address mask it rejects (an Invalidation Queue Error, retried for
 * ever). Never an empty gather: its range is ULONG_MAX..0.
 */
static void pshim_unmap_chunk(struct pshim_unmap *u, unsigned long iova,
			      unsigned long size)
{
	unsigned long s = min(u->start, iova), e = max(u->end, iova + size);

	if (u->end && u->end - u->start == size && e - s == 2 * size &&
	    IS_ALIGNED(s, 2 * size) && 2 * size <= (PAGE_SIZE << u->order)) {
		iommu_unmap_fast(u->domain, iova, size, &u->gather);
		u->start = s;
		u->end = e;
		return;
	}
	if (u->end)
		iommu_iotlb_sync(u->domain, &u->gather);
	iommu_unmap_fast(u->domain, iova, size, &u->gather);
	u->start = iova;
	u->end = iova + size;
}

void pshim_unmap_unpin(struct iommu_domain *domain, unsigned long iova,
		       u64 length, bool dirty, unsigned int order,
		       atomic_long_t *pinned)
{
	struct pshim_unmap u = {
		.domain = domain, .order = order, .dirty = dirty, .pinned = pinned,
	};
	unsigned long at, left, size;
	phys_addr_t phys;
	u64 off = 0;
	size_t len;

	iommu_iotlb_gather_init(&u.gather);
	while (off < length) {
		phys = iommu_iova_to_phys(domain, iova + off);
		if (!phys) {	/* not mapped: nothing of ours to unpin */
			off += PAGE_SIZE;
			continue;
		}
		for (len = PAGE_SIZE; off + len < length; len += PAGE_SIZE) {
			if (iommu_iova_to_phys(domain, iova + off + len) != phys + len)
				break;
			if (!((len >> PAGE_SHIFT) % PSHIM_RUN_YIELD))
				cond_resched();
		}
		/* The run, in naturally aligned power-of-two chunks. */
		for (at = iova + off, left = len; left; at += size, left -= size) {
			size = min(rounddown_pow_of_two(left), PAGE_SIZE << order);
			if (at)
				size = min(size, 1UL << __ffs(at));
			pshim_unmap_chunk(&u, at, size);
		}
		u.runs[u.nr].phys = phys;
		u.runs[u.nr].len = len;
		if (++u.nr == PSHIM_UNMAP_RUNS) {
			pshim_unmap_sync(&u);
			cond_resched();
		}
		off += len;
	}
	pshim_unmap_sync(&u);
}

PSHIM_EXPORT(pshim_unmap_unpin);

/*
 * Unpin, from the first one pinned too often, what was just pinned:
 * *n becomes the good prefix, and the MAP fails (ENOMEM) after it.
 */
static int pshim_pin_sane(struct page **pages, unsigned long *n,
			  atomic_long_t *pinned)
{
	unsigned long i;

	for (i = 0; i < *n; i++)
		if (unlikely(folio_ref_count(page_folio(pages[i])) > PSHIM_PIN_REF_MAX))
			break;
	if (i == *n)
		return 0;
	unpin_user_pages(pages + i, *n - i);
	atomic_long_sub(*n - i, pinned);
	*n = i;
	return -ENOMEM;
}

/*
 * Map the pinned pages[0..n) at iova, extending *run (pages pinned but
 * not mapped yet, physically contiguous, starting at run_iova) while
 * they continue it, and mapping it whenever they do not. On failure,
 * *run and pages[*i..n) are pinned and not mapped.
 */
static int pshim_map_batch(struct iommu_domain *domain, int prot,
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
			ret = pshim_iommu_map(domain, run_iova, run->phys,
					      run->len, prot);
			if (ret)
				return ret;
		}
		run->phys = phys;
		run->len = PAGE_SIZE;
		run_iova = iova;
	}
	return 0;
}

int pshim_pin_map(struct iommu_domain *domain, unsigned long uva,
		  unsigned long iova, u64 length, int prot, unsigned int order,
		  atomic_long_t *pinned)
{
	unsigned int gup = FOLL_LONGTERM | (prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	unsigned long npages = length >> PAGE_SHIFT, done = 0, i, n, batch;
	struct page *small[PSHIM_PIN_SMALL], **pages = small;
	struct pshim_run run = {};
	int ret, bad;

	batch = ARRAY_SIZE(small);
	if (npages > batch) {
		pages = (struct page **)__get_free_page(GFP_KERNEL_ACCOUNT);
		if (!pages)
			return -ENOMEM;
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
		atomic_long_add(n, pinned);
		bad = pshim_pin_sane(pages, &n, pinned);
		/* The pending run starts where the mapped part ends. */
		ret = pshim_map_batch(domain, prot, pages, n, iova + (done << PAGE_SHIFT),
				      &run, iova + (done << PAGE_SHIFT) - run.len, &i);
		if (ret) {
			unpin_user_pages(pages + i, n - i);
			atomic_long_sub(n - i, pinned);
			done += i;
			goto err_unwind;
		}
		done += n;
		if (bad) {
			ret = bad;
			goto err_unwind;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_unwind;
		}
		if (n == batch)
			cond_resched();
	}
	ret = pshim_iommu_map(domain, iova + length - run.len, run.phys,
			      run.len, prot);
	if (ret)
		goto err_unwind;
	if (pages != small)
		free_page((unsigned long)pages);
	return 0;

err_unwind:
	/* Pinned, not mapped: the pending run. Mapped: everything before it. */
	if (run.len)
		pshim_unpin_run(run.phys, run.len, false, pinned);
	pshim_unmap_unpin(domain, iova, (done << PAGE_SHIFT) - run.len,
			  prot & IOMMU_WRITE, order, pinned);
	if (pages != small)
		free_page((unsigned long)pages);
	return ret;
}

PSHIM_EXPORT(pshim_pin_map);
