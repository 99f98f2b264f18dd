// SPDX-License-Identifier: GPL-2.0
/*
 * The object core: a file's objects in one xarray, named by ID, and the
 * one table that knows how each type ends. Nothing outside this file
 * asks an object its type; handlers use the typed getters.
 *
 * The file's lock (ctx->lock) is held around every call here, so an
 * object found stays alive until the command returns: no per-object
 * reference is needed for the file's own use. Devices carry a refcount
 * of their own for the bus notifier (device.c).
 */
#include <linux/sched.h>

#include "pasid_shim.h"

struct pshim_obj_ops {
	/* End the object and free it: 0, -EBUSY (not now), or -EINTR. */
	int (*destroy)(struct pshim_ctx *ctx, struct pshim_obj *obj,
		       bool killable);
};

static const struct pshim_obj_ops pshim_obj_ops[PSHIM_OBJ_TYPES] = {
	[PSHIM_OBJ_DEVICE] = { .destroy = pshim_device_destroy },
	[PSHIM_OBJ_DOMAIN] = { .destroy = pshim_domain_destroy },
};

/*
 * Each type's mark in the xarray (XA_MARK_0 is the allocator's), so a
 * walk over one type skips the others: a file's few devices among tens
 * of thousands of domains.
 */
static const xa_mark_t pshim_obj_mark[PSHIM_OBJ_TYPES] = {
	[PSHIM_OBJ_DEVICE] = XA_MARK_1,
	[PSHIM_OBJ_DOMAIN] = XA_MARK_2,
};

int pshim_obj_add(struct pshim_ctx *ctx, struct pshim_obj *obj,
		  enum pshim_obj_type type)
{
	int ret;

	lockdep_assert_held(&ctx->lock);
	obj->type = type;
	/* Cyclic: an ID is not handed out twice while the file is open. */
	ret = xa_alloc_cyclic(&ctx->objects, &obj->id, obj, xa_limit_31b,
			      &ctx->next_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		return ret;
	xa_set_mark(&ctx->objects, obj->id, pshim_obj_mark[type]);
	return 0;
}

void pshim_obj_remove(struct pshim_ctx *ctx, struct pshim_obj *obj)
{
	lockdep_assert_held(&ctx->lock);
	xa_erase(&ctx->objects, obj->id);
}

struct pshim_obj *pshim_obj_get(struct pshim_ctx *ctx, u32 id,
				enum pshim_obj_type type)
{
	struct pshim_obj *obj = xa_load(&ctx->objects, id);

	if (!obj || obj->type != type)
		return ERR_PTR(-ENOENT);
	return obj;
}

int pshim_obj_destroy(struct pshim_ctx *ctx, u32 id)
{
	struct pshim_obj *obj = xa_load(&ctx->objects, id);

	if (!obj)
		return -ENOENT;
	return pshim_obj_ops[obj->type].destroy(ctx, obj, true);
}

/*
 * Type by type, in the order of enum pshim_obj_type: the devices first,
 * whose going detaches every PASID, so no domain is held after them.
 */
void pshim_obj_destroy_all(struct pshim_ctx *ctx)
{
	enum pshim_obj_type type;
	struct pshim_obj *obj;
	unsigned long id;

	lockdep_assert_held(&ctx->lock);
	for (type = 0; type < PSHIM_OBJ_TYPES; type++) {
		xa_for_each_marked(&ctx->objects, id, obj, pshim_obj_mark[type]) {
			WARN_ON(pshim_obj_ops[type].destroy(ctx, obj, false));
			cond_resched();
		}
	}
}

struct pshim_device *pshim_obj_next_device(struct pshim_ctx *ctx,
					   unsigned long *id)
{
	struct pshim_obj *obj;

	lockdep_assert_held(&ctx->lock);
	obj = xa_find(&ctx->objects, id, ULONG_MAX, pshim_obj_mark[PSHIM_OBJ_DEVICE]);
	return obj ? container_of(obj, struct pshim_device, obj) : NULL;
}
