// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: make one kernel debug detector report, on request, so the
 * rig can prove that the detector's report fails the run. Write one word
 * to /sys/kernel/debug/pshim_detect/trigger:
 *
 *   leak     allocate four objects of 2048 bytes and drop every pointer
 *            to them (kmemleak: "unreferenced object ... (size 2048)"
 *            at the next scans; four, as a stale copy of a pointer on a
 *            stack can hide one)
 *   lockdep  take two mutexes in one order, then in the other (lockdep:
 *            "possible circular locking dependency detected"; nothing
 *            deadlocks, one task takes both orders in turn)
 *   uaf      read a byte of a freed allocation (KASAN:
 *            "BUG: KASAN: slab-use-after-free")
 *
 * A word whose detector this kernel does not have is refused with
 * EOPNOTSUPP, so a proof can never pass on the wrong kernel, and a
 * use-after-free is never done where nothing would catch it.
 *
 * Never load this outside a test guest.
 */
#include <linux/compiler.h>
#include <linux/debugfs.h>
#include <linux/kfence.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define DETECT_LEAK_SIZE 2048

static DEFINE_MUTEX(detect_a);
static DEFINE_MUTEX(detect_b);
static struct dentry *detect_dir;

static int detect_leak(void)
{
	char *p;
	int i;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		return -EOPNOTSUPP;
	for (i = 0; i < 4; i++) {
		p = kmalloc(DETECT_LEAK_SIZE, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		/* A pattern to tell it apart in the report's hex dump. */
		memset(p, 0x5a, DETECT_LEAK_SIZE);
		/* The only pointer is overwritten: the object is leaked. */
		OPTIMIZER_HIDE_VAR(p);
	}
	pr_info("pshim_detect: leaked four %d-byte objects\n", DETECT_LEAK_SIZE);
	return 0;
}

static int detect_lockdep(void)
{
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		return -EOPNOTSUPP;
	mutex_lock(&detect_a);
	mutex_lock(&detect_b);
	mutex_unlock(&detect_b);
	mutex_unlock(&detect_a);
	/* B then A: the inverse order, which lockdep reports. */
	mutex_lock(&detect_b);
	mutex_lock(&detect_a);
	mutex_unlock(&detect_a);
	mutex_unlock(&detect_b);
	pr_info("pshim_detect: took detect_a and detect_b in both orders\n");
	return 0;
}

static int detect_uaf(void)
{
	char *p;
	char c;

	if (!IS_ENABLED(CONFIG_KASAN))
		return -EOPNOTSUPP;
	/* A KFENCE-sampled object would be KFENCE's report, not KASAN's. */
	do {
		p = kmalloc(64, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		if (!is_kfence_address(p))
			break;
		kfree(p);
	} while (1);
	p[8] = 1;
	kfree(p);
	/* Keep the compiler from seeing (and dropping) the read below. */
	OPTIMIZER_HIDE_VAR(p);
	c = READ_ONCE(p[8]);
	pr_info("pshim_detect: read %d from a freed object\n", c);
	return 0;
}

static ssize_t detect_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char word[16];
	char *w;
	int ret;

	if (len == 0 || len >= sizeof(word))
		return -EINVAL;
	if (copy_from_user(word, ubuf, len))
		return -EFAULT;
	word[len] = '\0';
	w = strim(word);
	if (!strcmp(w, "leak"))
		ret = detect_leak();
	else if (!strcmp(w, "lockdep"))
		ret = detect_lockdep();
	else if (!strcmp(w, "uaf"))
		ret = detect_uaf();
	else
		ret = -EINVAL;
	return ret ? ret : len;
}

static const struct file_operations detect_fops = {
	.owner = THIS_MODULE,
	.write = detect_write,
};

static int __init detect_init(void)
{
	detect_dir = debugfs_create_dir("pshim_detect", NULL);
	debugfs_create_file("trigger", 0200, detect_dir, NULL, &detect_fops);
	return 0;
}

static void __exit detect_exit(void)
{
	debugfs_remove_recursive(detect_dir);
}

module_init(detect_init);
module_exit(detect_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only: provoke one kmemleak, lockdep or KASAN report on request");
