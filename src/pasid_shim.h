/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pasid-shim internal objects.
 *
 * An open file is a struct pshim_ctx (file.c); the devices it binds and
 * the domains it allocates are objects in its xarray (object.c), named
 * to userspace by ID. Names, one per type: ctx (struct pshim_ctx), sdev
 * (struct pshim_device), dom (struct pshim_domain), map (struct
 * pshim_mapping), dev (struct device), pdev (struct pci_dev), domain
 * (struct iommu_domain).
 *
 * Lock order:
 *
 *   ctx->lock -> device_lock(dev) -> pshim_devices_lock -> sdev->lock
 *     -> the IOMMU core's own locks (group->mutex, ...)
 *
 * The driver core enters at device_lock (unbind) or at
 * pshim_devices_lock (the bus notifier on device removal); nothing
 * under pshim_devices_lock or sdev->lock waits for device_lock or for a
 * file. A domain is freed only when no PASID holds it (dom->users), a
 * device object only by its file (device.c tells the device's states).
 *
 * Every loop whose length userspace controls (mappings, PASIDs, batch
 * entries) calls cond_resched() as it goes; where a command may stop
 * half way it also stops for a fatal signal (EINTR), leaving every
 * object whole. Teardown at close() never stops: it must release all.
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
struct pshim_ctx;
struct pshim_unit;
struct user_struct;

enum pshim_obj_type {
	PSHIM_OBJ_DEVICE,
	PSHIM_OBJ_DOMAIN,
	PSHIM_OBJ_TYPES,
};

/* What every object begins with; object.c owns it. */
struct pshim_obj {
	enum pshim_obj_type type;
	u32 id;
};

/*
 * Who pays for pinned pages: the user charged RLIMIT_MEMLOCK (NULL with
 * CAP_IPC_LOCK) and the mm charged pinned_vm. Shared by the mappings
 * made under the same pair, so a mapping holds one reference, not two.
 */
struct pshim_acct {
	refcount_t refs;
	struct user_struct *user;
	struct mm_struct *mm;
};

/* A MAP's or MAP_MANY's payer and the pages charged to it not yet used. */
struct pshim_charge {
	struct pshim_acct *acct;
	unsigned long prepaid;
};

/* acct.c: who pays for pinned pages */
int pshim_charge_begin(struct pshim_ctx *ctx, struct pshim_charge *chg);
void pshim_charge_prepay(struct pshim_charge *chg, unsigned long npages);
int pshim_charge_take(struct pshim_charge *chg, unsigned long npages);
void pshim_charge_refund(struct pshim_charge *chg, unsigned long npages);
void pshim_charge_end(struct pshim_charge *chg);
int pshim_acct_charge(struct pshim_acct *acct, unsigned long npages);
void pshim_acct_uncharge(struct pshim_acct *acct, unsigned long npages);
void pshim_acct_put(struct pshim_acct *acct);

struct pshim_ctx {
	struct mutex lock;		/* serialises this file's ioctls */
	struct xarray objects;		/* id -> struct pshim_obj */
	u32 next_id;
	unsigned int nr_domains;	/* of max_domains_per_file */
	struct xarray pasids;		/* PASIDs from the global allocator */
	unsigned int nr_pasids;		/* of max_pasids_per_file */
	struct pshim_acct *acct;	/* the last charge's payer, cached */
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

struct pshim_stats {
	atomic_t devices;
	atomic_t domains;
	atomic_t attachments;
	atomic_long_t pinned_pages;
	atomic_t pasids;
};

extern struct pshim_stats pshim_stats;

/* object.c: the file's objects, by ID */

/**
 * pshim_obj_add() - give @obj an ID in @ctx
 * @ctx: the file, ctx->lock held
 * @obj: embedded in a new, fully set up object
 * @type: what @obj is embedded in
 *
 * IDs are never 0 and not handed out twice while the file is open.
 * Return: 0, or -ENOMEM / -EBUSY (IDs used up).
 */
int pshim_obj_add(struct pshim_ctx *ctx, struct pshim_obj *obj,
		  enum pshim_obj_type type);
/**
 * pshim_obj_remove() - take @obj's ID back; the caller frees the object
 * @ctx: the file, ctx->lock held
 * @obj: an object of @ctx
 */
void pshim_obj_remove(struct pshim_ctx *ctx, struct pshim_obj *obj);
/**
 * pshim_obj_get() - look an ID up
 * @ctx: the file, ctx->lock held (which keeps the object alive)
 * @id: from userspace
 * @type: the type the command needs
 *
 * Return: the object, or ERR_PTR(-ENOENT) for an unknown ID or one of
 * another type. The typed pshim_get_device() and pshim_get_domain()
 * below are what handlers use.
 */
struct pshim_obj *pshim_obj_get(struct pshim_ctx *ctx, u32 id,
				enum pshim_obj_type type);
/**
 * pshim_obj_destroy() - DESTROY: end the object @id, of any type
 * @ctx: the file, ctx->lock held
 * @id: from userspace
 *
 * Return: 0; -ENOENT for an unknown ID; the type's refusal (-EBUSY for
 * a domain still attached); -EINTR if a fatal signal stopped it, the
 * object then staying whole.
 */
int pshim_obj_destroy(struct pshim_ctx *ctx, u32 id);
/**
 * pshim_obj_destroy_all() - at close(): end every object of @ctx
 * @ctx: the file, ctx->lock held
 *
 * Never stops, whatever signal is pending; yields as it goes.
 */
void pshim_obj_destroy_all(struct pshim_ctx *ctx);
/**
 * pshim_obj_next_device() - the file's first device from ID *@id on
 * @ctx: the file, ctx->lock held
 * @id: where to start; set to the device's ID
 *
 * Return: the device, or NULL when there is none left. Walks only the
 * devices, however many domains the file has; pshim_for_each_device()
 * is the loop.
 */
struct pshim_device *pshim_obj_next_device(struct pshim_ctx *ctx,
					   unsigned long *id);
#define pshim_for_each_device(ctx, id, sdev) \
	for ((id) = 0; ((sdev) = pshim_obj_next_device(ctx, &(id))); (id)++)

static inline struct pshim_device *pshim_get_device(struct pshim_ctx *ctx,
						    u32 id)
{
	struct pshim_obj *obj = pshim_obj_get(ctx, id, PSHIM_OBJ_DEVICE);

	return IS_ERR(obj) ? ERR_CAST(obj) :
	       container_of(obj, struct pshim_device, obj);
}

static inline struct pshim_domain *pshim_get_domain(struct pshim_ctx *ctx,
						    u32 id)
{
	struct pshim_obj *obj = pshim_obj_get(ctx, id, PSHIM_OBJ_DOMAIN);

	return IS_ERR(obj) ? ERR_CAST(obj) :
	       container_of(obj, struct pshim_domain, obj);
}

/* device.c: bound devices (see the top of device.c) */

/**
 * pshim_device_bind() - BIND: bind the PCI device @name to @ctx
 * @ctx: the file, ctx->lock held
 * @name: the PCI device's name, "0000:01:00.0"
 * @flags: 0 or PASID_SHIM_BIND_EXCLUSIVE
 *
 * Return: the new device object, or an ERR_PTR with BIND's errno.
 */
struct pshim_device *pshim_device_bind(struct pshim_ctx *ctx,
				       const char *name, u32 flags);
/**
 * pshim_device_destroy() - DESTROY or close() of a device object
 * @ctx: the file, ctx->lock held
 * @obj: the device's object
 * @killable: stop for a fatal signal (DESTROY) or never (close())
 *
 * Detaches every PASID, gives DMA ownership back, frees the object.
 * Return: 0, or -EINTR with the device still bound and whole.
 */
int pshim_device_destroy(struct pshim_ctx *ctx, struct pshim_obj *obj,
			 bool killable);
/**
 * pshim_device_report() - CHECK: what BIND would find on the PCI device
 * @name: the PCI device's name
 * @flags: 0 or PASID_SHIM_BIND_EXCLUSIVE: which BIND to judge
 * @r: filled in (its out_ fields; zeroed by the caller)
 *
 * Return: 0; -ENODEV for no such PCI device; -ENOMEM.
 */
int pshim_device_report(const char *name, u32 flags, struct pasid_shim_check *r);
int pshim_device_notifier_init(void);
void pshim_device_debugfs_init(struct dentry *dir);
void pshim_device_notifier_exit(void);

/* domain.c: paging domains and the user memory mapped into them */

/**
 * pshim_domain_create() - DOMAIN_ALLOC: an empty paging domain
 * @ctx: the file, ctx->lock held
 * @sdev: a device of @ctx; the domain belongs to its IOMMU
 *
 * Return: the new domain object; ERR_PTR(-ENODEV) if @sdev is dead,
 * -EDQUOT past max_domains_per_file, or the IOMMU driver's errno.
 */
struct pshim_domain *pshim_domain_create(struct pshim_ctx *ctx,
					 struct pshim_device *sdev);
/**
 * pshim_domain_destroy() - DESTROY or close() of a domain object
 * @ctx: the file, ctx->lock held
 * @obj: the domain's object
 * @killable: stop for a fatal signal (DESTROY) or never (close())
 *
 * Unmaps and unpins everything, then frees the domain.
 * Return: 0; -EBUSY while a PASID holds it; -EINTR with what is left
 * still mapped and the domain still there.
 */
int pshim_domain_destroy(struct pshim_ctx *ctx, struct pshim_obj *obj,
			 bool killable);
/**
 * pshim_domain_map() - pin and map one user buffer; MAP's rules
 * @ctx: the file, ctx->lock held (its cached payer, ctx->acct)
 * @dom: the domain
 * @e: the buffer: user_va, length, iova
 * @prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE
 * @chg: who pays, and what is prepaid (pshim_charge_begin())
 *
 * Return: 0, or MAP's errno (docs/uapi.md): -EINVAL, -EOVERFLOW,
 * -ERANGE, -EEXIST, -ENOMEM, -EFAULT, -EINTR. Nothing stays pinned on
 * failure, and its pages go back to @chg's prepaid ones.
 */
int pshim_domain_map(struct pshim_domain *dom,
		     const struct pasid_shim_map_entry *e, int prot,
		     struct pshim_charge *chg);
/**
 * pshim_domain_map_many() - MAP_MANY: each buffer as a MAP, in order
 * @ctx: the file, ctx->lock held
 * @dom: the domain
 * @uentries: userspace array of @num buffers
 * @num: buffers
 * @prot: as pshim_domain_map()
 * @done: buffers mapped; uentries[*done] failed unless *done == @num
 *
 * The payer is decided once, and each chunk's lengths charged at once.
 * Return: 0 or the failing buffer's errno.
 */
int pshim_domain_map_many(struct pshim_ctx *ctx, struct pshim_domain *dom,
			  const struct pasid_shim_map_entry __user *uentries,
			  u32 num, int prot, u32 *done);
/**
 * pshim_domain_unmap() - UNMAP: every mapping wholly inside the range
 * @dom: the domain, its file's ctx->lock held
 * @iova: start of the range
 * @length: non-zero, not wrapping
 * @unmapped: bytes unmapped
 *
 * Return: 0; -EINVAL if a mapping straddles an edge (nothing removed);
 * -ENOENT if nothing is mapped there; -EINTR if a fatal signal stopped
 * it (what was unmapped stays unmapped).
 */
int pshim_domain_unmap(struct pshim_domain *dom, u64 iova, u64 length,
		       u64 *unmapped);
int pshim_domain_init(void);
void pshim_domain_exit(void);

/* pasid.c: the per-device PASID table (sdev->lock inside each call) */
int pshim_pasid_attach(struct pshim_device *sdev, u32 pasid,
		       struct pshim_domain *dom);
int pshim_pasid_replace(struct pshim_device *sdev, u32 pasid,
			struct pshim_domain *dom, struct pshim_domain **old);
int pshim_pasid_detach(struct pshim_device *sdev, u32 pasid);
/**
 * pshim_pasid_many() - ATTACH_MANY or DETACH_MANY of n elements in order
 * @sdev: the device
 * @e: the elements' PASIDs (e[i].pasid)
 * @doms: the elements' domains, looked up already; NULL: detach
 * @n: elements
 * @done: elements done; e[*done] failed unless *done == n
 *
 * Return: 0 or the failing element's errno.
 */
int pshim_pasid_many(struct pshim_device *sdev, const struct pasid_shim_entry *e,
		     struct pshim_domain *const *doms, u32 n, u32 *done);
/**
 * pshim_pasid_detach_all() - detach every PASID of a dying device
 * @sdev: the device, sdev->lock held
 * @killable: stop for a fatal signal (a DESTROY) or never
 *
 * Return: 0 when none is left, -EINTR otherwise.
 */
int pshim_pasid_detach_all(struct pshim_device *sdev, bool killable);
bool pshim_pasid_attached(struct pshim_device *sdev, u32 pasid);
/**
 * pshim_pasid_list() - LIST, in PASID order, up to @capacity entries
 * @sdev: the device
 * @out: userspace array of @capacity entries
 * @capacity: 0 only counts
 * @count: PASIDs attached
 *
 * Copies out in chunks, sdev->lock dropped around each copy.
 * Return: 0, -ENODEV, -EFAULT or -EINTR.
 */
int pshim_pasid_list(struct pshim_device *sdev,
		     struct pasid_shim_entry __user *out, u32 capacity,
		     u32 *count);
struct pshim_domain *pshim_entry_dom(void *entry);

/* file.c: the open file and its PASIDs from the global allocator */
int pshim_file_pasid_alloc(struct pshim_ctx *ctx, struct pshim_device *sdev,
			   u32 *out);
int pshim_file_pasid_free(struct pshim_ctx *ctx, u32 pasid);
int pshim_file_domain_charge(struct pshim_ctx *ctx);
void pshim_file_domain_uncharge(struct pshim_ctx *ctx);
extern const struct file_operations pshim_fops;

/* guard.c */
int pshim_guard_assess(struct device *dev, struct pasid_shim_check *r,
		       u32 *missing);
int pshim_guard_bind(struct pshim_device *sdev);
int pshim_guard_attach(struct pshim_device *sdev, struct pshim_domain *dom);
void pshim_guard_exit(void);

/* ioctl.c */
long pshim_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
/**
 * pshim_copy_entries() - copy in the next elements of a userspace array
 * @dst: room for @n elements
 * @src: the first element wanted
 * @n: elements wanted
 * @size: bytes per element
 *
 * Return: how many whole elements came in: @n unless the array runs
 * into unreadable memory.
 */
u32 pshim_copy_entries(void *dst, const void __user *src, u32 n, size_t size);

/* main.c */
u32 pshim_features(void);

#endif /* PASID_SHIM_H */
