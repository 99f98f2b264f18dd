// SPDX-License-Identifier: GPL-2.0
/*
 * Pin user memory and map it into an IOMMU domain, and the way back.
 * Nothing here knows the shim's objects: the benchmark's raw side runs
 * this same code, so the shim's overhead is all that its ratios show.
 *
 * pshim_pin_map() pins (long-term) and maps in batches of one page's
 * worth of page pointers (16 on the stack for a small buffer), so the
 * kernel memory a call uses does not grow with the length; physically
 * contiguous runs are mapped with one iommu_map() each, across batch
 * boundaries. No page array is kept: pshim_unmap_unpin() finds the
 * pages again through the domain (iommu_iova_to_phys(), as VFIO type1
 * and iommufd do), unmaps a physically contiguous run at a time with
 * one IOTLB flush per batch of runs, and unpins runs as runs.
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

void pshim_unmap_unpin(struct iommu_domain *domain, unsigned long iova,
		       u64 length, bool dirty, atomic_long_t *pinned)
{
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
			pshim_unpin_runs(runs, nr, dirty, pinned);
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
		pshim_unpin_runs(runs, nr, dirty, pinned);
	}
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
		  unsigned long iova, u64 length, int prot,
		  atomic_long_t *pinned)
{
	unsigned int gup = FOLL_LONGTERM | (prot & IOMMU_WRITE ? FOLL_WRITE : 0);
	unsigned long npages = length >> PAGE_SHIFT, done = 0, i, n, batch;
	struct page *small[PSHIM_PIN_SMALL], **pages = small;
	struct pshim_run run = {};
	int ret;

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
			  prot & IOMMU_WRITE, pinned);
	if (pages != small)
		free_page((unsigned long)pages);
	return ret;
}
