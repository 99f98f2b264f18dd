// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl dispatch: a table of commands, each with its struct's full size
 * and the size it had when introduced. Each handler unpacks its struct,
 * looks its objects up, makes one call into their owner, and responds;
 * what it created is undone if the reply cannot be written.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "pasid_shim.h"

/* Longest array a _MANY command takes. */
#define PSHIM_MANY_MAX		BIT(20)
/* Elements of ATTACH_MANY / DETACH_MANY copied in per step (256 bytes). */
#define PSHIM_MANY_CHUNK	32

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

u32 pshim_copy_entries(void *dst, const void __user *src, u32 n, size_t size)
{
	unsigned long left = copy_from_user(dst, src, n * size);

	return n - DIV_ROUND_UP(left, size);
}

/* A PCI device name from userspace: EFAULT, or EINVAL if too long. */
static int pshim_get_name(char *name, u64 uptr)
{
	long len = strncpy_from_user(name, u64_to_user_ptr(uptr), PASID_SHIM_NAME_MAX);

	if (len < 0)
		return len;
	return len == PASID_SHIM_NAME_MAX ? -EINVAL : 0;
}

static int pshim_ioctl_get_info(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	cmd->out_abi_version = PASID_SHIM_ABI_VERSION;
	cmd->out_features = pshim_features();
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_ioctl_bind(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_bind *cmd = ucmd->cmd;
	struct pshim_device *sdev;
	char name[PASID_SHIM_NAME_MAX];
	int ret;

	if (cmd->flags & ~PASID_SHIM_BIND_EXCLUSIVE)
		return -EOPNOTSUPP;
	ret = pshim_get_name(name, cmd->name_uptr);
	if (ret)
		return ret;
	sdev = pshim_device_bind(ucmd->ctx, name, cmd->flags);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	cmd->out_dev_id = sdev->obj.id;
	cmd->out_max_pasid = sdev->max_pasids;
	ret = pshim_respond(ucmd, sizeof(*cmd));
	if (ret)
		pshim_device_destroy(ucmd->ctx, &sdev->obj, false);
	return ret;
}

static int pshim_ioctl_check(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_check *cmd = ucmd->cmd;
	char name[PASID_SHIM_NAME_MAX];
	int ret;

	if (cmd->flags & ~PASID_SHIM_BIND_EXCLUSIVE)
		return -EOPNOTSUPP;
	ret = pshim_get_name(name, cmd->name_uptr);
	if (ret)
		return ret;
	/* Every out_ field is the report's, whatever userspace left there. */
	*cmd = (struct pasid_shim_check){
		.size = cmd->size, .flags = cmd->flags, .name_uptr = cmd->name_uptr,
	};
	ret = pshim_device_report(name, cmd->flags, cmd);
	if (ret)
		return ret;
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_ioctl_domain_alloc(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_domain_alloc *cmd = ucmd->cmd;
	struct pshim_domain *dom;
	struct pshim_device *sdev;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = pshim_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	dom = pshim_domain_create(ucmd->ctx, sdev);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	cmd->out_domain_id = dom->obj.id;
	ret = pshim_respond(ucmd, sizeof(*cmd));
	if (ret)
		pshim_domain_destroy(ucmd->ctx, &dom->obj, false);
	return ret;
}

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

static int pshim_ioctl_map(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_map *cmd = ucmd->cmd;
	struct pasid_shim_map_entry e = {
		.user_va = cmd->user_va, .length = cmd->length, .iova = cmd->iova,
	};
	struct pshim_domain *dom;
	struct pshim_charge chg;
	int prot, ret;

	prot = pshim_map_prot(cmd->flags, cmd->__reserved);
	if (prot < 0)
		return prot;
	dom = pshim_get_domain(ucmd->ctx, cmd->domain_id);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	ret = pshim_charge_begin(ucmd->ctx, &chg);
	if (ret)
		return ret;
	ret = pshim_domain_map(dom, &e, prot, &chg);
	pshim_charge_end(&chg);
	return ret;
}

static int pshim_ioctl_map_many(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_map_many *cmd = ucmd->cmd;
	struct pshim_domain *dom;
	int prot, ret;

	prot = pshim_map_prot(cmd->flags, cmd->__reserved);
	if (prot < 0)
		return prot;
	if (cmd->num > PSHIM_MANY_MAX)
		return -EINVAL;
	dom = pshim_get_domain(ucmd->ctx, cmd->domain_id);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	ret = pshim_domain_map_many(ucmd->ctx, dom, u64_to_user_ptr(cmd->entries_uptr),
				    cmd->num, prot, &cmd->out_done);
	return pshim_respond(ucmd, sizeof(*cmd)) ?: ret;
}

static int pshim_ioctl_unmap(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_unmap *cmd = ucmd->cmd;
	struct pshim_domain *dom;
	int ret;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	dom = pshim_get_domain(ucmd->ctx, cmd->domain_id);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	ret = pshim_domain_unmap(dom, cmd->iova, cmd->length, &cmd->out_unmapped);
	if (ret)
		return ret;
	/* The unmap stands even if the reply cannot be written. */
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_ioctl_attach(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_attach *cmd = ucmd->cmd;
	struct pshim_device *sdev;
	struct pshim_domain *dom;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = pshim_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	dom = pshim_get_domain(ucmd->ctx, cmd->domain_id);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	return pshim_pasid_attach(sdev, cmd->pasid, dom);
}

static int pshim_ioctl_replace(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_attach *cmd = ucmd->cmd;
	struct pshim_domain *dom, *old;
	struct pshim_device *sdev;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = pshim_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	dom = pshim_get_domain(ucmd->ctx, cmd->domain_id);
	if (IS_ERR(dom))
		return PTR_ERR(dom);
	ret = pshim_pasid_replace(sdev, cmd->pasid, dom, &old);
	if (ret)
		return ret;
	/* The replace stands even if the reply cannot be written. */
	cmd->out_old_domain_id = old->obj.id;
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_ioctl_detach(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_detach *cmd = ucmd->cmd;
	struct pshim_device *sdev;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = pshim_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	return pshim_pasid_detach(sdev, cmd->pasid);
}

/*
 * ATTACH_MANY and DETACH_MANY: copy a chunk in, resolve its domains up
 * to the first unknown one, act on that prefix under one hold of the
 * device's lock; stop at the first element that fails, so out_done
 * counts exactly the elements done, in order. A fatal signal stops it
 * between chunks (EINTR).
 */
static int pshim_many(struct pshim_ucmd *ucmd, bool attach)
{
	struct pasid_shim_batch *cmd = ucmd->cmd;
	struct pasid_shim_entry __user *uentries = u64_to_user_ptr(cmd->entries_uptr);
	struct pasid_shim_entry e[PSHIM_MANY_CHUNK];
	struct pshim_domain *doms[PSHIM_MANY_CHUNK];
	struct pshim_device *sdev;
	u32 n, got, i, did;
	int ret = 0, bad;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->num > PSHIM_MANY_MAX)
		return -EINVAL;
	sdev = pshim_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	cmd->out_done = 0;
	while (cmd->out_done < cmd->num && !ret) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = min_t(u32, cmd->num - cmd->out_done, PSHIM_MANY_CHUNK);
		got = pshim_copy_entries(e, uentries + cmd->out_done, n, sizeof(*e));
		bad = got < n ? -EFAULT : 0;
		for (i = 0; attach && i < got; i++) {
			/* One lookup for a run of elements naming one domain. */
			if (i && e[i].domain_id == e[i - 1].domain_id) {
				doms[i] = doms[i - 1];
				continue;
			}
			doms[i] = pshim_get_domain(ucmd->ctx, e[i].domain_id);
			if (IS_ERR(doms[i])) {
				bad = PTR_ERR(doms[i]);
				break;
			}
		}
		ret = pshim_pasid_many(sdev, e, attach ? doms : NULL,
				       attach ? i : got, &did);
		cmd->out_done += did;
		if (!ret)
			ret = bad;
		cond_resched();
	}
	return pshim_respond(ucmd, sizeof(*cmd)) ?: ret;
}

static int pshim_ioctl_attach_many(struct pshim_ucmd *ucmd)
{
	return pshim_many(ucmd, true);
}

static int pshim_ioctl_detach_many(struct pshim_ucmd *ucmd)
{
	return pshim_many(ucmd, false);
}

static int pshim_ioctl_list(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_list *cmd = ucmd->cmd;
	struct pshim_device *sdev;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = pshim_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	ret = pshim_pasid_list(sdev, u64_to_user_ptr(cmd->entries_uptr),
			       cmd->num_entries, &cmd->num_entries);
	if (ret)
		return ret;
	return pshim_respond(ucmd, sizeof(*cmd));
}

static int pshim_ioctl_destroy(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_destroy *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	return pshim_obj_destroy(ucmd->ctx, cmd->id);
}

static int pshim_ioctl_pasid_alloc(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_pasid_alloc *cmd = ucmd->cmd;
	struct pshim_device *sdev;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	sdev = pshim_get_device(ucmd->ctx, cmd->dev_id);
	if (IS_ERR(sdev))
		return PTR_ERR(sdev);
	ret = pshim_file_pasid_alloc(ucmd->ctx, sdev, &cmd->out_pasid);
	if (ret)
		return ret;
	ret = pshim_respond(ucmd, sizeof(*cmd));
	if (ret)
		pshim_file_pasid_free(ucmd->ctx, cmd->out_pasid);
	return ret;
}

static int pshim_ioctl_pasid_free(struct pshim_ucmd *ucmd)
{
	struct pasid_shim_pasid_free *cmd = ucmd->cmd;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	return pshim_file_pasid_free(ucmd->ctx, cmd->pasid);
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
	struct pasid_shim_check check;
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
	IOCTL_OP(PASID_SHIM_GET_INFO, pshim_ioctl_get_info, struct pasid_shim_info,
		 out_features),
	IOCTL_OP(PASID_SHIM_BIND, pshim_ioctl_bind, struct pasid_shim_bind,
		 out_max_pasid),
	IOCTL_OP(PASID_SHIM_DOMAIN_ALLOC, pshim_ioctl_domain_alloc,
		 struct pasid_shim_domain_alloc, out_domain_id),
	IOCTL_OP(PASID_SHIM_MAP, pshim_ioctl_map, struct pasid_shim_map, iova),
	IOCTL_OP(PASID_SHIM_UNMAP, pshim_ioctl_unmap, struct pasid_shim_unmap,
		 out_unmapped),
	IOCTL_OP(PASID_SHIM_ATTACH, pshim_ioctl_attach, struct pasid_shim_attach,
		 out_old_domain_id),
	IOCTL_OP(PASID_SHIM_REPLACE, pshim_ioctl_replace, struct pasid_shim_attach,
		 out_old_domain_id),
	IOCTL_OP(PASID_SHIM_DETACH, pshim_ioctl_detach, struct pasid_shim_detach,
		 pasid),
	IOCTL_OP(PASID_SHIM_LIST, pshim_ioctl_list, struct pasid_shim_list,
		 entries_uptr),
	IOCTL_OP(PASID_SHIM_DESTROY, pshim_ioctl_destroy, struct pasid_shim_destroy,
		 __reserved),
	IOCTL_OP(PASID_SHIM_PASID_ALLOC, pshim_ioctl_pasid_alloc,
		 struct pasid_shim_pasid_alloc, out_pasid),
	IOCTL_OP(PASID_SHIM_PASID_FREE, pshim_ioctl_pasid_free,
		 struct pasid_shim_pasid_free, __reserved),
	IOCTL_OP(PASID_SHIM_ATTACH_MANY, pshim_ioctl_attach_many,
		 struct pasid_shim_batch, __reserved),
	IOCTL_OP(PASID_SHIM_DETACH_MANY, pshim_ioctl_detach_many,
		 struct pasid_shim_batch, __reserved),
	IOCTL_OP(PASID_SHIM_MAP_MANY, pshim_ioctl_map_many,
		 struct pasid_shim_map_many, __reserved),
	IOCTL_OP(PASID_SHIM_CHECK, pshim_ioctl_check, struct pasid_shim_check,
		 out_driver),
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
	/*
	 * copy_struct_from_user() reads a tail beyond the kernel's struct to
	 * see that it is zero, in one pass: no struct grows past a page.
	 */
	if (ucmd.user_size > PAGE_SIZE)
		return -E2BIG;
	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;

	/* A caller sharing the file can be killed while it waits. */
	if (mutex_lock_killable(&ctx->lock))
		return -EINTR;
	ret = op->execute(&ucmd);
	mutex_unlock(&ctx->lock);
	return ret;
}
