// SPDX-License-Identifier: GPL-2.0
/*
 * pasid-shim: the module, its character device and its debugfs files.
 */
#include <linux/debugfs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "compat.h"
#include "pasid_shim.h"

struct pshim_stats pshim_stats;
static struct dentry *pshim_debugfs;

u32 pshim_features(void)
{
	return (pshim_have_atomic_replace() ? PASID_SHIM_FEAT_ATOMIC_REPLACE : 0) |
	       (pshim_have_global_pasid() ? PASID_SHIM_FEAT_PASID_ALLOC : 0);
}

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

	ret = pshim_domain_init();
	if (ret)
		return ret;
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
	pshim_domain_exit();
	return ret;
}

static void __exit pshim_exit(void)
{
	misc_deregister(&pshim_misc);
	pshim_device_notifier_exit();
	pshim_guard_exit();
	debugfs_remove_recursive(pshim_debugfs);
	pshim_domain_exit();
}

module_init(pshim_init);
module_exit(pshim_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("pasid-shim developers");
MODULE_DESCRIPTION("Per-PASID IOMMU domain attach/replace/detach from userspace");
MODULE_VERSION(PSHIM_VERSION);	/* the VERSION file, through Kbuild */
MODULE_INFO(kernel_features, PSHIM_PROBED_REPLACE PSHIM_PROBED_ALLOC PSHIM_PROBED_HANDLE
	    PSHIM_PROBED_GUARD);
PSHIM_IMPORT_NS();
