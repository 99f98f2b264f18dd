// SPDX-License-Identifier: GPL-2.0
/*
 * Scale: what one file can make the kernel do, and take from it.
 *
 *  - MAPPINGS one-page mappings (default 2^21) torn down by one UNMAP,
 *    by DESTROY of their domain, by close(), and by the death of a
 *    SIGKILLed owner. Meanwhile a SCHED_FIFO thread on the same CPU
 *    wakes every millisecond: how late it wakes is the longest stretch
 *    the kernel ran the teardown without a reschedule. make check boots
 *    this with preempt=none (only cond_resched() yields) and
 *    watchdog_thresh=2 (a soft lockup is reported after 4 s, and fails
 *    the run).
 *  - A second process sharing the file, waiting for its lock during a
 *    long UNMAP, dies at once when SIGKILLed.
 *  - A file allocating PASIDs until refused gets EDQUOT at the module's
 *    max_pasids_per_file, and another file still gets PASIDs; a file
 *    allocating domains gets EDQUOT at max_domains_per_file.
 *
 * usage: scale [MAPPINGS]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "pshim_test.h"

#define POOL_PAGES	64		/* pages the mappings cycle over */
#define BATCH		65536		/* MAP_MANY elements per call */
#define STRETCH_MAX_MS	500		/* longest stretch allowed */

static unsigned char *pool;
static struct pasid_shim_map_entry *batch;

/* The latency probe: a SCHED_FIFO thread on CPU 0. */
static volatile int probe_run = 1, probe_on;
static volatile long probe_max_ns, probe_wakes;

static long ns_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *probe(void *arg)
{
	struct sched_param sp = { .sched_priority = 50 };
	struct timespec ms = { 0, 1000000 };
	long t0, late;

	(void)arg;
	pin_cpu0();
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		printf("# probe: no SCHED_FIFO: %s\n", strerror(errno));
	while (probe_run) {
		t0 = ns_now();
		nanosleep(&ms, NULL);
		late = ns_now() - t0 - 1000000;
		if (probe_on) {
			probe_wakes++;
			if (late > probe_max_ns)
				probe_max_ns = late;
		}
	}
	return NULL;
}

static void probe_start(void)
{
	probe_max_ns = 0;
	probe_wakes = 0;
	probe_on = 1;
}

/* The longest stretch since probe_start(), in ms. */
static double probe_stop(void)
{
	probe_on = 0;
	return probe_max_ns / 1e6;
}

static int bind_dom(int fd, uint32_t *dev, uint32_t *dom)
{
	int ret = t_bind(fd, t_dev, dev, NULL);

	return ret ? ret : t_domain_alloc(fd, *dev, dom);
}

/* n one-page mappings at IOVA 0, 4K, ... over the pool: 0 or -errno. */
static int build(int fd, uint32_t dom, long n)
{
	uint32_t done;
	long i, k;
	int ret;

	for (i = 0; i < n; i += k) {
		k = n - i < BATCH ? n - i : BATCH;
		for (long j = 0; j < k; j++) {
			batch[j].user_va = (uintptr_t)(pool + ((i + j) % POOL_PAGES) * 4096);
			batch[j].length = 4096;
			batch[j].iova = (uint64_t)(i + j) * 4096;
		}
		t_call();
		ret = pshim_map_many(fd, dom, PASID_SHIM_MAP_READ, batch, k, &done);
		if (ret || done != k) {
			printf("# MAP_MANY at %ld: %s, %u of %ld done\n", i, strerror(-ret), done, k);
			return ret ? ret : -EIO;
		}
	}
	return 0;
}

static void report(const char *what, long n, long t0, double stretch)
{
	double secs = (ns_now() - t0) / 1e9;

	printf("# %s of %ld mappings: %.2f s, longest stretch without a reschedule %.1f ms (%ld probe wakes)\n",
	       what, n, secs, stretch, probe_wakes);
	t_result(stretch < STRETCH_MAX_MS && probe_wakes > 0,
		 "%s of %ld mappings: the longest stretch without a reschedule was %.1f ms (< %d ms)",
		 what, n, stretch, STRETCH_MAX_MS);
}

static void teardown_unmap(long n)
{
	uint32_t dev, dom;
	uint64_t unmapped = 0;
	int fd = t_open(), ret;
	long t0;

	if (bind_dom(fd, &dev, &dom) || build(fd, dom, n)) {
		t_result(0, "UNMAP: %ld mappings built", n);
		close(fd);
		return;
	}
	t_result(t_stat("pinned_pages") == n, "%ld mappings built, %ld pages pinned", n,
		 t_stat("pinned_pages"));
	probe_start();
	t0 = ns_now();
	ret = t_unmap(fd, dom, 0, (uint64_t)n * 4096, &unmapped);
	report("one UNMAP", n, t0, probe_stop());
	t_expect(ret, 0, "UNMAP of all");
	t_result(unmapped == (uint64_t)n * 4096, "out_unmapped %llu bytes", (unsigned long long)unmapped);
	t_result(t_stat("pinned_pages") == 0, "after UNMAP: pinned_pages %ld", t_stat("pinned_pages"));
	close(fd);
	t_expect_no_leak("UNMAP of all, then close");
}

static void teardown_destroy(long n)
{
	uint32_t dev, dom;
	int fd = t_open(), ret;
	long t0;

	if (bind_dom(fd, &dev, &dom) || build(fd, dom, n)) {
		t_result(0, "DESTROY: %ld mappings built", n);
		close(fd);
		return;
	}
	probe_start();
	t0 = ns_now();
	ret = t_destroy(fd, dom);
	report("DESTROY of their domain", n, t0, probe_stop());
	t_expect(ret, 0, "DESTROY of the domain");
	t_result(t_stat("domains") == 0 && t_stat("pinned_pages") == 0,
		 "after DESTROY: domains %ld pinned_pages %ld", t_stat("domains"), t_stat("pinned_pages"));
	close(fd);
	t_expect_no_leak("DESTROY, then close");
}

static void teardown_close(long n)
{
	uint32_t dev, dom;
	int fd = t_open();
	long t0;

	if (bind_dom(fd, &dev, &dom) || build(fd, dom, n)) {
		t_result(0, "close: %ld mappings built", n);
		close(fd);
		return;
	}
	probe_start();
	t0 = ns_now();
	close(fd);
	report("close()", n, t0, probe_stop());
	t_expect_no_leak("close of the file");
}

/*
 * A child maps n pages and starts one UNMAP of them all; a second child
 * sharing the file waits for the file's lock with LIST. SIGKILL the
 * waiter: it must die long before the UNMAP could end. Then SIGKILL the
 * owner: its UNMAP stops, and its exit releases everything.
 */
/* Wait up to 5 s for pid to sleep in the kernel (state D: the killable lock wait). */
static int wait_blocked(pid_t pid)
{
	char path[64], stat[512], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			p = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;
			fclose(f);
			if (p && p[1] == ' ' && p[2] == 'D')
				return 1;
		}
		usleep(10000);
	}
	return 0;
}

static void teardown_kill(long n)
{
	uint32_t dev, dom, cnt = 0;
	int fd = t_open(), go[2], status;
	pid_t owner, waiter;
	long t0, t_waiter, t_owner;

	if (bind_dom(fd, &dev, &dom) || build(fd, dom, n) || pipe(go)) {
		t_result(0, "SIGKILL: %ld mappings built", n);
		close(fd);
		return;
	}
	owner = fork();
	if (!owner) {
		char c;

		pin_cpu0();
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		t_unmap(fd, dom, 0, (uint64_t)n * 4096, NULL);
		_exit(0);
	}
	close(go[0]);
	waiter = fork();
	if (!waiter) {
		usleep(200000);		/* the owner holds the lock by then */
		pshim_list(fd, dev, NULL, 0, &cnt);
		_exit(0);
	}
	close(fd);
	probe_start();
	if (write(go[1], "x", 1) != 1)
		t_result(0, "start the owner's UNMAP");
	close(go[1]);
	t_result(wait_blocked(waiter), "the second process waits for the file's lock (state D)");
	t0 = ns_now();
	kill(waiter, SIGKILL);
	waitpid(waiter, &status, 0);
	t_waiter = ns_now() - t0;
	t_result(WIFSIGNALED(status) && t_waiter < 200000000L,
		 "a process waiting for the file's lock during a long UNMAP died %.1f ms after SIGKILL",
		 t_waiter / 1e6);
	t_result(waitpid(owner, &status, WNOHANG) == 0,
		 "the owner is still in its UNMAP when it is killed");
	t0 = ns_now();
	kill(owner, SIGKILL);
	waitpid(owner, &status, 0);
	t_owner = ns_now() - t0;
	report("SIGKILL of the owner in UNMAP, and its exit", n, t0, probe_stop());
	t_result(WIFSIGNALED(status), "the owner died of SIGKILL (%.2f s to reap)", t_owner / 1e9);
	t_expect_no_leak("the owner's death");
}

static unsigned int param(const char *name)
{
	char path[128];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/pasid_shim/parameters/%s", name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%u", &v) != 1)
		v = 0;
	if (f)
		fclose(f);
	return v;
}

static int set_param(const char *name, unsigned int v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/pasid_shim/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	ret = fprintf(f, "%u\n", v) > 0 ? 0 : -EIO;
	return fclose(f) ? -errno : ret;
}

/* PASID_ALLOC until refused: how many, and the refusal. */
static unsigned int alloc_until(int fd, uint32_t dev, int *err)
{
	unsigned int n = 0;
	uint32_t p;

	for (t_call(); !(*err = pshim_pasid_alloc(fd, dev, &p)); t_call())
		n++;
	return n;
}

static void limits(void)
{
	const char *dev2 = getenv("PSHIM_DEV2");
	unsigned int max = param("max_pasids_per_file"), n, i;
	uint32_t dev, dev_b, p, dom;
	int a = t_open(), b = t_open(), err;

	t_result(max > 0, "max_pasids_per_file is %u", max);
	t_expect(t_bind(a, t_dev, &dev, NULL), 0, "file A: BIND");
	n = alloc_until(a, dev, &err);
	t_result(n == max && err == -EDQUOT,
		 "file A: PASID_ALLOC %u times, then %s (limit %u)", n, strerror(-err), max);
	t_result(t_stat("pasids") == n, "stats: %ld global PASIDs held", t_stat("pasids"));
	if (dev2) {
		t_expect(t_bind(b, dev2, &dev_b, NULL), 0, "file B: BIND the second endpoint");
		t_expect(pshim_pasid_alloc(b, dev_b, &p), 0, "file B: PASID_ALLOC still works");
	} else {
		t_result(0, "PSHIM_DEV2 is set");
	}
	t_expect(set_param("max_pasids_per_file", max + 16), 0, "raise max_pasids_per_file by 16");
	n = alloc_until(a, dev, &err);
	t_result(n == 16 && err == -EDQUOT, "file A: 16 more, then %s (got %u)", strerror(-err), n);
	t_expect(set_param("max_pasids_per_file", max), 0, "max_pasids_per_file back to its default");
	close(a);
	t_result(t_stat("pasids") == (dev2 ? 1 : 0), "after closing A: %ld PASIDs held (B's)",
		 t_stat("pasids"));
	close(b);
	t_expect_no_leak("both files closed");

	/* Domains: the same, with a small limit for the test. */
	max = param("max_domains_per_file");
	t_result(max > 0, "max_domains_per_file is %u", max);
	a = t_open();
	t_expect(set_param("max_domains_per_file", 8), 0, "max_domains_per_file set to 8");
	t_expect(t_bind(a, t_dev, &dev, NULL), 0, "BIND");
	for (i = 0; i < 8 && !t_domain_alloc(a, dev, &dom); i++)
		;
	t_result(i == 8, "8 domains allocated");
	t_expect(t_domain_alloc(a, dev, &dom), -EDQUOT, "the ninth DOMAIN_ALLOC");
	t_expect(t_destroy(a, dom), 0, "DESTROY of one");
	t_expect(t_domain_alloc(a, dev, &dom), 0, "DOMAIN_ALLOC in its place");
	t_expect(set_param("max_domains_per_file", max), 0, "max_domains_per_file back to its default");
	close(a);
	t_expect_no_leak("the domain-limit file closed");
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1L << 21;
	char mode[64] = "unknown";
	pthread_t th;
	FILE *f;

	t_init();
	f = fopen("/sys/kernel/debug/sched/preempt", "r");
	if (f) {
		if (!fgets(mode, sizeof(mode), f))
			mode[0] = 0;
		fclose(f);
		mode[strcspn(mode, "\n")] = 0;
	}
	printf("# preemption: %s\n", mode);
	pool = t_pattern_buf(POOL_PAGES * 4096, 9);
	batch = calloc(BATCH, sizeof(*batch));
	if (!batch) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	pin_cpu0();
	if (pthread_create(&th, NULL, probe, NULL)) {
		printf("Bail out! no probe thread\n");
		return 1;
	}
	usleep(20000);

	teardown_unmap(n);
	teardown_destroy(n);
	teardown_close(n);
	teardown_kill(n);
	limits();

	probe_run = 0;
	pthread_join(th, NULL);
	t_reliability("scale");
	return t_done();
}
