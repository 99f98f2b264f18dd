// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only benchmark module: the raw side of make bench. Each command
 * does in a loop inside the kernel exactly the kernel work the shim does
 * for the same request (same calls, same handle per attachment, the
 * shim's own pin.c for MAP and UNMAP), without the shim: no syscall, no
 * object lookup, no table, no charging. Write a command to
 * /sys/kernel/debug/pshim_bench/cmd, read the nanoseconds back.
 *
 *   pair DEV PASID ITERS        attach + detach of one PASID
 *   replace DEV PASID ITERS     A -> B -> A ... (atomic where the kernel
 *                               has it, else detach + attach)
 *   many DEV FIRST N NDOMS      attach FIRST..FIRST+N-1 over NDOMS
 *                               domains, then detach them; prints both
 *   scale DEV N NDOMS W         as many, printing the time of the W ops
 *                               before 1k, 16k, 64k, 256k and N attached,
 *                               and of the W detaches after them, and the
 *                               whole attach and detach
 *   map DEV PASID VA LEN COUNT ITERS
 *                               pin + map COUNT buffers of LEN at VA into
 *                               a domain attached to PASID, then unmap +
 *                               unpin them; prints both halves
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

/* The module's own compat layer, and its pin code, linked: the same work, raw. */
#include "compat.h"
#include "pin.h"
#include "vtd.h"

static DEFINE_MUTEX(bench_lock);
static char result[256];
static struct dentry *bench_dir;
static atomic_long_t bench_pinned;

static struct device *bench_dev(const char *name)
{
	return bus_find_device_by_name(&pci_bus_type, NULL, name);
}

/* What a kernel caller keeps per attached PASID: the handle, if any. */
static struct pshim_attach_handle *bench_handle(void)
{
	return pshim_attach_takes_handle() ?
	       kmalloc(sizeof(struct pshim_attach_handle), GFP_KERNEL_ACCOUNT) : NULL;
}

static int bench_attach(struct iommu_domain *d, struct device *dev, u32 pasid,
			struct pshim_attach_handle **h)
{
	int ret;

	*h = bench_handle();
	if (pshim_attach_takes_handle() && !*h)
		return -ENOMEM;
	ret = pshim_attach_pasid(d, dev, pasid, *h);
	if (ret)
		kfree(*h);
	return ret;
}

static void bench_detach(struct iommu_domain *d, struct device *dev, u32 pasid,
			 struct pshim_attach_handle *h)
{
	pshim_detach_pasid(d, dev, pasid);
	kfree(h);
}

static long bench_pair(struct device *dev, u32 pasid, u32 iters)
{
	struct iommu_domain *d = pshim_paging_domain_alloc(dev);
	struct pshim_attach_handle *h;
	long ret = 0;
	u64 t0;
	u32 i;

	if (IS_ERR(d))
		return PTR_ERR(d);
	t0 = ktime_get_ns();
	for (i = 0; i < iters && !ret; i++) {
		ret = bench_attach(d, dev, pasid, &h);
		if (!ret)
			bench_detach(d, dev, pasid, h);
	}
	if (!ret)
		ret = ktime_get_ns() - t0;
	iommu_domain_free(d);
	return ret;
}

static long bench_replace(struct device *dev, u32 pasid, u32 iters)
{
	struct pshim_attach_handle *held = NULL, *h;
	struct iommu_domain *d[2];
	long ret = 0;
	u32 i, cur = 0;
	u64 t0;

	d[0] = pshim_paging_domain_alloc(dev);
	d[1] = pshim_paging_domain_alloc(dev);
	if (IS_ERR(d[0]) || IS_ERR(d[1])) {
		ret = -ENOMEM;
		goto out_free;
	}
	ret = bench_attach(d[0], dev, pasid, &held);
	if (ret)
		goto out_free;
	t0 = ktime_get_ns();
	for (i = 0; i < iters && !ret; i++) {
		/* A fresh handle each time; the core keeps the last one. */
		h = bench_handle();
		if (pshim_have_atomic_replace()) {
			ret = pshim_replace_pasid(d[!cur], dev, pasid, h);
		} else {
			pshim_detach_pasid(d[cur], dev, pasid);
			ret = pshim_attach_pasid(d[!cur], dev, pasid, h);
		}
		if (!ret) {
			kfree(held);
			held = h;
			cur = !cur;
		} else {
			kfree(h);
		}
	}
	if (!ret)
		ret = ktime_get_ns() - t0;
	bench_detach(d[cur], dev, pasid, held);
out_free:
	if (!IS_ERR(d[1]))
		iommu_domain_free(d[1]);
	if (!IS_ERR(d[0]))
		iommu_domain_free(d[0]);
	return ret;
}

/*
 * Attach FIRST..FIRST+n-1 over ndoms domains, in blocks of
 * n / ndoms consecutive PASIDs per domain (as the shim's side of the
 * benchmark does), so a domain's costlier first attach is spread evenly
 * over the whole range, then detach them last
 * first, timing both; with marks, also the w attaches that bring the
 * count up to each mark, and the w detaches that take it down from
 * there. Writes the result line: attach, detach, then per mark the two
 * windows.
 */
static long bench_many(struct device *dev, u32 first, u32 n, u32 ndoms,
		       const u32 *marks, int nmarks, u32 w)
{
	u64 t0, ts = 0, att, det, at[8] = {}, dt[8] = {};
	struct pshim_attach_handle **h = NULL;
	struct iommu_domain **d;
	long ret = 0;
	u32 i, done, per;
	int k, len;

	if (!ndoms || !n || nmarks > 8)
		return -EINVAL;
	per = DIV_ROUND_UP(n, ndoms);
	for (k = 0; k < nmarks; k++)
		if (marks[k] < w || marks[k] > n)
			return -EINVAL;
	d = kvcalloc(ndoms, sizeof(*d), GFP_KERNEL);
	if (pshim_attach_takes_handle())
		h = kvcalloc(n, sizeof(*h), GFP_KERNEL);
	if (!d || (pshim_attach_takes_handle() && !h)) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ndoms; i++) {
		d[i] = pshim_paging_domain_alloc(dev);
		if (IS_ERR(d[i])) {
			ret = PTR_ERR(d[i]);
			d[i] = NULL;
			goto out;
		}
	}
	t0 = ktime_get_ns();
	for (done = 0, k = 0; done < n; done++) {
		if (k < nmarks && done == marks[k] - w)
			ts = ktime_get_ns();
		if (h) {
			h[done] = bench_handle();
			if (!h[done]) {
				ret = -ENOMEM;
				break;
			}
		}
		ret = pshim_attach_pasid(d[done / per % ndoms], dev, first + done,
					 h ? h[done] : NULL);
		if (ret) {
			kfree(h ? h[done] : NULL);
			break;
		}
		if (k < nmarks && done + 1 == marks[k])
			at[k++] = ktime_get_ns() - ts;
		if (!(done & 1023))
			cond_resched();
	}
	att = ktime_get_ns() - t0;
	t0 = ktime_get_ns();
	for (i = done, k = nmarks - 1; i-- > 0; ) {
		if (k >= 0 && i + 1 == marks[k])
			ts = ktime_get_ns();
		pshim_detach_pasid(d[i / per % ndoms], dev, first + i);
		kfree(h ? h[i] : NULL);
		if (k >= 0 && i == marks[k] - w)
			dt[k--] = ktime_get_ns() - ts;
		if (!(i & 1023))
			cond_resched();
	}
	det = ktime_get_ns() - t0;
	if (ret)
		goto out;
	len = scnprintf(result, sizeof(result), "%llu %llu", att, det);
	for (k = 0; k < nmarks; k++)
		len += scnprintf(result + len, sizeof(result) - len, " %llu %llu",
				 at[k], dt[k]);
	scnprintf(result + len, sizeof(result) - len, "\n");
out:
	for (i = 0; d && i < ndoms; i++)
		if (d[i])
			iommu_domain_free(d[i]);
	kvfree(d);
	kvfree(h);
	return ret;
}

static long bench_map(struct device *dev, u32 pasid, unsigned long va,
		      unsigned long len, u32 count, u32 iters, u64 *unmap_ns)
{
	struct iommu_domain *d = pshim_paging_domain_alloc(dev);
	int prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE;
	unsigned int order = PSHIM_FLUSH_ORDER_MAX;
	struct pshim_attach_handle *h;
	struct pshim_vtd vtd;
	u64 map_ns = 0, t0;
	long ret;
	u32 i, j;

	*unmap_ns = 0;
	if (IS_ERR(d))
		return PTR_ERR(d);
	if (!pshim_vtd_get(dev, &vtd))
		order = vtd.flush_order;
	/* Attached, as a domain in use is: its maps then need IOTLB syncs. */
	ret = bench_attach(d, dev, pasid, &h);
	if (ret) {
		iommu_domain_free(d);
		return ret;
	}
	for (i = 0; i < iters && !ret; i++) {
		t0 = ktime_get_ns();
		for (j = 0; j < count && !ret; j++)
			ret = pshim_pin_map(d, va + (u64)j * len, (u64)j * len, len,
					    prot, order, &bench_pinned);
		map_ns += ktime_get_ns() - t0;
		t0 = ktime_get_ns();
		while (j--)
			pshim_unmap_unpin(d, (u64)j * len, len, true, order,
					  &bench_pinned);
		*unmap_ns += ktime_get_ns() - t0;
	}
	bench_detach(d, dev, pasid, h);
	iommu_domain_free(d);
	return ret ? ret : map_ns;
}

static ssize_t bench_write(struct file *f, const char __user *ubuf, size_t n,
			   loff_t *ppos)
{
	static const u32 marks[] = { 1024, 16384, 65536, 262144 };
	u32 iters, pasid, first, cnt, ndoms, w, m[5];
	char cmd[128], name[32];
	struct device *dev = NULL;
	unsigned long a, b;
	u64 unmap_ns = 0;
	long ret;
	int nm;

	if (n >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = 0;
	mutex_lock(&bench_lock);
	if (sscanf(cmd, "pair %31s %u %u", name, &pasid, &iters) == 3) {
		dev = bench_dev(name);
		ret = dev ? bench_pair(dev, pasid, iters) : -ENODEV;
		scnprintf(result, sizeof(result), "%ld\n", ret);
	} else if (sscanf(cmd, "replace %31s %u %u", name, &pasid, &iters) == 3) {
		dev = bench_dev(name);
		ret = dev ? bench_replace(dev, pasid, iters) : -ENODEV;
		scnprintf(result, sizeof(result), "%ld\n", ret);
	} else if (sscanf(cmd, "many %31s %u %u %u", name, &first, &cnt, &ndoms) == 4) {
		dev = bench_dev(name);
		ret = dev ? bench_many(dev, first, cnt, ndoms, NULL, 0, 0) : -ENODEV;
	} else if (sscanf(cmd, "scale %31s %u %u %u", name, &cnt, &ndoms, &w) == 4 &&
		   w && w <= 1024) {
		for (nm = 0; nm < ARRAY_SIZE(marks) && marks[nm] < cnt; nm++)
			m[nm] = marks[nm];
		m[nm++] = cnt;
		dev = bench_dev(name);
		ret = dev ? bench_many(dev, 1, cnt, ndoms, m, nm, w) : -ENODEV;
	} else if (sscanf(cmd, "map %31s %u %lx %lx %u %u", name, &pasid, &a, &b, &cnt,
			  &iters) == 6 && PAGE_ALIGNED(a) && PAGE_ALIGNED(b) && b && cnt) {
		dev = bench_dev(name);
		ret = dev ? bench_map(dev, pasid, a, b, cnt, iters, &unmap_ns) : -ENODEV;
		scnprintf(result, sizeof(result), "%ld %llu\n", ret, unmap_ns);
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
MODULE_DESCRIPTION("Test-only: time the raw IOMMU calls pasid_shim makes");
PSHIM_IMPORT_NS();
PSHIM_IMPORT_INTERNAL();
