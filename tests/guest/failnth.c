// SPDX-License-Identifier: GPL-2.0
/*
 * The fail-nth sweep, as mainline's iommufd_fail_nth.c: for each
 * sequence of calls, make its 1st, 2nd, ... fault-injection point fail
 * (a slab or page allocation, a user copy: failslab, fail_page_alloc,
 * fail_usercopy through /proc/thread-self/fail-nth) until the sequence
 * runs without reaching the point. After each step: the errno is one a
 * failed allocation or copy may give (ENOMEM, EFAULT), the state the
 * shim reports agrees with it (LIST, the stats), the hardware agrees
 * with the state (the host reads the PASID table), and after close the
 * stats are zero and the PASIDs gone from the hardware. After each
 * sequence, a kmemleak scan finds nothing new.
 *
 * Needs CONFIG_FAULT_INJECTION_DEBUG_FS (the rig's debug kernel); skips
 * elsewhere. usage: failnth [SEQUENCE...]
 */
#include <sys/mman.h>

#include "pshim_test.h"

#define MAX_STEPS	3000
#define MANY		8

struct st {
	int fd;
	uint32_t dev, a, b;
	uint32_t done;
	int lost;			/* the reply was not written */
	uint64_t mapped;		/* pages the sequence mapped */
};

/*
 * With one failure injected, a reply that could not be written (EFAULT
 * from the last copy) means every step before it was done: the command
 * stands, as docs/uapi.md says. The ops below call the ioctls with a
 * sentinel in the reply field to tell.
 */
#define LOST	0xffffffffu

static int batch(struct st *s, unsigned long cmd, const struct pasid_shim_entry *e)
{
	struct pasid_shim_batch c = {
		.size = sizeof(c), .dev_id = s->dev, .num = MANY,
		.entries_uptr = (uintptr_t)e, .out_done = LOST,
	};
	int ret = t_ioctl(s->fd, cmd, &c);

	s->lost = c.out_done == LOST;
	s->done = s->lost ? 0 : c.out_done;
	return ret;
}

struct seq {
	const char *name;
	int (*setup)(struct st *s);
	int (*op)(struct st *s);	/* under injection */
	int (*check)(struct st *s, int ret);	/* 1 if consistent */
	int closes;			/* op closes the file itself */
	int attaches;			/* PASIDs 1 and MANY may be in hardware */
};

static unsigned char *buf;		/* 2 MiB + 64 KiB, patterned */
static int nth_fd = -1;

static int bind_only(struct st *s)
{
	return t_bind(s->fd, t_dev, &s->dev, NULL);
}

static int bind_a(struct st *s)
{
	return bind_only(s) ?: t_domain_alloc(s->fd, s->dev, &s->a);
}

static int bind_a_mapped(struct st *s)
{
	return bind_a(s) ?: t_map(s->fd, s->a, buf, 65536, 0, PASID_SHIM_MAP_READ);
}

static int bind_ab_mapped(struct st *s)
{
	return bind_a_mapped(s) ?: t_domain_alloc(s->fd, s->dev, &s->b) ?:
	       t_map(s->fd, s->b, buf + 65536, 65536, 0, PASID_SHIM_MAP_READ);
}

static struct pasid_shim_entry many[MANY];

static void fill_many(struct st *s)
{
	for (unsigned int i = 0; i < MANY; i++) {
		many[i].pasid = i + 1;
		many[i].domain_id = i < MANY / 2 ? s->a : s->b;
	}
}

static int attached_many(struct st *s)
{
	int ret = bind_ab_mapped(s);

	fill_many(s);
	return ret ?: pshim_attach_many(s->fd, s->dev, many, MANY, &s->done);
}

static long attached(struct st *s)
{
	uint32_t n = 0;

	return pshim_list(s->fd, s->dev, NULL, 0, &n) ? -1 : (long)n;
}

/* The domain attached to @pasid per LIST, or 0. */
static uint32_t domain_of(struct st *s, uint32_t pasid)
{
	struct pasid_shim_entry e[MANY];
	uint32_t n = MANY;

	if (pshim_list(s->fd, s->dev, e, MANY, &n))
		return 0;
	for (uint32_t i = 0; i < n && i < MANY; i++)
		if (e[i].pasid == pasid)
			return e[i].domain_id;
	return 0;
}

static int op_bind(struct st *s)
{
	return bind_only(s);
}

static int check_bind(struct st *s, int ret)
{
	(void)s;
	return t_stat("devices") == (ret ? 0 : 1);
}

static int op_domain_alloc(struct st *s)
{
	return t_domain_alloc(s->fd, s->dev, &s->a);
}

static int check_domain_alloc(struct st *s, int ret)
{
	(void)s;
	return t_stat("domains") == (ret ? 0 : 1);
}

/* A small MAP (pages on the stack) and a 2 MiB one (a page of pointers). */
static int op_map(struct st *s)
{
	int ret = t_map(s->fd, s->a, buf, 65536, 0, PASID_SHIM_MAP_READ);

	if (ret)
		return ret;
	s->mapped = 16;
	ret = t_map(s->fd, s->a, buf + 65536, 2 << 20, 1 << 20, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE);
	if (!ret)
		s->mapped += 512;
	return ret;
}

static int check_mapped(struct st *s, int ret)
{
	(void)ret;
	return t_stat("pinned_pages") == (long)s->mapped;
}

static int op_map_many(struct st *s)
{
	struct pasid_shim_map_entry e[MANY];
	struct pasid_shim_map_many c = {
		.size = sizeof(c), .flags = PASID_SHIM_MAP_READ, .domain_id = s->a,
		.num = MANY, .entries_uptr = (uintptr_t)e, .out_done = LOST,
	};
	int ret;

	for (unsigned int i = 0; i < MANY; i++) {
		e[i].user_va = (uintptr_t)(buf + (i % 8) * 4096);
		e[i].length = 4096;
		e[i].iova = 0x100000 + i * 4096;
	}
	ret = t_ioctl(s->fd, PASID_SHIM_MAP_MANY, &c);
	s->lost = c.out_done == LOST;
	s->done = s->lost ? 0 : c.out_done;
	s->mapped = s->done;
	return ret;
}

/*
 * A lost reply (EFAULT, the reply field untouched) is either the struct
 * failing to come in (nothing done) or the reply failing to go out
 * (everything done): all or nothing, never a part.
 */
static void lost_all_or_nothing(struct st *s, long all_done)
{
	s->done = all_done ? MANY : 0;
}

static int check_map_many(struct st *s, int ret)
{
	if (s->lost) {
		if (ret != -EFAULT)
			return 0;
		lost_all_or_nothing(s, t_stat("pinned_pages") == MANY);
		s->mapped = s->done;
		ret = s->done ? 0 : ret;
	}
	return (ret || s->done == MANY) && check_mapped(s, ret);
}

static int op_attach(struct st *s)
{
	return t_attach(s->fd, s->dev, 1, s->a);
}

static int check_attach(struct st *s, int ret)
{
	int ok = attached(s) == (ret ? 0 : 1);

	t_hw_scope();
	t_hw_say("fail-nth ATTACH (%s): pasid 1 %s", ret ? "refused" : "done",
		 ret ? "not in the hardware" : "on domain A");
	return t_hw_pasid(1, !ret, "A") && ok;
}

static int attached_a(struct st *s)
{
	return bind_ab_mapped(s) ?: t_attach(s->fd, s->dev, 1, s->a);
}

static int op_replace(struct st *s)
{
	struct pasid_shim_attach c = {
		.size = sizeof(c), .dev_id = s->dev, .pasid = 1, .domain_id = s->b,
		.out_old_domain_id = LOST,
	};
	int ret = t_ioctl(s->fd, PASID_SHIM_REPLACE, &c);

	s->lost = !ret || c.out_old_domain_id == LOST;
	if (!ret && c.out_old_domain_id != s->a)
		return -EIO;	/* the reply must name A */
	return ret;
}

/* Refused: A still; done, or its reply lost: B. */
static int check_replace(struct st *s, int ret)
{
	int replaced = !ret || (ret == -EFAULT && s->lost && domain_of(s, 1) == s->b);
	int ok = domain_of(s, 1) == (replaced ? s->b : s->a);

	ret = replaced ? 0 : ret;

	t_hw_scope();
	t_hw_say("fail-nth REPLACE (%s): pasid 1 on domain %s", ret ? "refused" : "done",
		 ret ? "A still" : "B");
	return t_hw_pasid(1, 1, ret ? "A" : "B") && ok;
}

static int op_attach_many(struct st *s)
{
	fill_many(s);
	return batch(s, PASID_SHIM_ATTACH_MANY, many);
}

static int check_many(struct st *s, long want_attached, int first, int last)
{
	int ok = attached(s) == want_attached;

	t_hw_scope();
	t_hw_say("fail-nth batch: pasid 1 %s", first ? "on domain A" : "not in the hardware");
	ok &= t_hw_pasid(1, first, "A");
	t_hw_say("fail-nth batch: pasid %d %s", MANY, last ? "on domain B" : "not in the hardware");
	ok &= t_hw_pasid(MANY, last, "B");
	return ok;
}

static int check_attach_many(struct st *s, int ret)
{
	if (s->lost) {
		if (ret != -EFAULT)
			return 0;
		lost_all_or_nothing(s, attached(s) == MANY);
		ret = s->done ? 0 : ret;
	}
	return (ret || s->done == MANY) &&
	       check_many(s, s->done, s->done >= 1, s->done == MANY);
}

static int op_detach_many(struct st *s)
{
	return batch(s, PASID_SHIM_DETACH_MANY, many);
}

static int check_detach_many(struct st *s, int ret)
{
	if (s->lost) {
		if (ret != -EFAULT)
			return 0;
		lost_all_or_nothing(s, attached(s) == 0);
		ret = s->done ? 0 : ret;
	}
	return (ret || s->done == MANY) &&
	       check_many(s, MANY - s->done, s->done < 1, s->done < MANY);
}

static int op_pasid_alloc(struct st *s)
{
	uint32_t p;

	return pshim_pasid_alloc(s->fd, s->dev, &p);
}

static int check_pasid_alloc(struct st *s, int ret)
{
	(void)s;
	return t_stat("pasids") == (ret ? 0 : 1);
}

static int op_destroy(struct st *s)
{
	return t_destroy(s->fd, s->a) ?: t_destroy(s->fd, s->dev);
}

static int check_destroy(struct st *s, int ret)
{
	(void)s;
	return ret || (t_stat("domains") == 0 && t_stat("devices") == 0 &&
		       t_stat("pinned_pages") == 0);
}

static int busy_file(struct st *s)
{
	uint32_t p;

	return attached_a(s) ?: t_attach(s->fd, s->dev, MANY, s->b) ?:
	       pshim_pasid_alloc(s->fd, s->dev, &p);
}

static int op_close(struct st *s)
{
	close(s->fd);
	s->fd = -1;
	return 0;
}

static int check_close(struct st *s, int ret)
{
	(void)s;
	(void)ret;
	return 1;	/* the common checks after close say it all */
}

static const struct seq seqs[] = {
	{ "BIND", NULL, op_bind, check_bind, 0, 0 },
	{ "DOMAIN_ALLOC", bind_only, op_domain_alloc, check_domain_alloc, 0, 0 },
	{ "MAP", bind_a, op_map, check_mapped, 0, 0 },
	{ "MAP_MANY", bind_a, op_map_many, check_map_many, 0, 0 },
	{ "ATTACH", bind_a_mapped, op_attach, check_attach, 0, 1 },
	{ "REPLACE", attached_a, op_replace, check_replace, 0, 1 },
	{ "ATTACH_MANY", bind_ab_mapped, op_attach_many, check_attach_many, 0, 1 },
	{ "DETACH_MANY", attached_many, op_detach_many, check_detach_many, 0, 1 },
	{ "PASID_ALLOC", bind_only, op_pasid_alloc, check_pasid_alloc, 0, 0 },
	{ "DESTROY", bind_a_mapped, op_destroy, check_destroy, 0, 0 },
	{ "close", busy_file, op_close, check_close, 1, 1 },
};

static void arm(unsigned int n)
{
	char b[16];
	int len = snprintf(b, sizeof(b), "%u", n);

	if (pwrite(nth_fd, b, len, 0) != len) {
		printf("Bail out! cannot arm fail-nth: %s\n", strerror(errno));
		exit(1);
	}
}

/*
 * Disarm; 1 if the armed point was reached (the count went to 0). The
 * read and the write are points themselves: one that fails with EFAULT
 * was the armed one, so the sequence never reached it.
 */
static int disarm(void)
{
	char b[16] = "";
	ssize_t r = pread(nth_fd, b, sizeof(b) - 1, 0);

	if (r < 0 && errno == EFAULT)
		strcpy(b, "1");
	if (pwrite(nth_fd, "0", 1, 0) != 1) {
		if (errno != EFAULT || pwrite(nth_fd, "0", 1, 0) != 1) {
			printf("Bail out! cannot disarm fail-nth: %s\n", strerror(errno));
			exit(1);
		}
		strcpy(b, "1");
	}
	return atoi(b) == 0;
}

static int debugfs_write(const char *file, const char *val)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s", file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(val, f);
	return fclose(f) ? -1 : 0;
}

/* Leaks kmemleak sees now, printed; -1 without kmemleak. */
static int kmemleak_new(void)
{
	char line[256];
	int n = 0;
	FILE *f;

	if (access("/sys/kernel/debug/kmemleak", F_OK))
		return -1;
	sleep(6);	/* kmemleak reports objects older than 5 s */
	debugfs_write("kmemleak", "scan");
	f = fopen("/sys/kernel/debug/kmemleak", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19))
			n++;
		if (n && n <= 2)
			printf("#   %s", line);
	}
	fclose(f);
	debugfs_write("kmemleak", "clear");
	return n;
}

static void sweep(const struct seq *q)
{
	unsigned int nth, enomem = 0, efault = 0, absorbed = 0, bad = 0;
	struct st s;
	int ret, fired, leaks;

	for (nth = 1; nth <= MAX_STEPS; nth++) {
		memset(&s, 0, sizeof(s));
		s.fd = t_open();
		ret = q->setup ? q->setup(&s) : 0;
		if (ret) {
			t_result(0, "fail-nth %s: setup failed without injection: %s", q->name, strerror(-ret));
			close(s.fd);
			return;
		}
		arm(nth);
		ret = q->op(&s);
		fired = disarm();
		if (ret && ret != -ENOMEM && ret != -EFAULT) {
			t_result(0, "fail-nth %s, point %u: %s, not ENOMEM or EFAULT", q->name, nth, strerror(-ret));
			bad++;
		}
		if (ret == -ENOMEM)
			enomem++;
		else if (ret == -EFAULT)
			efault++;
		else if (fired)
			absorbed++;
		if (fired)
			t_fault();
		if (!q->check(&s, ret)) {
			t_result(0, "fail-nth %s, point %u (%s): the state disagrees with the answer",
				 q->name, nth, ret ? strerror(-ret) : "success");
			bad++;
		}
		if (s.fd >= 0)
			close(s.fd);
		if (t_stat("devices") || t_stat("domains") || t_stat("attachments") ||
		    t_stat("pinned_pages") || t_stat("pasids")) {
			t_expect_no_leak("a fail-nth step's close");
			bad++;
		}
		if (q->attaches) {
			t_hw_scope();
			t_hw_say("fail-nth %s, point %u: after close, no PASID left in the hardware",
				 q->name, nth);
			if (!t_hw_empty(t_dev))
				bad++;
		}
		if (!fired)
			break;
	}
	if (nth > MAX_STEPS) {
		t_result(0, "fail-nth %s: still failing after %u points", q->name, MAX_STEPS);
		return;
	}
	t_result(!bad, "fail-nth %s: %u failure points visited (%u ENOMEM, %u EFAULT, %u absorbed), then success; errno, state, stats and hardware right after each",
		 q->name, nth - 1, enomem, efault, absorbed);
	printf("# fail-nth: %s points=%u\n", q->name, nth - 1);
	leaks = kmemleak_new();
	if (leaks >= 0)
		t_result(leaks == 0, "fail-nth %s: kmemleak scan finds %d new leaks", q->name, leaks);
}

int main(int argc, char **argv)
{
	unsigned int i;
	int j;

	t_init();
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0) {
		t_skip("fail-nth sweep: this kernel has no fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS)");
		return t_done();
	}
	/* Any allocation may fail, quietly: a stack per failure would flood the log. */
	if (debugfs_write("failslab/ignore-gfp-wait", "N") ||
	    debugfs_write("fail_page_alloc/ignore-gfp-wait", "N") ||
	    debugfs_write("fail_page_alloc/ignore-gfp-highmem", "N") ||
	    debugfs_write("failslab/verbose", "0") ||
	    debugfs_write("fail_page_alloc/verbose", "0") ||
	    debugfs_write("fail_usercopy/verbose", "0")) {
		printf("Bail out! cannot configure failslab, fail_page_alloc, fail_usercopy\n");
		return 1;
	}
	buf = t_pattern_buf((2 << 20) + 65536, 5);
	if (kmemleak_new() > 0)
		printf("# kmemleak: leaks from before the sweep cleared\n");
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		int want = argc < 2;

		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], seqs[i].name);
		if (want)
			sweep(&seqs[i]);
	}
	t_reliability("fail-nth");
	return t_done();
}
