// SPDX-License-Identifier: GPL-2.0
/*
 * The open file: its context, what it may take from the system, and
 * the PASIDs it holds from the IOMMU core's global allocator.
 *
 * What one file may take is bounded, so no file starves another:
 *  - global PASIDs (PASID_ALLOC): max_pasids_per_file. The pool is the
 *    one SVA and kernel drivers draw from (2^20 - 1 PASIDs on VT-d);
 *  - domains (DOMAIN_ALLOC): max_domains_per_file. The IOMMU driver's
 *    page directory of a domain is memory no cgroup is charged for;
 *  - pinned pages: RLIMIT_MEMLOCK, as iommufd charges them (acct.c);
 *  - everything the shim allocates itself: the caller's memory cgroup.
 * Both limits are module parameters, writable at run time by root
 * (/sys/module/pasid_shim/parameters/); a refusal is EDQUOT.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "pasid_shim.h"

static unsigned int max_pasids_per_file = 4096;
module_param(max_pasids_per_file, uint, 0644);
MODULE_PARM_DESC(max_pasids_per_file,
		 "Global PASIDs one open file may hold from PASID_ALLOC (EDQUOT beyond; default 4096)");

static unsigned int max_domains_per_file = 65536;
module_param(max_domains_per_file, uint, 0644);
MODULE_PARM_DESC(max_domains_per_file,
		 "Domains one open file may hold (EDQUOT beyond; default 65536)");

int pshim_file_domain_charge(struct pshim_ctx *ctx)
{
	lockdep_assert_held(&ctx->lock);
	if (ctx->nr_domains >= READ_ONCE(max_domains_per_file))
		return -EDQUOT;
	ctx->nr_domains++;
	return 0;
}

void pshim_file_domain_uncharge(struct pshim_ctx *ctx)
{
	lockdep_assert_held(&ctx->lock);
	ctx->nr_domains--;
}

/*
 * A PASID from the global allocator, below @sdev's limit: the file holds
 * it until it frees it or closes, and may attach it to any of its
 * devices. Another user of the IOMMU can still attach that PASID number
 * without allocating it (a driver, or a file that chose it itself): the
 * allocator keeps out only those who allocate.
 */
int pshim_file_pasid_alloc(struct pshim_ctx *ctx, struct pshim_device *sdev,
			   u32 *out)
{
	ioasid_t pasid;
	int ret;

	lockdep_assert_held(&ctx->lock);
	if (ctx->nr_pasids >= READ_ONCE(max_pasids_per_file))
		return -EDQUOT;
	mutex_lock(&sdev->lock);
	if (sdev->state != PSHIM_DEV_LIVE) {
		mutex_unlock(&sdev->lock);
		return -ENODEV;
	}
	pasid = pshim_alloc_global_pasid(&sdev->pdev->dev);
	mutex_unlock(&sdev->lock);
	if (pasid == IOMMU_PASID_INVALID)
		return pshim_have_global_pasid() ? -ENOSPC : -EOPNOTSUPP;
	ret = xa_insert(&ctx->pasids, pasid, xa_mk_value(0), GFP_KERNEL_ACCOUNT);
	if (ret) {
		pshim_free_global_pasid(pasid);
		return ret;
	}
	ctx->nr_pasids++;
	atomic_inc(&pshim_stats.pasids);
	*out = pasid;
	return 0;
}

static void pshim_file_pasid_put(struct pshim_ctx *ctx, u32 pasid)
{
	xa_erase(&ctx->pasids, pasid);
	pshim_free_global_pasid(pasid);
	ctx->nr_pasids--;
	atomic_dec(&pshim_stats.pasids);
}

/* ENOENT unless the file holds it; EBUSY while a device of the file has it attached. */
int pshim_file_pasid_free(struct pshim_ctx *ctx, u32 pasid)
{
	struct pshim_device *sdev;
	unsigned long id;

	lockdep_assert_held(&ctx->lock);
	if (!xa_load(&ctx->pasids, pasid))
		return -ENOENT;
	pshim_for_each_device(ctx, id, sdev)
		if (pshim_pasid_attached(sdev, pasid))
			return -EBUSY;
	pshim_file_pasid_put(ctx, pasid);
	return 0;
}

/*
 * The one privilege check: a descriptor opened with CAP_SYS_RAWIO may
 * be handed to a process without it, as with /dev/vfio and iommufd.
 */
static int pshim_fops_open(struct inode *inode, struct file *filp)
{
	struct pshim_ctx *ctx;

	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	xa_init_flags(&ctx->pasids, XA_FLAGS_ACCOUNT);
	filp->private_data = ctx;
	return 0;
}

/*
 * Every object (devices first: see pshim_obj_destroy_all()), then the
 * PASIDs, when nothing can be attached to them. Runs to the end even in
 * a process being killed, yielding as it goes.
 */
static int pshim_fops_release(struct inode *inode, struct file *filp)
{
	struct pshim_ctx *ctx = filp->private_data;
	unsigned long pasid;
	void *entry;

	mutex_lock(&ctx->lock);
	pshim_obj_destroy_all(ctx);
	xa_for_each(&ctx->pasids, pasid, entry) {
		pshim_file_pasid_put(ctx, pasid);
		cond_resched();
	}
	mutex_unlock(&ctx->lock);
	pshim_acct_put(ctx->acct);
	xa_destroy(&ctx->objects);
	xa_destroy(&ctx->pasids);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

const struct file_operations pshim_fops = {
	.owner = THIS_MODULE,
	.open = pshim_fops_open,
	.release = pshim_fops_release,
	.unlocked_ioctl = pshim_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};
