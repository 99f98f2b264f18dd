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

static int pshim_map(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_map *cmd = ucmd->cmd;
	struct iommu_domain_geometry *geo;
	struct pshim_domain *dom;
	u64 last;
	int prot;

	if (cmd->flags & ~(PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	if (!cmd->flags)
		return -EINVAL;
	if (!cmd->length || !PAGE_ALIGNED(cmd->length) ||
	    !PAGE_ALIGNED(cmd->user_va) || !PAGE_ALIGNED(cmd->iova))
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &last) ||
	    cmd->user_va + cmd->length < cmd->user_va)
		return -EOVERFLOW;
	dom = pshim_obj_find(ucmd->ctx, cmd->domain_id, PSHIM_OBJ_DOMAIN);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	geo = &dom->domain->geometry;
	/* The aperture, and what the IOMMU translates (guard.c). */
	if (cmd->iova < geo->aperture_start || last > dom->max_iova)
		return -ERANGE;
	/*
	 * IOMMU_CACHE as VFIO type1 and iommufd: DMA snoops the CPU caches
	 * where the IOMMU leaves that to the page tables (SMMUv3, AMD-Vi).
	 * Intel VT-d ignores it, so the emulated one here cannot show it.
	 */
	prot = IOMMU_CACHE;
	if (cmd->flags & PASID_SHIM_MAP_READ)
		prot |= IOMMU_READ;
	if (cmd->flags & PASID_SHIM_MAP_WRITE)
		prot |= IOMMU_WRITE;
	return pshim_domain_map(dom, cmd->user_va, cmd->iova, cmd->length, prot);
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
