// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl dispatch: a table of commands, each with its struct's full size
 * and the size it had when introduced. Each handler checks its input,
 * acts, and undoes what it did if a later step fails.
 */
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pasid_shim.h"

#define PSHIM_NAME_MAX 32

struct pshim_ucmd {
	struct pshim_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/* Reply with as much of the struct as the caller gave room for. */
static int pshim_respond(struct pshim_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd, min_t(size_t, size, ucmd->user_size)))
		return -EFAULT;
	return 0;
}

static int pshim_get_info(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	cmd->out_abi_version = PASID_SHIM_ABI_VERSION;
	cmd->out_features = pshim_features();
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_bind(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_bind *cmd = ucmd->cmd;
	struct pshim_device *dev;
	char name[PSHIM_NAME_MAX];
	long len;
	int ret;

	if (cmd->flags & ~PASID_SHIM_BIND_EXCLUSIVE)
		return -EOPNOTSUPP;
	len = strncpy_from_user(name, u64_to_user_ptr(cmd->name_uptr), sizeof(name));
	if (len < 0)
		return len;
	if (len == sizeof(name))
		return -EINVAL;
	ret = pshim_device_bind(ucmd->ctx, name, cmd->flags, &dev);
	if (ret)
		return ret;
	cmd->out_dev_id = dev->obj.id;
	cmd->out_max_pasid = dev->max_pasids;
	ret = pshim_respond(ucmd, sizeof(*cmd));
	if (ret)
		pshim_device_destroy(ucmd->ctx, dev);
	return ret;
}

static int pshim_domain_alloc_ioctl(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_domain_alloc *cmd = ucmd->cmd;
	struct pshim_domain *dom;
	struct pshim_device *dev;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	dev = pshim_obj_find(ucmd->ctx, cmd->dev_id, PSHIM_OBJ_DEVICE);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	dom = pshim_domain_alloc(ucmd->ctx, dev);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	cmd->out_domain_id = dom->obj.id;
	ret = pshim_respond(ucmd, sizeof(*cmd));
	if (ret)
		pshim_domain_destroy(ucmd->ctx, dom);
	return ret;
}

/* Longest array a _MANY command takes. */
#define PSHIM_MANY_MAX		BIT(20)
/* Elements copied in per step of a _MANY command. */
#define PSHIM_MANY_CHUNK	32

/* MAP flags, checked; the IOMMU_* prot they ask for. */
static int pshim_map_prot(u32 flags, u32 reserved)
{
	/*
	 * IOMMU_CACHE as VFIO type1 and iommufd: DMA snoops the CPU caches
	 * where the IOMMU leaves that to the page tables (SMMUv3, AMD-Vi).
	 * Intel VT-d ignores it, so the emulated one here cannot show it.
	 */
	int prot = IOMMU_CACHE;

	if (flags & ~(PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE) || reserved)
		return -EOPNOTSUPP;
	if (!flags)
		return -EINVAL;
	if (flags & PASID_SHIM_MAP_READ)
		prot |= IOMMU_READ;
	if (flags & PASID_SHIM_MAP_WRITE)
		prot |= IOMMU_WRITE;
	return prot;
}

/* One buffer's own checks: alignment and wrap. */
static int pshim_map_check(const struct pasid_shim_map_entry *e, u64 *last)
{
	if (!e->length || !PAGE_ALIGNED(e->length) ||
	    !PAGE_ALIGNED(e->user_va) || !PAGE_ALIGNED(e->iova))
		return -EINVAL;
	if (check_add_overflow(e->iova, e->length - 1, last) ||
	    e->user_va + e->length < e->user_va)
		return -EOVERFLOW;
	return 0;
}

/* The aperture, and what the IOMMU translates (guard.c); then map. */
static int pshim_map_into(struct pshim_domain *dom,
			  const struct pasid_shim_map_entry *e, u64 last, int prot)
{
	if (e->iova < dom->domain->geometry.aperture_start || last > dom->max_iova)
		return -ERANGE;
	return pshim_domain_map(dom, e->user_va, e->iova, e->length, prot);
}

static int pshim_map(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_map *cmd = ucmd->cmd;
	struct pasid_shim_map_entry e = {
		.user_va = cmd->user_va, .length = cmd->length, .iova = cmd->iova,
	};
	struct pshim_domain *dom;
	int prot, ret;
	u64 last;

	prot = pshim_map_prot(cmd->flags, cmd->__reserved);
	if (prot < 0)
		return prot;
	ret = pshim_map_check(&e, &last);
	if (ret)
		return ret;
	dom = pshim_obj_find(ucmd->ctx, cmd->domain_id, PSHIM_OBJ_DOMAIN);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	return pshim_map_into(dom, &e, last, prot);
}

/*
 * Copy in up to n elements of size bytes; answer how many whole ones
 * came in, all of them unless the array ends in unreadable memory.
 */
static u32 pshim_copy_entries(void *dst, const void __user *src, u32 n,
			      size_t size)
{
	unsigned long left = copy_from_user(dst, src, n * size);

	return n - DIV_ROUND_UP(left, size);
}

/*
 * MAP_MANY: each buffer as a MAP of its own, in order, stopping at the
 * first that fails; out_done says how many are mapped.
 */
static int pshim_map_many(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_map_many *cmd = ucmd->cmd;
	struct pasid_shim_map_entry __user *uentries = u64_to_user_ptr(cmd->entries_uptr);
	struct pasid_shim_map_entry e[PSHIM_MANY_CHUNK / 2];
	struct pshim_domain *dom;
	u32 done = 0, n, got, i;
	int prot, ret = 0;
	u64 last;

	prot = pshim_map_prot(cmd->flags, cmd->__reserved);
	if (prot < 0)
		return prot;
	if (cmd->num > PSHIM_MANY_MAX)
		return -EINVAL;
	dom = pshim_obj_find(ucmd->ctx, cmd->domain_id, PSHIM_OBJ_DOMAIN);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	while (done < cmd->num && !ret) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min_t(u32, cmd->num - done, ARRAY_SIZE(e));
		got = pshim_copy_entries(e, uentries + done, n, sizeof(*e));
		for (i = 0; i < got && !ret; i++) {
			ret = pshim_map_check(&e[i], &last);
			if (!ret)
				ret = pshim_map_into(dom, &e[i], last, prot);
			if (!ret)
				done++;
		}
		if (!ret && got < n)
			ret = -EFAULT;
		cond_resched();
	}
	cmd->out_done = done;
	return pshim_respond(ucmd, sizeof(*cmd)) ?: ret;
}

static int pshim_unmap(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_unmap *cmd = ucmd->cmd;
	struct pshim_domain *dom;
	u64 last, unmapped = 0;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	dom = pshim_obj_find(ucmd->ctx, cmd->domain_id, PSHIM_OBJ_DOMAIN);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	ret = pshim_domain_unmap(dom, cmd->iova, cmd->length, &unmapped);
	if (ret)
		return ret;
	cmd->out_unmapped = unmapped;
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_attach_common(struct pshim_ucmd *ucmd, bool replace)
{
	struct pasid_shim_attach *cmd = ucmd->cmd;
	struct pshim_domain *dom, *old = NULL;
	struct pshim_device *dev;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	dev = pshim_obj_find(ucmd->ctx, cmd->dev_id, PSHIM_OBJ_DEVICE);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	dom = pshim_obj_find(ucmd->ctx, cmd->domain_id, PSHIM_OBJ_DOMAIN);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	if (replace)
		ret = pshim_pasid_replace(dev, cmd->pasid, dom, &old);
	else
		ret = pshim_pasid_attach(dev, cmd->pasid, dom);
	if (ret || !replace)
		return ret;
	/* The replace stands even if the reply cannot be written. */
	cmd->out_old_domain_id = old->obj.id;
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_attach(struct pshim_ucmd *ucmd)
{
	return pshim_attach_common(ucmd, false);
}

static int pshim_replace(struct pshim_ucmd *ucmd)
{
	return pshim_attach_common(ucmd, true);
}

static int pshim_detach(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_detach *cmd = ucmd->cmd;
	struct pshim_device *dev;

	if (cmd->flags)
		return -EOPNOTSUPP;
	dev = pshim_obj_find(ucmd->ctx, cmd->dev_id, PSHIM_OBJ_DEVICE);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	return pshim_pasid_detach(dev, cmd->pasid);
}

/*
 * ATTACH_MANY and DETACH_MANY: copy a chunk in, resolve its domains up
 * to the first unknown or unreadable one, act on that prefix under one
 * hold of the device's lock; stop at the first element that fails, so
 * out_done counts exactly the elements done, in order. A fatal signal
 * stops it between chunks (EINTR), as it stops a long MAP.
 */
static int pshim_many(struct pshim_ucmd *ucmd, bool attach)
{
	struct pasid_shim_batch *cmd = ucmd->cmd;
	struct pasid_shim_entry __user *uentries = u64_to_user_ptr(cmd->entries_uptr);
	struct pasid_shim_entry e[PSHIM_MANY_CHUNK];
	struct pshim_domain *doms[PSHIM_MANY_CHUNK];
	u32 pasids[PSHIM_MANY_CHUNK];
	struct pshim_device *dev;
	u32 done = 0, n, got, i, did;
	int ret = 0, bad;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->num > PSHIM_MANY_MAX)
		return -EINVAL;
	dev = pshim_obj_find(ucmd->ctx, cmd->dev_id, PSHIM_OBJ_DEVICE);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	while (done < cmd->num && !ret) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min_t(u32, cmd->num - done, PSHIM_MANY_CHUNK);
		got = pshim_copy_entries(e, uentries + done, n, sizeof(*e));
		bad = got < n ? -EFAULT : 0;
		for (i = 0; i < got; i++) {
			pasids[i] = e[i].pasid;
			if (!attach)
				continue;
			doms[i] = pshim_obj_find(ucmd->ctx, e[i].domain_id, PSHIM_OBJ_DOMAIN);
			if (IS_ERR(doms[i])) {
				bad = PTR_ERR(doms[i]);
				break;
			}
		}
		if (attach)
			ret = pshim_pasid_attach_many(dev, pasids, doms, i, &did);
		else
			ret = pshim_pasid_detach_many(dev, pasids, i, &did);
		done += did;
		if (!ret)
			ret = bad;
		cond_resched();
	}
	cmd->out_done = done;
	return pshim_respond(ucmd, sizeof(*cmd)) ?: ret;
}

static int pshim_attach_many(struct pshim_ucmd *ucmd)
{
	return pshim_many(ucmd, true);
}

static int pshim_detach_many(struct pshim_ucmd *ucmd)
{
	return pshim_many(ucmd, false);
}

static int pshim_list(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_list *cmd = ucmd->cmd;
	struct pasid_shim_entry *entries = NULL;
	struct pshim_device *dev;
	u32 capacity, count;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	dev = pshim_obj_find(ucmd->ctx, cmd->dev_id, PSHIM_OBJ_DEVICE);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	/* Room for what is attached, not for every PASID the device has. */
	capacity = min(cmd->num_entries, pshim_pasid_count(dev));
	if (capacity) {
		entries = kvcalloc(capacity, sizeof(*entries), GFP_KERNEL_ACCOUNT);
		if (!entries)
			return -ENOMEM;
	}
	ret = pshim_pasid_list(dev, entries, capacity, &count);
	if (ret)
		goto out_free;
	if (capacity && copy_to_user(u64_to_user_ptr(cmd->entries_uptr), entries,
				     min(count, capacity) * sizeof(*entries))) {
		ret = -EFAULT;
		goto out_free;
	}
	cmd->num_entries = count;
	ret = pshim_respond(ucmd, sizeof(*cmd));
out_free:
	kvfree(entries);
	return ret;
}

static int pshim_destroy(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_destroy *cmd = ucmd->cmd;
	struct pshim_obj *obj;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	obj = xa_load(&ucmd->ctx->objects, cmd->id);
	if (!obj)
		return -ENOENT;
	if (obj->type == PSHIM_OBJ_DOMAIN)
		return pshim_domain_destroy(ucmd->ctx,
					    container_of(obj, struct pshim_domain, obj));
	pshim_device_destroy(ucmd->ctx, container_of(obj, struct pshim_device, obj));
	return 0;
}

static int pshim_pasid_alloc_ioctl(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_pasid_alloc *cmd = ucmd->cmd;
	struct pshim_device *dev;
	u32 pasid;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	dev = pshim_obj_find(ucmd->ctx, cmd->dev_id, PSHIM_OBJ_DEVICE);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ret = pshim_pasid_alloc(ucmd->ctx, dev, &pasid);
	if (ret)
		return ret;
	cmd->out_pasid = pasid;
	ret = pshim_respond(ucmd, sizeof(*cmd));
	if (ret)
		pshim_pasid_free(ucmd->ctx, pasid);
	return ret;
}

static int pshim_pasid_free_ioctl(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_pasid_free *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	return pshim_pasid_free(ucmd->ctx, cmd->pasid);
}

union pshim_ucmd_buffer {
	struct pasid_shim_info info;
	struct pasid_shim_bind bind;
	struct pasid_shim_domain_alloc domain_alloc;
	struct pasid_shim_map map;
	struct pasid_shim_unmap unmap;
	struct pasid_shim_attach attach;
	struct pasid_shim_detach detach;
	struct pasid_shim_list list;
	struct pasid_shim_destroy destroy;
	struct pasid_shim_pasid_alloc pasid_alloc;
	struct pasid_shim_pasid_free pasid_free;
	struct pasid_shim_batch batch;
	struct pasid_shim_map_many map_many;
};

struct pshim_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct pshim_ucmd *ucmd);
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last)				\
	[_IOC_NR(_ioctl) - PASID_SHIM_CMD_BASE] = {			\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union pshim_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

static const struct pshim_ioctl_op pshim_ioctl_ops[] = {
	IOCTL_OP(PASID_SHIM_GET_INFO, pshim_get_info, struct pasid_shim_info,
		 out_features),
	IOCTL_OP(PASID_SHIM_BIND, pshim_bind, struct pasid_shim_bind,
		 out_max_pasid),
	IOCTL_OP(PASID_SHIM_DOMAIN_ALLOC, pshim_domain_alloc_ioctl,
		 struct pasid_shim_domain_alloc, out_domain_id),
	IOCTL_OP(PASID_SHIM_MAP, pshim_map, struct pasid_shim_map, iova),
	IOCTL_OP(PASID_SHIM_UNMAP, pshim_unmap, struct pasid_shim_unmap,
		 out_unmapped),
	IOCTL_OP(PASID_SHIM_ATTACH, pshim_attach, struct pasid_shim_attach,
		 out_old_domain_id),
	IOCTL_OP(PASID_SHIM_REPLACE, pshim_replace, struct pasid_shim_attach,
		 out_old_domain_id),
	IOCTL_OP(PASID_SHIM_DETACH, pshim_detach, struct pasid_shim_detach,
		 pasid),
	IOCTL_OP(PASID_SHIM_LIST, pshim_list, struct pasid_shim_list,
		 entries_uptr),
	IOCTL_OP(PASID_SHIM_DESTROY, pshim_destroy, struct pasid_shim_destroy,
		 __reserved),
	IOCTL_OP(PASID_SHIM_PASID_ALLOC, pshim_pasid_alloc_ioctl,
		 struct pasid_shim_pasid_alloc, out_pasid),
	IOCTL_OP(PASID_SHIM_PASID_FREE, pshim_pasid_free_ioctl,
		 struct pasid_shim_pasid_free, __reserved),
	IOCTL_OP(PASID_SHIM_ATTACH_MANY, pshim_attach_many, struct pasid_shim_batch,
		 __reserved),
	IOCTL_OP(PASID_SHIM_DETACH_MANY, pshim_detach_many, struct pasid_shim_batch,
		 __reserved),
	IOCTL_OP(PASID_SHIM_MAP_MANY, pshim_map_many, struct pasid_shim_map_many,
		 __reserved),
};

long pshim_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct pshim_ctx *ctx = filp->private_data;
	const struct pshim_ioctl_op *op;
	union pshim_ucmd_buffer buf;
	struct pshim_ucmd ucmd = {};
	unsigned int nr;
	int ret;

	if (_IOC_TYPE(cmd) != PASID_SHIM_TYPE)
		return -ENOTTY;
	nr = _IOC_NR(cmd);
	if (nr < PASID_SHIM_CMD_BASE ||
	    nr - PASID_SHIM_CMD_BASE >= ARRAY_SIZE(pshim_ioctl_ops))
		return -ENOTTY;
	op = &pshim_ioctl_ops[nr - PASID_SHIM_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;
	/* No capability check: CAP_SYS_RAWIO was checked at open. */

	ucmd.ctx = ctx;
	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;

	mutex_lock(&ctx->lock);
	ret = op->execute(&ucmd);
	mutex_unlock(&ctx->lock);
	return ret;
}
