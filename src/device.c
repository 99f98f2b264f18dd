// SPDX-License-Identifier: GPL-2.0
/*
 * Bound devices: one PCI device bound by at most one open file, and the
 * one place that decides how long the binding may keep PASIDs attached.
 *
 * The IOMMU core's rule: a PASID attachment must be gone before the
 * driver core's DMA cleanup of the device's driver
 * (iommu_device_unuse_default_domain() WARNs otherwise), before the DMA
 * owner lets go (__iommu_release_dma_ownership()), and before the
 * device leaves its IOMMU group (__iommu_group_free_device()). So:
 *
 * Who owns the device's DMA while it is bound:
 *  - shared (flags 0): the kernel driver bound to it, through the
 *    driver core's iommu_device_use_default_domain(); that is what keeps
 *    VFIO and iommufd from claiming it. BIND requires such a driver (not
 *    a driver_managed_dma one such as vfio-pci, which is EBUSY).
 *  - exclusive (PASID_SHIM_BIND_EXCLUSIVE): the binding itself, through
 *    iommu_device_claim_dma_owner() on a device with no driver, as
 *    iommufd does; the RID is blocked and no DMA-API driver can probe.
 * In both cases the device must be alone in its IOMMU group: PASID
 * attachments are made on the whole group, but only this device is
 * watched.
 *
 * States. sdev->state is written under sdev->lock, the list under
 * pshim_devices_lock; nothing holds both:
 *
 *   (BIND) --> LIVE, listed --> DEAD, listed --> DEAD, unlisted --> freed
 *
 *  - LIVE, listed: ATTACH, REPLACE, DOMAIN_ALLOC,
 *    PASID_ALLOC work (each under sdev->lock).
 *  - DEAD, listed: no PASID attached, DMA ownership (exclusive)
 *    released; every command but DESTROY is ENODEV. Still listed, so
 *    BIND of the device is EBUSY and the notifier still finds it.
 *  - DEAD, unlisted: the device may be bound again.
 *  - freed when the last reference goes: the file's (DESTROY, close)
 *    and, while it works on it, a notifier's.
 *
 * LIVE -> DEAD is pshim_device_kill(), under sdev->lock, called by
 * exactly two paths, each of which then unlists the binding:
 *  - the file (DESTROY, close, SIGKILL), in pshim_device_destroy();
 *  - the bus notifier (pshim_device_hit() says when): the driver a
 *    shared binding sits beside, or the driver of another device of its
 *    group, is unbound (BUS_NOTIFY_UNBIND_DRIVER: device_lock held,
 *    before the driver's remove() and its DMA cleanup); the device is
 *    removed (BUS_NOTIFY_DEL_DEVICE, and BUS_NOTIFY_REMOVED_DEVICE,
 *    which this notifier sees before the IOMMU core's: its priority is
 *    higher); a device that may join its group is added.
 * A binding leaves the list only after it is DEAD, so the notifier,
 * which kills every listed binding it hits before it returns (waiting
 * on sdev->lock for a file that is killing it), never lets the driver
 * core go on while a PASID is attached. The PASIDs are detached under
 * sdev->lock alone: a binding with a million of them keeps no other
 * device's BIND or unbind waiting.
 *
 * BIND takes device_lock, so it never lands inside an unbind or probe
 * of the device's driver; it rejects a device the driver core has
 * started to remove by finding it on the bus again under
 * pshim_devices_lock (bus_remove_device() precedes REMOVED_DEVICE);
 * it is EBUSY while any PCI device is being added (pshim_adding).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "pasid_shim.h"

static DEFINE_MUTEX(pshim_devices_lock);
static LIST_HEAD(pshim_devices);
/*
 * Devices being added to the PCI bus: from pshim_bus_notify() (priority 1,
 * before the IOMMU core's probe puts the device in a group) to
 * pshim_bus_added() (priority -1, after it). BIND is EBUSY meanwhile:
 * the group it checks may be about to grow.
 */
static unsigned int pshim_adding;

static struct pshim_device *pshim_device_lookup(struct device *dev)
{
	struct pshim_device *sdev;

	lockdep_assert_held(&pshim_devices_lock);
	list_for_each_entry(sdev, &pshim_devices, node)
		if (&sdev->pdev->dev == dev)
			return sdev;
	return NULL;
}

struct pshim_group_walk {
	struct device *dev;
	unsigned int others;
	bool found;
};

static int pshim_group_dev(struct device *d, void *data)
{
	struct pshim_group_walk *w = data;

	if (d == w->dev)
		w->found = true;
	else
		w->others++;
	return 0;
}

/*
 * dev alone in its IOMMU group (GROUP_ALONE missing otherwise), and the
 * IOMMU core done adding it there (SETTLED missing while a hot-added
 * device is half probed: the core lists it in the group and sets its
 * domain under one lock). Returns the group's size.
 *
 * Why a device added later can join that group only from dev's own bus:
 * pci_device_group() puts a newcomer into an existing group either
 * through a bridge upstream of the newcomer that is already a member
 * (no ACS below it, or a PCIe-to-PCI bridge it aliases to), or through
 * a device of the newcomer's own bus (a DMA alias quirk, a function of
 * a multi-function slot without ACS). A group of dev alone, dev no
 * bridge (NOT_BRIDGE), leaves only the second way, and the notifier
 * ends a binding when a device is added on its bus.
 */
static u32 pshim_device_group_assess(struct device *dev, u32 *missing)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct pshim_group_walk w = { .dev = dev };

	if (!group) {
		*missing |= PASID_SHIM_MISSING_SETTLED;
		return 0;
	}
	iommu_group_for_each_dev(group, &w, pshim_group_dev);
	iommu_group_put(group);
	if (w.others)
		*missing |= PASID_SHIM_MISSING_GROUP_ALONE;
	else if (!w.found)
		*missing |= PASID_SHIM_MISSING_SETTLED;
	return w.others + w.found;
}

/* Still on the bus: the driver core has not begun to remove it. */
static bool pshim_device_on_bus(struct device *dev)
{
	struct device *found;

	found = bus_find_device_by_name(&pci_bus_type, NULL, dev_name(dev));
	put_device(found);
	return found == dev;
}

/* The device's own PCI capabilities and driver. */
static void pshim_device_pci_assess(struct pci_dev *pdev,
				    struct pasid_shim_check *r)
{
	struct pci_dev *pf = pci_physfn(pdev);	/* a VF's PASID is its PF's */
	struct device_driver *drv = pdev->dev.driver;
	int pos = pci_find_ext_capability(pf, PCI_EXT_CAP_ID_PASID);
	u16 cap = 0, ctrl = 0;

	if (pos) {
		pci_read_config_word(pf, pos + PCI_PASID_CAP, &cap);
		pci_read_config_word(pf, pos + PCI_PASID_CTRL, &ctrl);
		r->out_have |= PASID_SHIM_HAVE_PASID_CAP;
		r->out_dev_pasid_width = (cap >> 8) & 0x1f;
		if (ctrl & PCI_PASID_CTRL_ENABLE)
			r->out_have |= PASID_SHIM_HAVE_PASID_ENABLED;
		if (cap & PCI_PASID_CAP_EXEC)
			r->out_have |= PASID_SHIM_HAVE_PASID_EXEC;
		if (cap & PCI_PASID_CAP_PRIV)
			r->out_have |= PASID_SHIM_HAVE_PASID_PRIV;
	}
	if (pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ATS))
		r->out_have |= PASID_SHIM_HAVE_ATS;
	if (pci_find_ext_capability(pf, PCI_EXT_CAP_ID_PRI))
		r->out_have |= PASID_SHIM_HAVE_PRI;
	if (drv) {
		r->out_have |= PASID_SHIM_HAVE_DRIVER;
		strscpy(r->out_driver, drv->name, sizeof(r->out_driver));
		if (to_pci_driver(drv)->driver_managed_dma)
			r->out_have |= PASID_SHIM_HAVE_DRIVER_MANAGED_DMA;
	}
}

/*
 * Everything BIND requires of the device, and what CHECK reports: each
 * requirement not met is a bit of r->out_missing, and BIND's errno is
 * the lowest one's (pshim_device_refusal()). device_lock and
 * pshim_devices_lock held, so neither its driver nor the list changes.
 * Return: 0, or -ENOMEM when the IOMMU could not be asked.
 */
static int pshim_device_assess(struct pci_dev *pdev, bool exclusive,
			       struct pasid_shim_check *r)
{
	struct device *dev = &pdev->dev;
	u32 miss = 0;
	int ret;

	lockdep_assert_held(&pshim_devices_lock);
	/*
	 * Off the bus, the driver core is removing it: the IOMMU core may
	 * be freeing dev->iommu right now (its REMOVED_DEVICE notifier runs
	 * after ours, which we no longer hold back). Nothing else can be
	 * looked at. On the bus, our notifier, which holds
	 * pshim_devices_lock before that one runs, keeps dev->iommu alive.
	 */
	if (!pshim_device_on_bus(dev)) {
		r->out_missing = PASID_SHIM_MISSING_PRESENT;
		return 0;
	}
	pshim_device_pci_assess(pdev, r);
	/*
	 * A device being added may be about to join its group, and the
	 * IOMMU core may be filling in (or, if its probe fails, freeing) a
	 * dev->iommu: nothing more is looked at until the add is done.
	 */
	if (pshim_adding) {
		r->out_missing = PASID_SHIM_MISSING_SETTLED;
		return 0;
	}
	if (!dev->iommu) {
		miss |= PASID_SHIM_MISSING_IOMMU;
	} else {
		/* No group: the IOMMU core is still probing a hot-added device. */
		r->out_group_devices = pshim_device_group_assess(dev, &miss);
		if (miss & PASID_SHIM_MISSING_SETTLED) {
			r->out_missing = miss;
			return 0;
		}
		if (dev->iommu->max_pasids)
			r->out_max_pasid_log2 = ilog2(dev->iommu->max_pasids);
		else
			miss |= PASID_SHIM_MISSING_PASIDS;
		ret = pshim_guard_assess(dev, r, &miss);
		if (ret)
			return ret;
	}
	if (miss & PASID_SHIM_MISSING_PASIDS &&
	    !(r->out_have & PASID_SHIM_HAVE_PASID_CAP))
		miss |= PASID_SHIM_MISSING_PASID_CAP;
	/* Devices hot-added below a bridge may join the bridge's group. */
	if (pci_is_bridge(pdev))
		miss |= PASID_SHIM_MISSING_NOT_BRIDGE;
	if (pshim_device_lookup(dev))
		miss |= PASID_SHIM_MISSING_UNBOUND;
	if (exclusive) {
		if (dev->driver)
			miss |= PASID_SHIM_MISSING_NO_DRIVER;
	} else if (!dev->driver) {
		miss |= PASID_SHIM_MISSING_DRIVER;
	} else if (r->out_have & PASID_SHIM_HAVE_DRIVER_MANAGED_DMA) {
		/* Shared: its driver's DMA ownership must be the kernel's DMA API. */
		miss |= PASID_SHIM_MISSING_DMA_API_DRIVER;
	}
	r->out_missing = miss;
	return 0;
}

/* BIND's errno for each requirement, by bit of PASID_SHIM_MISSING_*. */
static const int pshim_device_refusals[] = {
	[ilog2(PASID_SHIM_MISSING_PRESENT)] = -ENODEV,
	[ilog2(PASID_SHIM_MISSING_SETTLED)] = -EBUSY,
	[ilog2(PASID_SHIM_MISSING_IOMMU)] = -EOPNOTSUPP,
	[ilog2(PASID_SHIM_MISSING_GROUP_ALONE)] = -EXDEV,
	[ilog2(PASID_SHIM_MISSING_PASIDS)] = -EOPNOTSUPP,
	[ilog2(PASID_SHIM_MISSING_NOT_BRIDGE)] = -EXDEV,
	[ilog2(PASID_SHIM_MISSING_UNBOUND)] = -EBUSY,
	[ilog2(PASID_SHIM_MISSING_PAGING_PASID)] = -EOPNOTSUPP,
	[ilog2(PASID_SHIM_MISSING_GUARDED)] = -EOPNOTSUPP,
	[ilog2(PASID_SHIM_MISSING_NOT_KDUMP)] = -EBUSY,
	[ilog2(PASID_SHIM_MISSING_NO_DRIVER)] = -EBUSY,
	[ilog2(PASID_SHIM_MISSING_DRIVER)] = -ENXIO,
	[ilog2(PASID_SHIM_MISSING_DMA_API_DRIVER)] = -EBUSY,
};

/* 0 if nothing BIND needs is missing, else the first refusal's errno. */
static int pshim_device_refusal(u32 missing)
{
	missing &= GENMASK(ARRAY_SIZE(pshim_device_refusals) - 1, 0);
	return missing ? pshim_device_refusals[__ffs(missing)] : 0;
}

int pshim_device_report(const char *name, u32 flags, struct pasid_shim_check *r)
{
	struct device *dev;
	int ret;

	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	if (!dev)
		return -ENODEV;
	device_lock(dev);
	mutex_lock(&pshim_devices_lock);
	ret = pshim_device_assess(to_pci_dev(dev), flags & PASID_SHIM_BIND_EXCLUSIVE, r);
	mutex_unlock(&pshim_devices_lock);
	device_unlock(dev);
	put_device(dev);
	return ret;
}

struct pshim_device *pshim_device_bind(struct pshim_ctx *ctx,
				       const char *name, u32 flags)
{
	bool exclusive = flags & PASID_SHIM_BIND_EXCLUSIVE;
	struct pasid_shim_check report = {};
	struct pshim_device *sdev;
	struct device *dev;
	int ret;

	dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	if (!dev)
		return ERR_PTR(-ENODEV);
	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL_ACCOUNT);
	if (!sdev) {
		ret = -ENOMEM;
		goto err_put;
	}
	sdev->pdev = to_pci_dev(dev);
	sdev->exclusive = exclusive;
	mutex_init(&sdev->lock);
	xa_init(&sdev->pasids);
	INIT_LIST_HEAD(&sdev->node);
	refcount_set(&sdev->refs, 1);

	device_lock(dev);
	mutex_lock(&pshim_devices_lock);
	ret = pshim_device_assess(sdev->pdev, exclusive, &report);
	if (!ret)
		ret = pshim_device_refusal(report.out_missing);
	if (!ret)
		ret = pshim_guard_bind(sdev);
	if (ret)
		goto err_unlock;
	sdev->max_pasids = dev->iommu->max_pasids;
	if (exclusive) {
		/* EPERM from the core: VFIO, iommufd or another owner. */
		ret = iommu_device_claim_dma_owner(dev, sdev);
		if (ret) {
			ret = ret == -EPERM ? -EBUSY : ret;
			goto err_unlock;
		}
	}
	ret = pshim_obj_add(ctx, &sdev->obj, PSHIM_OBJ_DEVICE);
	if (ret)
		goto err_release;
	sdev->state = PSHIM_DEV_LIVE;
	list_add(&sdev->node, &pshim_devices);
	mutex_unlock(&pshim_devices_lock);
	device_unlock(dev);
	atomic_inc(&pshim_stats.devices);
	return sdev;

err_release:
	if (exclusive)
		iommu_device_release_dma_owner(dev);
err_unlock:
	mutex_unlock(&pshim_devices_lock);
	device_unlock(dev);
	mutex_destroy(&sdev->lock);
	kfree(sdev);
err_put:
	put_device(dev);
	return ERR_PTR(ret);
}

/*
 * LIVE -> DEAD: detach every PASID, then give back DMA ownership.
 * Only sdev->lock is held while the PASIDs go, so a binding with a
 * million of them keeps no other device's unbind or BIND waiting; the
 * caller holds a reference. A second caller (the file and the notifier
 * at once) waits on sdev->lock until the first is done. Only a file's
 * DESTROY is @killable: it then stops with the device still LIVE and
 * some PASIDs still attached (-EINTR).
 */
static int pshim_device_kill(struct pshim_device *sdev, bool killable)
{
	int ret = 0;

	mutex_lock(&sdev->lock);
	if (sdev->state == PSHIM_DEV_LIVE) {
		ret = pshim_pasid_detach_all(sdev, killable);
		if (!ret) {
			if (sdev->exclusive)
				iommu_device_release_dma_owner(&sdev->pdev->dev);
			sdev->state = PSHIM_DEV_DEAD;
		}
	}
	mutex_unlock(&sdev->lock);
	return ret;
}

/* Off the list, after pshim_device_kill(): the device may be bound again. */
static void pshim_device_unlist(struct pshim_device *sdev)
{
	mutex_lock(&pshim_devices_lock);
	list_del_init(&sdev->node);
	mutex_unlock(&pshim_devices_lock);
}

static void pshim_device_put(struct pshim_device *sdev)
{
	if (!refcount_dec_and_test(&sdev->refs))
		return;
	xa_destroy(&sdev->pasids);
	mutex_destroy(&sdev->lock);
	pci_dev_put(sdev->pdev);
	kfree(sdev);
	atomic_dec(&pshim_stats.devices);
}

/*
 * debugfs pasid_shim/devices: every listed binding and its PASIDs. One
 * file for the module's lifetime, so no binding waits for a reader of
 * it (a reader can be held in copy_to_user() for as long as it likes);
 * each binding is printed under its own lock with a reference held, not
 * under pshim_devices_lock.
 */
static int pshim_devices_show(struct seq_file *m, void *unused)
{
	struct pshim_device *sdev, **all;
	unsigned int n = 0, i;
	unsigned long pasid;
	void *entry;

	mutex_lock(&pshim_devices_lock);
	list_for_each_entry(sdev, &pshim_devices, node)
		n++;
	all = kmalloc_array(n, sizeof(*all), GFP_KERNEL);
	if (!all) {
		mutex_unlock(&pshim_devices_lock);
		return -ENOMEM;
	}
	i = 0;
	list_for_each_entry(sdev, &pshim_devices, node) {
		refcount_inc(&sdev->refs);
		all[i++] = sdev;
	}
	mutex_unlock(&pshim_devices_lock);

	for (i = 0; i < n; i++) {
		sdev = all[i];
		mutex_lock(&sdev->lock);
		seq_printf(m, "device %s %s %s\n", pci_name(sdev->pdev),
			   sdev->exclusive ? "exclusive" : "shared",
			   sdev->state == PSHIM_DEV_LIVE ? "live" : "dead");
		xa_for_each(&sdev->pasids, pasid, entry) {
			seq_printf(m, "pasid %lu domain %u\n", pasid,
				   pshim_entry_dom(entry)->obj.id);
			cond_resched();
		}
		mutex_unlock(&sdev->lock);
		pshim_device_put(sdev);
	}
	kfree(all);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pshim_devices);

void pshim_device_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("devices", 0400, dir, NULL, &pshim_devices_fops);
}

int pshim_device_destroy(struct pshim_ctx *ctx, struct pshim_obj *obj,
			 bool killable)
{
	struct pshim_device *sdev = container_of(obj, struct pshim_device, obj);
	int ret;

	ret = pshim_device_kill(sdev, killable);
	if (ret)
		return ret;
	pshim_device_unlist(sdev);
	pshim_obj_remove(ctx, &sdev->obj);
	pshim_device_put(sdev);
	return 0;
}

/*
 * Must the binding sdev die because of this event on dev? Called with
 * pshim_devices_lock held, for every listed binding.
 *  - dev itself is removed (DEL_DEVICE, and REMOVED_DEVICE, which this
 *    notifier sees before the IOMMU core releases it, by its priority);
 *  - the driver a shared binding sits beside is unbound (UNBIND_DRIVER
 *    runs under device_lock, before remove() and the DMA cleanup), or
 *    the driver of any other device of its IOMMU group is: that cleanup
 *    WARNs on the group's PASIDs as well. A driver binding to an
 *    exclusively held device can only be one that manages DMA itself
 *    (the others fail to probe), so its unbind changes nothing;
 *  - a device is added on the same bus (ADD_DEVICE, before the IOMMU
 *    core probes it): it may join the group, as a function of the same
 *    slot does, and the core would not give it the group's PASIDs, so
 *    detaching them later would WARN. The binding ends first.
 */
static bool pshim_device_hit(struct pshim_device *sdev, unsigned long action,
			     struct device *dev)
{
	struct device *mine = &sdev->pdev->dev;

	switch (action) {
	case BUS_NOTIFY_DEL_DEVICE:
	case BUS_NOTIFY_REMOVED_DEVICE:
		return dev == mine;
	case BUS_NOTIFY_UNBIND_DRIVER:
		return !sdev->exclusive && (dev == mine ||
			(dev->iommu_group && dev->iommu_group == mine->iommu_group));
	case BUS_NOTIFY_ADD_DEVICE:
		return dev != mine && to_pci_dev(dev)->bus == sdev->pdev->bus;
	}
	return false;
}

/* The next listed binding this event ends, with a reference, or NULL. */
static struct pshim_device *pshim_device_next_hit(unsigned long action,
						  struct device *dev)
{
	struct pshim_device *sdev;

	lockdep_assert_held(&pshim_devices_lock);
	list_for_each_entry(sdev, &pshim_devices, node)
		if (pshim_device_hit(sdev, action, dev)) {
			refcount_inc(&sdev->refs);
			return sdev;
		}
	return NULL;
}

/*
 * The object stays in its file, DEAD (ENODEV), until destroyed. Each
 * binding hit is killed and unlisted before the next is looked for, and
 * before this returns to the driver core: a file already killing it is
 * waited for on sdev->lock.
 */
static int pshim_bus_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct pshim_device *sdev;
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_UNBIND_DRIVER:
	case BUS_NOTIFY_DEL_DEVICE:
	case BUS_NOTIFY_REMOVED_DEVICE:
		break;
	default:
		return NOTIFY_DONE;
	}
	mutex_lock(&pshim_devices_lock);
	if (action == BUS_NOTIFY_ADD_DEVICE)
		pshim_adding++;
	while ((sdev = pshim_device_next_hit(action, dev))) {
		mutex_unlock(&pshim_devices_lock);
		if (dev != &sdev->pdev->dev)
			dev_info(&sdev->pdev->dev, "pasid-shim: binding ended: %s %s shares or may share its IOMMU group\n",
				 dev_name(dev), action == BUS_NOTIFY_ADD_DEVICE ?
				 "was added and" : "lost its driver and");
		pshim_device_kill(sdev, false);
		pshim_device_unlist(sdev);
		pshim_device_put(sdev);
		mutex_lock(&pshim_devices_lock);
	}
	mutex_unlock(&pshim_devices_lock);
	return NOTIFY_OK;
}

/* The IOMMU core has probed an added device: BIND may look again. */
static int pshim_bus_added(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	if (action != BUS_NOTIFY_ADD_DEVICE)
		return NOTIFY_DONE;
	/*
	 * Zero here only for an add that began between the registration of
	 * this notifier and that of pshim_bus_notify() (registered in that
	 * order, unregistered in the other), which never counted it.
	 */
	mutex_lock(&pshim_devices_lock);
	if (pshim_adding)
		pshim_adding--;
	mutex_unlock(&pshim_devices_lock);
	return NOTIFY_OK;
}

static struct notifier_block pshim_bus_nb = {
	.notifier_call = pshim_bus_notify,
	/* Before iommu_bus_notifier (priority 0) releases the device. */
	.priority = 1,
};

static struct notifier_block pshim_bus_added_nb = {
	.notifier_call = pshim_bus_added,
	/* After iommu_bus_notifier (priority 0) has probed the device. */
	.priority = -1,
};

int pshim_device_notifier_init(void)
{
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &pshim_bus_added_nb);
	if (ret)
		return ret;
	ret = bus_register_notifier(&pci_bus_type, &pshim_bus_nb);
	if (ret)
		bus_unregister_notifier(&pci_bus_type, &pshim_bus_added_nb);
	return ret;
}

void pshim_device_notifier_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &pshim_bus_nb);
	bus_unregister_notifier(&pci_bus_type, &pshim_bus_added_nb);
}
