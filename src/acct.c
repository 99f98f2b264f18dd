// SPDX-License-Identifier: GPL-2.0
/*
 * Who pays for pinned pages, as iommufd's pages.c charges them: the
 * caller's user (locked_vm, against RLIMIT_MEMLOCK) unless the caller
 * has CAP_IPC_LOCK, and always the caller's mm (pinned_vm, VmPin).
 *
 * A payer (struct pshim_acct) is the pair (user or NULL, mm), shared by
 * every mapping made under it and cached in the file, so a MAP finds
 * its payer with one capability check and no allocation. MAP_MANY
 * decides the payer once per call and charges the sum of each chunk of
 * buffers it copies in once (pshim_charge_prepay()); each buffer then
 * draws on what was prepaid, and what is left is uncharged at the end.
 * Prepaying per chunk, not the whole array, and at most
 * PSHIM_PREPAY_MAX pages of it, bounds what is charged ahead of pinning
 * (a caller with CAP_IPC_LOCK has no limit to stop a sum of absurd
 * lengths, and the mm's pinned_vm is read by others meanwhile) to what
 * a single MAP charges ahead: a buffer larger than that is charged on
 * its own, as MAP does. Each element is read once.
 */
#include <linux/capability.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "pasid_shim.h"

/* Pages one MAP_MANY chunk may prepay: the small buffers' case. */
#define PSHIM_PREPAY_MAX	(SZ_64M >> PAGE_SHIFT)

static void pshim_acct_free(struct pshim_acct *acct)
{
	if (acct->user)
		free_uid(acct->user);
	mmdrop(acct->mm);
	kfree(acct);
}

void pshim_acct_put(struct pshim_acct *acct)
{
	if (acct && refcount_dec_and_test(&acct->refs))
		pshim_acct_free(acct);
}

/* The caller's payer, with a reference: the file's cached one if it fits. */
static struct pshim_acct *pshim_acct_get(struct pshim_ctx *ctx)
{
	struct user_struct *user = capable(CAP_IPC_LOCK) ? NULL : current_user();
	struct pshim_acct *acct = ctx->acct;

	lockdep_assert_held(&ctx->lock);
	if (acct && acct->user == user && acct->mm == current->mm) {
		refcount_inc(&acct->refs);
		return acct;
	}
	acct = kmalloc(sizeof(*acct), GFP_KERNEL_ACCOUNT);
	if (!acct)
		return NULL;
	refcount_set(&acct->refs, 2);		/* the caller's and the cache's */
	acct->user = user ? get_uid(user) : NULL;
	acct->mm = current->mm;
	mmgrab(acct->mm);
	pshim_acct_put(ctx->acct);
	ctx->acct = acct;
	return acct;
}

/* iommufd's incr_user_locked_vm() and the pinned_vm of do_update_pinned(). */
int pshim_acct_charge(struct pshim_acct *acct, unsigned long npages)
{
	if (acct->user) {
		unsigned long limit, cur, new;

		limit = task_rlimit(current->group_leader, RLIMIT_MEMLOCK) >>
			PAGE_SHIFT;
		cur = atomic_long_read(&acct->user->locked_vm);
		do {
			new = cur + npages;
			if (new > limit || new < cur)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&acct->user->locked_vm, &cur, new));
	}
	atomic64_add(npages, &acct->mm->pinned_vm);
	return 0;
}

void pshim_acct_uncharge(struct pshim_acct *acct, unsigned long npages)
{
	if (acct->user)
		atomic_long_sub(npages, &acct->user->locked_vm);
	atomic64_sub(npages, &acct->mm->pinned_vm);
}

/* Decide the payer, once per MAP or MAP_MANY. */
int pshim_charge_begin(struct pshim_ctx *ctx, struct pshim_charge *chg)
{
	chg->acct = pshim_acct_get(ctx);
	chg->prepaid = 0;
	return chg->acct ? 0 : -ENOMEM;
}

/*
 * Prepay @npages if the limit allows; if it does not, nothing is
 * prepaid and each buffer is charged as it comes, so those that fit are
 * mapped and the first that does not fails alone.
 */
void pshim_charge_prepay(struct pshim_charge *chg, unsigned long npages)
{
	if (npages && npages <= PSHIM_PREPAY_MAX &&
	    !pshim_acct_charge(chg->acct, npages))
		chg->prepaid += npages;
}

/* Take @npages from what is prepaid, charging what is missing. */
int pshim_charge_take(struct pshim_charge *chg, unsigned long npages)
{
	int ret;

	if (chg->prepaid >= npages) {
		chg->prepaid -= npages;
		return 0;
	}
	ret = pshim_acct_charge(chg->acct, npages - chg->prepaid);
	if (!ret)
		chg->prepaid = 0;
	return ret;
}

/* Give back what was taken and not used. */
void pshim_charge_refund(struct pshim_charge *chg, unsigned long npages)
{
	chg->prepaid += npages;
}

/* Uncharge what is still prepaid; drop the reference on the payer. */
void pshim_charge_end(struct pshim_charge *chg)
{
	if (chg->prepaid)
		pshim_acct_uncharge(chg->acct, chg->prepaid);
	pshim_acct_put(chg->acct);
}
