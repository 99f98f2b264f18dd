// SPDX-License-Identifier: GPL-2.0
/*
 * pasid-shim: the character device, per-file contexts and their objects.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "compat.h"
#include "pasid_shim.h"

struct pshim_stats pshim_stats;
static struct dentry *pshim_debugfs;

u32 pshim_features(void)
{
	return (pshim_have_atomic_replace() ? PASID_SHIM_FEAT_ATOMIC_REPLACE : 0) |
	       (pshim_have_global_pasid() ? PASID_SHIM_FEAT_PASID_ALLOC : 0);
}

int pshim_obj_add(struct pshim_ctx *ctx, struct pshim_obj *obj,
		  enum pshim_obj_type type)
{
	int ret;

	obj->type = type;
	/* Cyclic: an ID is not handed out twice while the file is open. */
	ret = xa_alloc_cyclic(&ctx->objects, &obj->id, obj, xa_limit_31b,
			      &ctx->next_id, GFP_KERNEL_ACCOUNT);
	return ret < 0 ? ret : 0;
}

void *pshim_obj_find(struct pshim_ctx *ctx, u32 id, enum pshim_obj_type type)
{
	struct pshim_obj *obj = xa_load(&ctx->objects, id);

	if (!obj || obj->type != type)
		return ERR_PTR(-ENOENT);
	return obj;
}

void pshim_obj_remove(struct pshim_ctx *ctx, struct pshim_obj *obj)
{
	xa_erase(&ctx->objects, obj->id);
}

/*
 * The one privilege check: a descriptor opened with CAP_SYS_RAWIO may
 * be handed to a process without it, as with /dev/vfio and iommufd.
 */
static int pshim_open(struct inode *inode, struct file *filp)
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
 * Devices first: destroying one detaches its PASIDs, which drops the
 * domains' users, so every domain is free to go afterwards; the global
 * PASIDs last, when nothing can be attached to them.
 */
static int pshim_release(struct inode *inode, struct file *filp)
{
	struct pshim_ctx *ctx = filp->private_data;
	struct pshim_obj *obj;
	unsigned long id;

	mutex_lock(&ctx->lock);
	xa_for_each(&ctx->objects, id, obj)
		if (obj->type == PSHIM_OBJ_DEVICE)
			pshim_device_destroy(ctx, container_of(obj, struct pshim_device, obj));
	xa_for_each(&ctx->objects, id, obj)
		WARN_ON(pshim_domain_destroy(ctx, container_of(obj, struct pshim_domain, obj)));
	pshim_pasid_free_all(ctx);
	mutex_unlock(&ctx->lock);
	xa_destroy(&ctx->objects);
	xa_destroy(&ctx->pasids);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

static const struct file_operations pshim_fops = {
	.owner = THIS_MODULE,
	.open = pshim_open,
	.release = pshim_release,
	.unlocked_ioctl = pshim_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice pshim_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "pasid-shim",
	.fops = &pshim_fops,
	.mode = 0600,
};

static int pshim_stats_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "devices %d\ndomains %d\nattachments %d\npinned_pages %ld\npasids %d\n",
		   atomic_read(&pshim_stats.devices),
		   atomic_read(&pshim_stats.domains),
		   atomic_read(&pshim_stats.attachments),
		   atomic_long_read(&pshim_stats.pinned_pages),
		   atomic_read(&pshim_stats.pasids));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pshim_stats);

static int __init pshim_init(void)
{
	int ret;

	pshim_debugfs = debugfs_create_dir("pasid_shim", NULL);
	debugfs_create_file("stats", 0400, pshim_debugfs, NULL, &pshim_stats_fops);
	pshim_device_debugfs_init(pshim_debugfs);
	ret = pshim_device_notifier_init();
	if (ret)
		goto err_debugfs;
	ret = misc_register(&pshim_misc);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	pshim_device_notifier_exit();
err_debugfs:
	debugfs_remove_recursive(pshim_debugfs);
	return ret;
}

static void __exit pshim_exit(void)
{
	misc_deregister(&pshim_misc);
	pshim_device_notifier_exit();
	pshim_guard_exit();
	debugfs_remove_recursive(pshim_debugfs);
}

module_init(pshim_init);
module_exit(pshim_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("pasid-shim developers");
MODULE_DESCRIPTION("Per-PASID IOMMU domain attach/replace/detach from userspace");
MODULE_VERSION("0.2.0");
MODULE_INFO(kernel_features, PSHIM_PROBED_REPLACE PSHIM_PROBED_ALLOC PSHIM_PROBED_HANDLE
	    PSHIM_PROBED_GUARD);
PSHIM_IMPORT_NS();
