/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pasid-shim internal objects.
 *
 * An open file is a struct pshim_ctx; the devices it binds and the
 * domains it allocates are objects in its xarray, named to userspace by
 * ID. Lock order:
 *
 *   ctx->lock -> device_lock(dev) -> pshim_devices_lock -> sdev->lock
 *     -> the IOMMU core's own locks (group->mutex, ...)
 *
 * The driver core enters at device_lock (unbind) or at
 * pshim_devices_lock (the bus notifier on device removal); nothing
 * under pshim_devices_lock or sdev->lock waits for device_lock or for a
 * file. A domain is freed only when no PASID holds it (dom->users), a
 * device object only by its file (device.c tells the device's states).
 */
#ifndef PASID_SHIM_H
#define PASID_SHIM_H

#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/refcount.h>
#include <linux/xarray.h>
#include <uapi/linux/pasid_shim.h>

#include "compat.h"

struct dentry;
struct pshim_unit;
struct user_struct;

enum pshim_obj_type {
	PSHIM_OBJ_DEVICE = 1,
	PSHIM_OBJ_DOMAIN,
};

struct pshim_obj {
	enum pshim_obj_type type;
	u32 id;
};

struct pshim_ctx {
	struct mutex lock;		/* serialises this file's ioctls */
	struct xarray objects;		/* id -> struct pshim_obj */
	struct xarray pasids;		/* PASIDs from the global allocator */
	u32 next_id;
};

/* See the top of device.c for who moves a device between these. */
enum pshim_dev_state {
	PSHIM_DEV_LIVE,			/* PASIDs may be attached */
	PSHIM_DEV_DEAD,			/* all detached, ownership released */
};

struct pshim_device {
	struct pshim_obj obj;
	struct pci_dev *pdev;
	refcount_t refs;		/* the file's, and a notifier's */
	struct list_head node;		/* on pshim_devices while listed */
	struct mutex lock;		/* state, pasids */
	enum pshim_dev_state state;
	bool exclusive;			/* holds the device's DMA ownership */
	struct xarray pasids;		/* pasid -> entry (pasid.c) */
	u64 max_iova;			/* what its IOMMU translates (guard.c) */
	unsigned int flush_order;	/* largest IOTLB flush, in pages (log2) */
	struct pshim_unit *unit;	/* its VT-d unit (guard.c), or NULL */
	u32 max_pasids;
	u32 nr_pasids;			/* entries in pasids */
};

struct pshim_domain {
	struct pshim_obj obj;
	struct iommu_domain *domain;
	struct iommu_device *iommu;	/* whose page tables these are */
	u64 max_iova;			/* aperture and the IOMMU's reach */
	unsigned int flush_order;	/* of the device it was allocated for */
	atomic_t users;			/* PASIDs attached */
	struct rb_root_cached mappings;	/* of struct pshim_mapping */
};

/* One attached PASID where the core takes a handle: see pasid.c. */
struct pshim_pasid {
	struct pshim_attach_handle handle;
	struct pshim_domain *dom;
};

/*
 * One MAP: a pinned user range mapped at node.start .. node.last. The
 * pages themselves are found again through the domain when unmapped.
 */
struct pshim_mapping {
	struct interval_tree_node node;
	int prot;			/* IOMMU_READ | IOMMU_WRITE | ... */
	struct user_struct *user;	/* charged RLIMIT_MEMLOCK, or NULL */
	struct mm_struct *mm;		/* charged pinned_vm */
};

struct pshim_stats {
	atomic_t devices;
	atomic_t domains;
	atomic_t attachments;
	atomic_long_t pinned_pages;
	atomic_t pasids;
};

extern struct pshim_stats pshim_stats;

/* object IDs */
int pshim_obj_add(struct pshim_ctx *ctx, struct pshim_obj *obj,
		  enum pshim_obj_type type);
void *pshim_obj_find(struct pshim_ctx *ctx, u32 id, enum pshim_obj_type type);
void pshim_obj_remove(struct pshim_ctx *ctx, struct pshim_obj *obj);

/* device.c */
int pshim_device_bind(struct pshim_ctx *ctx, const char *name, u32 flags,
		      struct pshim_device **out);
void pshim_device_destroy(struct pshim_ctx *ctx, struct pshim_device *dev);
int pshim_device_notifier_init(void);
void pshim_device_debugfs_init(struct dentry *dir);
void pshim_device_notifier_exit(void);

/* domain.c */
struct pshim_domain *pshim_domain_alloc(struct pshim_ctx *ctx,
					struct pshim_device *dev);
int pshim_domain_destroy(struct pshim_ctx *ctx, struct pshim_domain *dom);
int pshim_domain_map(struct pshim_domain *dom, unsigned long uva,
		     unsigned long iova, u64 length, int prot);
int pshim_domain_unmap(struct pshim_domain *dom, unsigned long iova,
		       u64 length, u64 *unmapped);

/* pasid.c */
int pshim_pasid_attach(struct pshim_device *dev, u32 pasid,
		       struct pshim_domain *dom);
int pshim_pasid_replace(struct pshim_device *dev, u32 pasid,
			struct pshim_domain *dom, struct pshim_domain **old);
int pshim_pasid_attach_many(struct pshim_device *dev, const u32 *pasids,
			    struct pshim_domain *const *doms, u32 n, u32 *done);
int pshim_pasid_detach(struct pshim_device *dev, u32 pasid);
int pshim_pasid_detach_many(struct pshim_device *dev, const u32 *pasids,
			    u32 n, u32 *done);
struct pshim_domain *pshim_entry_dom(void *entry);
void pshim_pasid_detach_all(struct pshim_device *dev);
bool pshim_pasid_attached(struct pshim_device *dev, u32 pasid);
u32 pshim_pasid_count(struct pshim_device *dev);
int pshim_pasid_list(struct pshim_device *dev, struct pasid_shim_entry *out,
		     u32 capacity, u32 *count);
int pshim_pasid_alloc(struct pshim_ctx *ctx, struct pshim_device *dev,
		      u32 *out);
int pshim_pasid_free(struct pshim_ctx *ctx, u32 pasid);
void pshim_pasid_free_all(struct pshim_ctx *ctx);

/* guard.c */
int pshim_guard_bind(struct pshim_device *dev);
int pshim_guard_attach(struct pshim_device *dev, struct pshim_domain *dom);
void pshim_guard_exit(void);

/* ioctl.c */
long pshim_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);

/* main.c */
u32 pshim_features(void);

#endif /* PASID_SHIM_H */
