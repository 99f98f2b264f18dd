// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only benchmark module: the raw kernel calls the shim wraps, timed
 * in a loop inside the kernel, so `make bench` can put the shim's cost
 * next to them in the same guest run. Write a command to
 * /sys/kernel/debug/pshim_bench/cmd, read the nanoseconds back:
 *   attach PCI PASID ITERS    attach + detach of a fresh paging domain
 *   replace PCI PASID ITERS   swap between two domains (the kernel's
 *                             atomic replace where exported, else
 *                             detach + attach, as the shim does)
 *   scale PCI N ITERS         attach PASIDs 1..N to one domain, then
 *                             detach them: reports both totals
 *   map PCI PASID VA LEN ITERS  pin the caller's memory + iommu_map_sg
 *                             into a domain attached to PASID, then
 *                             iommu_unmap + unpin; reports both halves
 */
#include <linux/debugfs.h>
#include <linux/iommu.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
/* The module's own compat layer: one set of probes for everything built. */
#include "compat.h"

static DEFINE_MUTEX(bench_lock);
static char result[128];
static struct dentry *bench_dir;

static struct device *bench_dev(const char *name)
{
	return bus_find_device_by_name(&pci_bus_type, NULL, name);
}

static long bench_attach(struct device *dev, u32 pasid, u32 iters)
{
	struct iommu_domain *d = pshim_paging_domain_alloc(dev);
	u64 t0;
	long ret = 0;
	u32 i;

	if (IS_ERR(d))
		return PTR_ERR(d);
	t0 = ktime_get_ns();
	for (i = 0; i < iters && !ret; i++) {
		ret = pshim_attach_pasid(d, dev, pasid, NULL);
		if (!ret)
			pshim_detach_pasid(d, dev, pasid);
	}
	if (!ret)
		ret = ktime_get_ns() - t0;
	iommu_domain_free(d);
	return ret;
}

static long bench_replace(struct device *dev, u32 pasid, u32 iters)
{
	struct iommu_domain *d[2];
	long ret = 0;
	u32 i, cur = 0;
	u64 t0;
	struct pshim_attach_handle *held = NULL, *h;

	d[0] = pshim_paging_domain_alloc(dev);
	d[1] = pshim_paging_domain_alloc(dev);
	if (IS_ERR(d[0]) || IS_ERR(d[1])) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = pshim_attach_pasid(d[0], dev, pasid, NULL);
	if (ret)
		goto out_free;
	t0 = ktime_get_ns();
	for (i = 0; i < iters && !ret; i++) {
		if (pshim_have_atomic_replace()) {
			/* A fresh handle each time; the core keeps the last one. */
			h = kzalloc(sizeof(*h), GFP_KERNEL);
			ret = h ? pshim_replace_pasid(d[!cur], dev, pasid, h) : -ENOMEM;
			if (!ret) {
				kfree(held);
				held = h;
			} else {
				kfree(h);
			}
		} else {
			pshim_detach_pasid(d[cur], dev, pasid);
			ret = pshim_attach_pasid(d[!cur], dev, pasid, NULL);
		}
		if (!ret)
			cur = !cur;
	}
	if (!ret)
		ret = ktime_get_ns() - t0;
	pshim_detach_pasid(d[cur], dev, pasid);
	kfree(held);
out_free:
	if (!IS_ERR(d[1]))
		iommu_domain_free(d[1]);
	if (!IS_ERR(d[0]))
		iommu_domain_free(d[0]);
	return ret;
}

static long bench_scale(struct device *dev, u32 n, u32 iters, u64 *detach_ns)
{
	struct iommu_domain *d = pshim_paging_domain_alloc(dev);
	u64 att = 0, t0;
	long ret = 0;
	u32 i, r, done;

	*detach_ns = 0;
	if (IS_ERR(d))
		return PTR_ERR(d);
	for (r = 0; r < iters && !ret; r++) {
		t0 = ktime_get_ns();
		for (done = 0; done < n; done++) {
			ret = pshim_attach_pasid(d, dev, done + 1, NULL);
			if (ret)
				break;
		}
		att += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		for (i = 0; i < done; i++)
			pshim_detach_pasid(d, dev, i + 1);
		*detach_ns += ktime_get_ns() - t0;
		cond_resched();
	}
	iommu_domain_free(d);
	return ret ? ret : att;
}

static long bench_map(struct device *dev, u32 pasid, unsigned long va,
		      unsigned long len, u32 iters, u64 *unmap_ns)
{
	unsigned long npages = len >> PAGE_SHIFT;
	struct iommu_domain *d = pshim_paging_domain_alloc(dev);
	struct page **pages;
	struct sg_table sgt;
	u64 map_ns = 0, t0;
	long ret = 0;
	u32 i;

	*unmap_ns = 0;
	if (IS_ERR(d))
		return PTR_ERR(d);
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	/* Attached, as a domain in use is: its maps then need IOTLB syncs. */
	ret = pages ? pshim_attach_pasid(d, dev, pasid, NULL) : -ENOMEM;
	if (ret) {
		kvfree(pages);
		iommu_domain_free(d);
		return ret;
	}
	for (i = 0; i < iters && !ret; i++) {
		long pinned;
		ssize_t mapped;

		t0 = ktime_get_ns();
		pinned = pin_user_pages_fast(va, npages, FOLL_WRITE | FOLL_LONGTERM, pages);
		if (pinned != npages) {
			if (pinned > 0)
				unpin_user_pages(pages, pinned);
			ret = -EFAULT;
			break;
		}
		ret = sg_alloc_table_from_pages(&sgt, pages, npages, 0, len, GFP_KERNEL);
		if (ret) {
			unpin_user_pages(pages, npages);
			break;
		}
		mapped = pshim_iommu_map_sg(d, 0, sgt.sgl, sgt.orig_nents,
					    IOMMU_READ | IOMMU_WRITE);
		map_ns += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		if (mapped == len)
			iommu_unmap(d, 0, len);
		else
			ret = mapped < 0 ? mapped : -EIO;
		sg_free_table(&sgt);
		unpin_user_pages_dirty_lock(pages, npages, true);
		*unmap_ns += ktime_get_ns() - t0;
	}
	pshim_detach_pasid(d, dev, pasid);
	kvfree(pages);
	iommu_domain_free(d);
	return ret ? ret : map_ns;
}

static ssize_t bench_write(struct file *f, const char __user *ubuf, size_t n,
			   loff_t *ppos)
{
	char cmd[96], what[16], name[32];
	unsigned long a, b;
	u32 iters, pasid;
	u64 unmap_ns = 0;
	struct device *dev = NULL;
	long ret;

	if (n >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = 0;
	mutex_lock(&bench_lock);
	if (sscanf(cmd, "%15s %31s %lu %u", what, name, &a, &iters) == 4 &&
	    (!strcmp(what, "attach") || !strcmp(what, "replace"))) {
		dev = bench_dev(name);
		ret = !dev ? -ENODEV : !strcmp(what, "attach") ?
		      bench_attach(dev, a, iters) : bench_replace(dev, a, iters);
		snprintf(result, sizeof(result), "%ld\n", ret);
	} else if (sscanf(cmd, "scale %31s %lu %u", name, &a, &iters) == 3) {
		dev = bench_dev(name);
		ret = dev ? bench_scale(dev, a, iters, &unmap_ns) : -ENODEV;
		snprintf(result, sizeof(result), "%ld %llu\n", ret, unmap_ns);
	} else if (sscanf(cmd, "map %31s %u %lx %lx %u", name, &pasid, &a, &b, &iters) == 5 &&
		   PAGE_ALIGNED(a) && PAGE_ALIGNED(b) && b) {
		dev = bench_dev(name);
		ret = dev ? bench_map(dev, pasid, a, b, iters, &unmap_ns) : -ENODEV;
		snprintf(result, sizeof(result), "%ld %llu\n", ret, unmap_ns);
	} else {
		ret = -EINVAL;
	}
	if (dev)
		put_device(dev);
	mutex_unlock(&bench_lock);
	return ret < 0 ? ret : n;
}

static ssize_t bench_read(struct file *f, char __user *ubuf, size_t n, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, n, ppos, result, strlen(result));
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.write = bench_write,
	.read = bench_read,
};

static int __init bench_init(void)
{
	bench_dir = debugfs_create_dir("pshim_bench", NULL);
	debugfs_create_file("cmd", 0600, bench_dir, NULL, &bench_fops);
	return 0;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only: time the raw IOMMU calls pasid_shim wraps");
PSHIM_IMPORT_NS();
