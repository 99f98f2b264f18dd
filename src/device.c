// SPDX-License-Identifier: GPL-2.0
/*
 * Bound devices: one PCI device bound by at most one open file, its
 * PASID table, and the bus notifier that detaches everything before the
 * device's driver or the device itself goes away.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "pasid_shim.h"

static DEFINE_MUTEX(pshim_devices_lock);
static LIST_HEAD(pshim_devices);

static struct pshim_device *pshim_device_lookup(struct device *dev)
{
	struct pshim_device *sdev;

	lockdep_assert_held(&pshim_devices_lock);
	list_for_each_entry(sdev, &pshim_devices, node)
		if (&sdev->pdev->dev == dev)
			return sdev;
	return NULL;
}

static int pshim_device_show(struct seq_file *m, void *unused)
{
	struct pshim_device *sdev = m->private;
	struct pshim_pasid *entry;
	unsigned long pasid;

	mutex_lock(&sdev->lock);
	seq_printf(m, "device %s%s\n", pci_name(sdev->pdev),
		   sdev->dead ? " (gone)" : "");
	xa_for_each(&sdev->pasids, pasid, entry)
		seq_printf(m, "pasid %lu domain %u\n", pasid, entry->dom->obj.id);
	mutex_unlock(&sdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pshim_device);

int pshim_device_bind(struct pshim_ctx *ctx, const char *name,
		      struct pshim_device **out)
{
	struct pshim_device *sdev;
	struct device *dev;
	int ret;

	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	if (!dev)
		return -ENODEV;
	/* No IOMMU, or one that gives the device no PASIDs. */
	if (!dev->iommu || !dev->iommu_group || !dev->iommu->max_pasids) {
		ret = -EOPNOTSUPP;
		goto err_put;
	}
	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL_ACCOUNT);
	if (!sdev) {
		ret = -ENOMEM;
		goto err_put;
	}
	sdev->pdev = to_pci_dev(dev);
	sdev->max_pasids = dev->iommu->max_pasids;
	mutex_init(&sdev->lock);
	xa_init(&sdev->pasids);

	mutex_lock(&pshim_devices_lock);
	if (pshim_device_lookup(dev)) {
		ret = -EBUSY;
		goto err_unlock;
	}
	ret = pshim_obj_add(ctx, &sdev->obj, PSHIM_OBJ_DEVICE);
	if (ret)
		goto err_unlock;
	list_add(&sdev->node, &pshim_devices);
	sdev->debugfs = debugfs_create_file(pci_name(sdev->pdev), 0400,
					    pshim_debugfs_dir(), sdev,
					    &pshim_device_fops);
	mutex_unlock(&pshim_devices_lock);
	atomic_inc(&pshim_stats.devices);
	*out = sdev;
	return 0;

err_unlock:
	mutex_unlock(&pshim_devices_lock);
	mutex_destroy(&sdev->lock);
	kfree(sdev);
err_put:
	put_device(dev);
	return ret;
}

/* Off the global list and out of debugfs; pshim_devices_lock held. */
static struct dentry *pshim_device_unlist(struct pshim_device *sdev)
{
	struct dentry *dentry = sdev->debugfs;

	lockdep_assert_held(&pshim_devices_lock);
	list_del_init(&sdev->node);
	sdev->debugfs = NULL;
	return dentry;
}

void pshim_device_destroy(struct pshim_ctx *ctx, struct pshim_device *sdev)
{
	struct dentry *dentry;

	mutex_lock(&pshim_devices_lock);
	dentry = pshim_device_unlist(sdev);
	mutex_unlock(&pshim_devices_lock);
	debugfs_remove(dentry);
	pshim_pasid_detach_all(sdev, false);
	pshim_obj_remove(ctx, &sdev->obj);
	xa_destroy(&sdev->pasids);
	mutex_destroy(&sdev->lock);
	pci_dev_put(sdev->pdev);
	kfree(sdev);
	atomic_dec(&pshim_stats.devices);
}

/*
 * Runs before the driver's remove() and before the device leaves the
 * IOMMU core, so every PASID is detached while that is still legal. The
 * object stays in its file, dead (ENODEV), until destroyed; the device
 * itself is free to be bound again once its driver or it comes back.
 */
static int pshim_bus_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct dentry *dentry = NULL;
	struct pshim_device *sdev;

	if (action != BUS_NOTIFY_UNBIND_DRIVER && action != BUS_NOTIFY_DEL_DEVICE)
		return NOTIFY_DONE;
	mutex_lock(&pshim_devices_lock);
	sdev = pshim_device_lookup(data);
	if (sdev) {
		pshim_pasid_detach_all(sdev, true);
		dentry = pshim_device_unlist(sdev);
	}
	mutex_unlock(&pshim_devices_lock);
	debugfs_remove(dentry);
	return NOTIFY_OK;
}

static struct notifier_block pshim_bus_nb = {
	.notifier_call = pshim_bus_notify,
};

int pshim_device_notifier_init(void)
{
	return bus_register_notifier(&pci_bus_type, &pshim_bus_nb);
}

void pshim_device_notifier_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &pshim_bus_nb);
}
