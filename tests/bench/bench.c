// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, in the guest: the shim's ioctls against the same kernel
 * work done raw by the pshim_bench module (tests/bench/pshim_bench.c),
 * on the same device in the same boot. Every ratio row is the median of
 * ROUNDS rounds that take turns (shim, raw, shim, raw ...), with the
 * smallest and largest ratio beside it. Prints Markdown tables.
 *
 * usage: bench [--quick | --full [NDOMS] | --trace OP [DEPTH]]
 *   --quick  small sizes, 2 rounds: make check's smoke test
 *   --full   attach every PASID 1 .. 2^20 - 1 of one device (make
 *            bench-full); NDOMS domains share them (default 16384)
 *   --trace  OP (pair, map4k, unmap4k, many, mapmany; detach1m once)
 *            under the function_graph tracer from pshim_ioctl down
 *            DEPTH levels (default 3), and print the trace: where the
 *            time goes
 */
#include <stddef.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include "pshim_test.h"

#define MAXR 9

static int rounds = 5, quick;
static int fd;
static uint32_t dev, max_pasid;
static long failed_calls;	/* measured calls that failed: the run's verdict */

/* A measured call's return: counted (and the first few named) if it failed. */
static int ck(int ret, const char *what)
{
	if (ret && failed_calls++ < 5)
		printf("# %s failed: %s\n", what, strerror(ret < 0 ? -ret : ret));
	return ret;
}

/* What a loop that stopped early did: at least one, for the division. */
static uint32_t did(uint32_t done, uint32_t want, const char *what)
{
	if (done < want && failed_calls++ < 5)
		printf("# %s: %u of %u done\n", what, done, want);
	return done ? done : 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One raw measurement from the bench module: its numbers, or -1. */
static int raw(long long *out, int nout, const char *fmt, ...)
{
	char cmd[160], buf[256] = "", *p = buf;
	va_list ap;
	int f, i;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = open("/sys/kernel/debug/pshim_bench/cmd", O_RDWR);
	if (f < 0 || write(f, cmd, strlen(cmd)) < 0 || pread(f, buf, sizeof(buf) - 1, 0) < 0) {
		printf("# raw %s: %s\n", cmd, strerror(errno));
		failed_calls++;
		if (f >= 0)
			close(f);
		memset(out, 0, nout * sizeof(*out));
		return -1;
	}
	close(f);
	for (i = 0; i < nout; i++)
		out[i] = strtoll(p, &p, 10);
	if (out[0] < 0) {
		printf("# raw %s: %lld\n", cmd, out[0]);
		failed_calls++;
		return -1;
	}
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAXR];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_d);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The ratio columns of a row whose time columns are printed. */
static void ratio_tail(const double *shim, const double *rawt, const char *goal)
{
	double r[MAXR], lo = 1e9, hi = 0;
	int i;

	for (i = 0; i < rounds; i++) {
		r[i] = rawt[i] > 0 ? shim[i] / rawt[i] : 0;
		lo = r[i] < lo ? r[i] : lo;
		hi = r[i] > hi ? r[i] : hi;
	}
	printf("%.2fx (%.2f-%.2f) | %s |\n", median(r, rounds), lo, hi, goal);
}

/*
 * A ratio row: per round the shim's time, the raw time and what the
 * goal adds to raw (syscall floors). Times in microseconds.
 */
static void ratio_row(const char *what, const double *shim, const double *rawt,
		      const double *add, const char *goal)
{
	double r[MAXR], lo = 1e9, hi = 0, base[MAXR];
	int i;

	for (i = 0; i < rounds; i++) {
		base[i] = rawt[i] + (add ? add[i] : 0);
		r[i] = base[i] > 0 ? shim[i] / base[i] : 0;
		lo = r[i] < lo ? r[i] : lo;
		hi = r[i] > hi ? r[i] : hi;
	}
	printf("| %s | %.2f us | %.2f us | %.2fx (%.2f-%.2f) | %s |\n", what,
	       median(shim, rounds), median(base, rounds), median(r, rounds), lo, hi, goal);
}

static void plain_row(const char *what, const double *v, const char *unit)
{
	printf("| %s | %.2f %s | - | - | - |\n", what, median(v, rounds), unit);
}

/* The syscall floor: GET_INFO, which only checks its input. */
static double floor_us(int n)
{
	struct pasid_shim_info info = { .size = sizeof(info) };
	uint64_t t0 = now_ns();
	int i;

	for (i = 0; i < n; i++)
		if (ck(ioctl(fd, PASID_SHIM_GET_INFO, &info) ? -errno : 0, "GET_INFO"))
			break;
	return (now_ns() - t0) / 1000.0 / did(i, n, "GET_INFO loop");
}

/*
 * Bytes charged to this process's memory cgroup: the shim allocates
 * with __GFP_ACCOUNT, the IOMMU core and driver without, so the growth
 * while attaching is the shim's own memory.
 */
static long long cg_bytes(void)
{
	FILE *f = fopen("/sys/fs/cgroup/bench/memory.current", "r");
	long long v = -1;

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int cg_enter(void)
{
	char pid[16];
	int f;

	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		syscall(SYS_mount, "none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	f = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY);
	if (f < 0 || write(f, "+memory", 7) < 0) {
		if (f >= 0)
			close(f);
		return -1;
	}
	close(f);
	mkdir("/sys/fs/cgroup/bench", 0755);
	f = open("/sys/fs/cgroup/bench/cgroup.procs", O_WRONLY);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (f < 0 || write(f, pid, strlen(pid)) < 0) {
		if (f >= 0)
			close(f);
		return -1;
	}
	close(f);
	return 0;
}

/* One figure of /proc/meminfo (kB) or /proc/vmstat (pages), or -1. */
static long long sysfig(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char k[64];
	long long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63[^: ]%*[: ]%lld%*[^\n]\n", k, &v) == 2)
		if (!strcmp(k, key))
			ret = v;
	fclose(f);
	return ret;
}

/* Kernel memory besides the shim's: slab and IOMMU page-table pages. */
static long long kernel_bytes(void)
{
	long long slab = sysfig("/proc/meminfo", "Slab");
	long long iommu = sysfig("/proc/vmstat", "nr_iommu_pages");

	return slab * 1024 + (iommu > 0 ? iommu * 4096 : 0);
}

/* PASIDs first.. over ndoms domains in blocks, as the raw side does. */
static struct pasid_shim_entry *entries(uint32_t first, uint32_t n, const uint32_t *doms,
					uint32_t ndoms)
{
	struct pasid_shim_entry *e = malloc(n * sizeof(*e));
	uint32_t i, per = (n + ndoms - 1) / ndoms;

	for (i = 0; e && i < n; i++) {
		e[i].pasid = first + i;
		e[i].domain_id = doms[i / per % ndoms];
	}
	return e;
}

static uint32_t *domains(uint32_t n)
{
	uint32_t *d = malloc(n * sizeof(*d)), i;

	for (i = 0; d && i < n; i++)
		if (t_domain_alloc(fd, dev, &d[i])) {
			printf("Bail out! DOMAIN_ALLOC %u failed\n", i);
			exit(1);
		}
	return d;
}

static void destroy_all(uint32_t *d, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		ck(t_destroy(fd, d[i]), "DESTROY");
	free(d);
}

static int atomic_replace;

/* Single ATTACH + DETACH, REPLACE, and the batches. */
static void bench_attach(void)
{
	double fl[MAXR], fl2[MAXR], pair[MAXR], rpair[MAXR], rep[MAXR], rrep[MAXR];
	double am[MAXR], ram[MAXR], dm[MAXR], rdm[MAXR];
	uint32_t n = quick ? 256 : 4096, ndoms = 64, iters = quick ? 100 : 1000;
	uint32_t *d = domains(ndoms), done, i, old;
	struct pasid_shim_entry *e = entries(100, n, d, ndoms);
	long long r[2];
	uint64_t t0;
	int k;

	/* Warm the paths once: first calls fault in code and caches. */
	ck(pshim_attach_many(fd, dev, e, n, &done), "ATTACH_MANY (warm-up)");
	ck(pshim_detach_many(fd, dev, e, n, &done), "DETACH_MANY (warm-up)");
	raw(r, 2, "many %s 100 %u %u", t_dev, n, ndoms);
	for (k = 0; k < rounds; k++) {
		fl[k] = floor_us(iters);
		fl2[k] = 2 * fl[k];

		t0 = now_ns();
		for (i = 0; i < iters; i++)
			if (ck(t_attach(fd, dev, 7, d[0]), "ATTACH") || ck(t_detach(fd, dev, 7), "DETACH"))
				break;
		pair[k] = (now_ns() - t0) / 1000.0 / did(i, iters, "ATTACH + DETACH loop");
		raw(r, 1, "pair %s 8 %u", t_dev, iters);
		rpair[k] = r[0] / 1000.0 / iters;

		ck(t_attach(fd, dev, 9, d[0]), "ATTACH");
		t0 = now_ns();
		for (i = 0; i < iters; i++)
			if (ck(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 9, d[1 - i % 2], &old),
			       "REPLACE"))
				break;
		rep[k] = (now_ns() - t0) / 1000.0 / did(i, iters, "REPLACE loop");
		ck(t_detach(fd, dev, 9), "DETACH");
		raw(r, 1, "replace %s 10 %u", t_dev, iters);
		rrep[k] = r[0] / 1000.0 / iters;

		t0 = now_ns();
		done = 0;
		ck(pshim_attach_many(fd, dev, e, n, &done), "ATTACH_MANY");
		am[k] = (now_ns() - t0) / 1000.0 / did(done, n, "ATTACH_MANY");
		t0 = now_ns();
		done = 0;
		ck(pshim_detach_many(fd, dev, e, n, &done), "DETACH_MANY");
		dm[k] = (now_ns() - t0) / 1000.0 / did(done, n, "DETACH_MANY");
		raw(r, 2, "many %s 100 %u %u", t_dev, n, ndoms);
		ram[k] = r[0] / 1000.0 / n;
		rdm[k] = r[1] / 1000.0 / n;
	}
	plain_row("one ioctl round trip (GET_INFO): the syscall floor", fl, "us");
	ratio_row("ATTACH + DETACH of one PASID (a pair) vs raw pair + 2 floors",
		  pair, rpair, fl2, "<= 1.10x");
	ratio_row(atomic_replace ? "REPLACE (atomic) vs raw + 1 floor" :
		  "REPLACE (emulated: detach + attach) vs raw + 1 floor", rep, rrep, fl, "-");
	printf("| ATTACH_MANY of %u PASIDs over %u domains, per PASID, vs raw attach | %.2f us | %.2f us | ",
	       n, ndoms, median(am, rounds), median(ram, rounds));
	ratio_tail(am, ram, "<= 1.05x");
	printf("| DETACH_MANY of them, per PASID, vs raw detach | %.2f us | %.2f us | ",
	       median(dm, rounds), median(rdm, rounds));
	ratio_tail(dm, rdm, "<= 1.05x");
	free(e);
	destroy_all(d, ndoms);
}

/*
 * LIST of 65,536 attached PASIDs in one call: per PASID, next to a
 * DETACH_MANY's per PASID (the cheapest thing done to each PASID).
 */
static void bench_list(void)
{
	uint32_t n = quick ? 4096 : 65536, ndoms = 64, *d = domains(ndoms), done, cnt, i;
	struct pasid_shim_entry *e = entries(1, n, d, ndoms), *out = calloc(n, sizeof(*out));
	double l[MAXR];
	uint64_t t0;
	int k, wrong = 0;

	ck(pshim_attach_many(fd, dev, e, n, &done), "ATTACH_MANY before LIST");
	did(done, n, "ATTACH_MANY before LIST");
	for (k = 0; k < rounds; k++) {
		t0 = now_ns();
		cnt = n;
		ck(pshim_list(fd, dev, out, n, &cnt), "LIST");
		l[k] = (now_ns() - t0) / 1000.0 / n;
		for (i = 0; i < n && !wrong; i++)
			wrong = out[i].pasid != e[i].pasid || out[i].domain_id != e[i].domain_id;
		if (cnt != n || wrong) {
			printf("# LIST: %u entries, %s\n", cnt, wrong ? "wrong" : "in order");
			failed_calls++;
		}
	}
	printf("| LIST of %u attached PASIDs in one call, per PASID | %.3f us | - | - | - |\n",
	       n, median(l, rounds));
	ck(pshim_detach_many(fd, dev, e, n, &done), "DETACH_MANY after LIST");
	free(out);
	free(e);
	destroy_all(d, ndoms);
}

/* A page-aligned (2 MiB-aligned) populated buffer, THP where it can be. */
static void *buffer(size_t len)
{
	size_t al = 2 << 20;
	char *p = mmap(NULL, len + al, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + al - 1) & ~(al - 1));
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0x5a, len);
	return p;
}

/* MAP and UNMAP of one buffer, n times, each call timed on its own. */
static void shim_map(uint32_t dom, void *buf, size_t len, int n, double *map_us,
		     double *unmap_us)
{
	uint64_t m = 0, u = 0, t0, t1;
	int i;

	for (i = 0; i < n; i++) {
		t0 = now_ns();
		if (ck(t_map(fd, dom, buf, len, 0, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE), "MAP"))
			break;
		t1 = now_ns();
		if (ck(t_unmap(fd, dom, 0, len, NULL), "UNMAP"))
			break;
		u += now_ns() - t1;
		m += t1 - t0;
	}
	*map_us = m / 1000.0 / did(i, n, "MAP + UNMAP loop");
	*unmap_us = u / 1000.0 / did(i, n, "MAP + UNMAP loop");
}

/* n buffers of 4 KiB, consecutive from buf, at IOVA 0, 4096, ... */
static void map_entries_4k(struct pasid_shim_map_entry *e, void *buf, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		e[i].user_va = (uintptr_t)buf + i * 4096;
		e[i].length = 4096;
		e[i].iova = i * 4096;
	}
}

static void bench_map(void)
{
	static const size_t lens[] = { 4096, 2 << 20, 1UL << 30 };
	static const char *const names[] = { "4 KiB", "2 MiB", "1 GiB" };
	double fl[MAXR], m[MAXR], u[MAXR], rm[MAXR], ru[MAXR];
	int nlens = quick ? 2 : 3, k, l, n;
	uint32_t dom, many = 64, done;
	struct pasid_shim_map_entry e[64];
	long long r[2];
	char what[128];
	void *buf;

	ck(t_domain_alloc(fd, dev, &dom), "DOMAIN_ALLOC");
	/* Attached, as a domain in use is: its maps then need IOTLB syncs. */
	ck(t_attach(fd, dev, 12, dom), "ATTACH");
	for (l = 0; l < nlens; l++) {
		n = lens[l] == 4096 ? (quick ? 100 : 1000) : lens[l] == (2 << 20) ? (quick ? 5 : 50) : 2;
		buf = buffer(lens[l]);
		if (!buf) {
			printf("# %s: no memory\n", names[l]);
			failed_calls++;
			continue;
		}
		shim_map(dom, buf, lens[l], 1, &m[0], &u[0]);	/* warm */
		for (k = 0; k < rounds; k++) {
			fl[k] = floor_us(200);
			shim_map(dom, buf, lens[l], n, &m[k], &u[k]);
			raw(r, 2, "map %s 13 %lx %zx 1 %d", t_dev, (unsigned long)buf, lens[l], n);
			rm[k] = r[0] / 1000.0 / n;
			ru[k] = r[1] / 1000.0 / n;
		}
		snprintf(what, sizeof(what), "MAP %s (pin + map) vs raw + 1 floor", names[l]);
		ratio_row(what, m, rm, fl, l ? "<= 1.10x" : "<= 1.15x");
		snprintf(what, sizeof(what), "UNMAP %s (unmap + unpin) vs raw + 1 floor", names[l]);
		ratio_row(what, u, ru, fl, l ? "<= 1.10x" : "<= 1.15x");
		munmap(buf, lens[l]);
	}

	/* MAP_MANY of 64 buffers of 4 KiB; UNMAP of all 64 in one call. */
	n = quick ? 10 : 100;
	buf = buffer(many * 4096);
	map_entries_4k(e, buf, many);
	for (k = 0; k < rounds; k++) {
		uint64_t mm = 0, uu = 0, t0, t1;
		int i;

		for (i = 0; i < n; i++) {
			t0 = now_ns();
			done = 0;
			if (ck(pshim_map_many(fd, dom, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE, e,
					      many, &done), "MAP_MANY") || done != many) {
				did(done, many, "MAP_MANY");
				break;
			}
			t1 = now_ns();
			if (ck(t_unmap(fd, dom, 0, many * 4096, NULL), "UNMAP"))
				break;
			uu += now_ns() - t1;
			mm += t1 - t0;
		}
		m[k] = mm / 1000.0 / did(i, n, "MAP_MANY + UNMAP loop") / many;
		u[k] = uu / 1000.0 / did(i, n, "MAP_MANY + UNMAP loop") / many;
		raw(r, 2, "map %s 13 %lx %x %u %d", t_dev, (unsigned long)buf, 4096, many, n);
		rm[k] = r[0] / 1000.0 / n / many;
		ru[k] = r[1] / 1000.0 / n / many;
	}
	ratio_row("MAP_MANY of 64 buffers of 4 KiB, per buffer, vs raw per buffer", m, rm, NULL,
		  "<= 1.20x");
	ratio_row("UNMAP of those 64 mappings in one call, per mapping, vs raw per buffer", u, ru,
		  NULL, "-");
	ck(t_detach(fd, dev, 12), "DETACH");
	ck(t_destroy(fd, dom), "DESTROY");
}

/* close() of a file holding many attachments and much memory. */
static void bench_close(void)
{
	uint32_t n = quick ? 1024 : 16384, ndoms = 64, done, *d;
	size_t len = quick ? (16 << 20) : (1UL << 30);
	struct pasid_shim_entry *e;
	void *buf = buffer(len);
	uint64_t t0;

	close(fd);
	fd = t_open();
	ck(t_bind(fd, t_dev, &dev, &max_pasid), "BIND");
	d = domains(ndoms);
	e = entries(1, n, d, ndoms);
	if (!buf || ck(t_map(fd, d[0], buf, len, 0, PASID_SHIM_MAP_READ), "MAP"))
		printf("# close: mapping %zu bytes failed\n", len);
	done = 0;
	ck(pshim_attach_many(fd, dev, e, n, &done), "ATTACH_MANY");
	did(done, n, "ATTACH_MANY before close()");
	t0 = now_ns();
	close(fd);
	printf("| close() with %u attachments over %u domains and %zu MiB mapped | %.1f ms | - | - | - |\n",
	       done, ndoms, len >> 20, (now_ns() - t0) / 1e6);
	free(e);
	free(d);
	munmap(buf, len);
}

/* ATTACH_MANY (or DETACH_MANY) of e[lo, hi) in calls of 16384. */
static void many_chunks(int attach, const struct pasid_shim_entry *e, uint32_t lo, uint32_t hi)
{
	uint32_t cnt, done;

	for (; lo < hi; lo += cnt) {
		cnt = hi - lo < 16384 ? hi - lo : 16384;
		if (attach)
			ck(pshim_attach_many(fd, dev, e + lo, cnt, &done), "ATTACH_MANY");
		else
			ck(pshim_detach_many(fd, dev, e + lo, cnt, &done), "DETACH_MANY");
	}
}

/* One round of bench --full: what it measured, in us, s, ms, bytes. */
struct full_round {
	double sat[5], sdt[5], rat[5], rdt[5];	/* per op at each mark */
	double att, det, ratt, rdet, lst, att2, cl, cg, kb;
};

/*
 * The whole PASID space of one device, shim then raw: [0, n - w) in
 * batches of w, then [n - w, n), so that each mark ends a batch of w
 * whose per-op time is the mark's; down again the same way; LIST; all
 * attached once more, and close() of the file holding them.
 */
static void full_round(uint32_t ndoms, uint32_t nm, const uint32_t *mk, struct full_round *o)
{
	uint32_t n = max_pasid - 1, w = 1024, i, done, lo, cnt, *d;
	struct pasid_shim_entry *e, *le;
	long long cg0, k0, r[12];
	uint64_t t0, t1;

	d = domains(ndoms);
	e = entries(1, n, d, ndoms);
	le = malloc(n * sizeof(*le));
	if (!d || !e || !le) {
		printf("Bail out! no memory for %u entries\n", n);
		exit(1);
	}
	cg0 = cg_bytes();
	k0 = kernel_bytes();
	t0 = now_ns();
	for (i = 0, lo = 0; lo < n; lo += cnt) {
		cnt = lo < n - w ? (w < n - w - lo ? w : n - w - lo) : n - lo;
		t1 = now_ns();
		if (pshim_attach_many(fd, dev, e + lo, cnt, &done) || done != cnt) {
			printf("Bail out! ATTACH_MANY at %u: %u of %u\n", lo, done, cnt);
			exit(1);
		}
		if (i < nm && lo + cnt == mk[i])
			o->sat[i++] = (now_ns() - t1) / 1000.0 / cnt;
	}
	o->att = (now_ns() - t0) / 1e9;
	o->cg = cg0 >= 0 ? (double)(cg_bytes() - cg0) / n : -1;
	o->kb = (double)(kernel_bytes() - k0) / n;
	{
		struct pasid_shim_list l = {
			.size = sizeof(l), .dev_id = dev, .num_entries = n,
			.entries_uptr = (uintptr_t)le,
		};

		t0 = now_ns();
		ck(t_ioctl(fd, PASID_SHIM_LIST, &l), "LIST");
		o->lst = (now_ns() - t0) / 1e6;
		did(l.num_entries, n, "LIST");
	}
	t0 = now_ns();
	t1 = now_ns();
	ck(pshim_detach_many(fd, dev, e + n - w, w, &done), "DETACH_MANY");
	o->sdt[nm - 1] = (now_ns() - t1) / 1000.0 / w;
	for (i = nm - 1, lo = n - w; lo > 0; lo -= cnt) {
		cnt = lo % w ? lo % w : w;
		t1 = now_ns();
		ck(pshim_detach_many(fd, dev, e + lo - cnt, cnt, &done), "DETACH_MANY");
		if (i > 0 && lo == mk[i - 1]) {
			o->sdt[i - 1] = (now_ns() - t1) / 1000.0 / cnt;
			i--;
		}
	}
	o->det = (now_ns() - t0) / 1e9;
	t0 = now_ns();
	many_chunks(1, e, 0, n);
	o->att2 = (now_ns() - t0) / 1e9;
	t0 = now_ns();
	close(fd);	/* and with it the domains */
	o->cl = (now_ns() - t0) / 1e9;
	fd = t_open();
	ck(t_bind(fd, t_dev, &dev, &max_pasid), "BIND");
	free(d);
	free(e);
	free(le);

	if (raw(r, 2 + 2 * nm, "scale %s %u %u %u", t_dev, n, ndoms, w))
		memset(r, 0, sizeof(r));
	o->ratt = r[0] / 1e9;
	o->rdet = r[1] / 1e9;
	for (i = 0; i < nm; i++) {
		o->rat[i] = r[2 + 2 * i] / 1000.0 / w;
		o->rdt[i] = r[3 + 2 * i] / 1000.0 / w;
	}
}

/* Slowest / fastest of the per-mark times v[0..nm). */
static double spread(const double *v, uint32_t nm)
{
	double lo = 1e9, hi = 0;
	uint32_t i;

	for (i = 0; i < nm; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	return hi / lo;
}

/*
 * A flatness row: slowest / fastest of the per-mark medians, shim and
 * raw, with the range of each round's own (the times at offset off).
 */
static void flat_row(const char *what, const struct full_round *res, size_t off,
		     const double *shim, const double *rawv, uint32_t nm)
{
	double f, lo = 1e9, hi = 0;
	int k;

	for (k = 0; k < rounds; k++) {
		f = spread((const double *)((const char *)&res[k] + off), nm);
		lo = f < lo ? f : lo;
		hi = f > hi ? f : hi;
	}
	printf("| %s: slowest / fastest (rounds: %.2f-%.2f) | %.2fx (raw %.2fx) | <= 1.5x |\n",
	       what, lo, hi, spread(shim, nm), spread(rawv, nm));
}

#define FULL_MED(field) ({					\
	double _v[MAXR];					\
	int _k;							\
	for (_k = 0; _k < rounds; _k++)				\
		_v[_k] = res[_k].field;				\
	median(_v, rounds); })

/*
 * ROUNDS rounds (shim, raw, shim, raw ...) in one boot; every figure is
 * the median of the rounds, and the flatness is that of the per-mark
 * medians, with the range of the rounds' own flatness beside it.
 */
static void bench_full(uint32_t ndoms)
{
	static const uint32_t marks[] = { 1024, 16384, 65536, 262144 };
	uint32_t n = max_pasid - 1, nm, mk[5], i;
	struct full_round res[MAXR] = {};
	double sat[5], sdt[5], rat[5], rdt[5], f[MAXR];
	char what[96];
	int k;

	for (nm = 0; nm < 4 && marks[nm] < n; nm++)
		mk[nm] = marks[nm];
	mk[nm++] = n;
	printf("# %u PASIDs over %u domains (%u per domain), median of %d rounds\n", n, ndoms,
	       n / ndoms, rounds);
	for (k = 0; k < rounds; k++) {
		full_round(ndoms, nm, mk, &res[k]);
		printf("# round %d: attach all %.2f s, raw %.2f s\n", k + 1, res[k].att, res[k].ratt);
	}
	for (i = 0; i < nm; i++) {
		sat[i] = FULL_MED(sat[i]);
		sdt[i] = FULL_MED(sdt[i]);
		rat[i] = FULL_MED(rat[i]);
		rdt[i] = FULL_MED(rdt[i]);
	}
	printf("\n| PASIDs attached | shim attach per op | raw attach per op | shim detach per op | raw detach per op |\n");
	printf("|---|---|---|---|---|\n");
	for (i = 0; i < nm; i++) {
		printf("| %u | %.2f us | %.2f us | %.2f us | %.2f us |\n", mk[i], sat[i], rat[i],
		       sdt[i], rdt[i]);
		printf("@@PLOT %u %.3f %.3f %.3f %.3f\n", mk[i], sat[i], rat[i], sdt[i], rdt[i]);
	}
	printf("\n| measure (median of %d rounds) | result | goal |\n|---|---|---|\n", rounds);
	printf("| PASIDs attached at once on one device | %u (all of 1 .. 2^20 - 1) | 1,048,575 |\n", n);
	snprintf(what, sizeof(what), "per-op ATTACH from 1k to %u attached", n);
	flat_row(what, res, offsetof(struct full_round, sat), sat, rat, nm);
	snprintf(what, sizeof(what), "per-op DETACH from %u down to 1k", n);
	flat_row(what, res, offsetof(struct full_round, sdt), sdt, rdt, nm);
	printf("| attach all, in ATTACH_MANY calls of 1024 | %.2f s (raw %.2f s) | - |\n",
	       FULL_MED(att), FULL_MED(ratt));
	printf("| detach all, in DETACH_MANY calls of 1024 | %.2f s (raw %.2f s) | - |\n",
	       FULL_MED(det), FULL_MED(rdet));
	printf("| LIST of all | %.1f ms | - |\n", FULL_MED(lst));
	if (res[0].cg >= 0)
		printf("| shim memory per attachment (memcg: all it allocates) | %.1f bytes | <= 64 bytes |\n",
		       FULL_MED(cg));
	printf("| kernel memory per attachment (slab + IOMMU pages, shim's included) | %.1f bytes | - |\n",
	       FULL_MED(kb));
	for (k = 0; k < rounds; k++)
		f[k] = res[k].cl / res[k].att2;
	printf("| close() of a file holding all %u (attached again in %.2f s) | %.2f s: %.2fx the attach | <= 2x |\n",
	       n, FULL_MED(att2), FULL_MED(cl), median(f, rounds));
}

static int tracefs(const char *file, const char *val)
{
	char path[128];
	int f, ret;

	snprintf(path, sizeof(path), "/sys/kernel/tracing/%s", file);
	f = open(path, O_WRONLY | O_TRUNC);
	if (f < 0)
		return -errno;
	ret = write(f, val, strlen(val)) < 0 ? -errno : 0;
	close(f);
	return ret;
}

/*
 * bench-full's slow DETACH window: all 2^20 - 1 PASIDs attached over
 * 16384 domains, then 4 DETACHes traced at the top, the count taken down
 * to 262144 untraced, and 4 more traced there.
 */
static void trace_detach_full(void)
{
	uint32_t n = max_pasid - 1, ndoms = 16384, done, *d = domains(ndoms);
	struct pasid_shim_entry *e = entries(1, n, d, ndoms);

	many_chunks(1, e, 0, n);
	tracefs("tracing_on", "1");
	pshim_detach_many(fd, dev, e + n - 4, 4, &done);
	tracefs("tracing_on", "0");
	many_chunks(0, e, 262148, n - 4);
	tracefs("tracing_on", "1");
	tracefs("trace_marker", "above: 4 DETACHes at 2^20 - 1 attached; below: at 262148");
	pshim_detach_many(fd, dev, e + 262144, 4, &done);
	tracefs("tracing_on", "0");
	many_chunks(0, e, 0, 262144);
	free(e);
	destroy_all(d, ndoms);
}

/* One operation under function_graph, ten times; prints the trace. */
static void bench_trace(const char *op, const char *depth)
{
	unsigned char *buf = t_pattern_buf(64 * 4096, 't');
	struct pasid_shim_entry e[64];
	uint32_t dom, done, i, k;
	char line[512];
	FILE *f;

	syscall(SYS_mount, "tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	t_domain_alloc(fd, dev, &dom);
	t_attach(fd, dev, 12, dom);
	for (i = 0; i < 64; i++) {
		e[i].pasid = 100 + i;
		e[i].domain_id = dom;
	}
	if (tracefs("current_tracer", "function_graph") ||
	    tracefs("set_graph_function", "pshim_ioctl") ||
	    tracefs("max_graph_depth", depth) || tracefs("trace", "")) {
		printf("Bail out! no function_graph tracer\n");
		exit(1);
	}
	if (!strcmp(op, "detach1m"))
		trace_detach_full();	/* once, instead of the ten below */
	for (k = 0; k < (strcmp(op, "detach1m") ? 10U : 0U); k++) {
		if (!strcmp(op, "pair") || !strcmp(op, "many")) {
			tracefs("tracing_on", "1");
			if (op[0] == 'p') {
				t_attach(fd, dev, 7, dom);
				t_detach(fd, dev, 7);
			} else {
				pshim_attach_many(fd, dev, e, 64, &done);
				pshim_detach_many(fd, dev, e, 64, &done);
			}
			tracefs("tracing_on", "0");
		} else if (!strcmp(op, "mapmany")) {
			struct pasid_shim_map_entry m[64];

			map_entries_4k(m, buf, 64);
			tracefs("tracing_on", "1");
			ck(pshim_map_many(fd, dom, PASID_SHIM_MAP_READ, m, 64, &done), "MAP_MANY");
			tracefs("tracing_on", "0");
			ck(t_unmap(fd, dom, 0, 64 * 4096, NULL), "UNMAP");
		} else {
			if (!strcmp(op, "map4k"))
				tracefs("tracing_on", "1");
			t_map(fd, dom, buf, 4096, 0, PASID_SHIM_MAP_READ);
			tracefs("tracing_on", !strcmp(op, "unmap4k") ? "1" : "0");
			t_unmap(fd, dom, 0, 4096, NULL);
			tracefs("tracing_on", "0");
		}
	}
	f = fopen("/sys/kernel/tracing/trace", "r");
	while (f && fgets(line, sizeof(line), f))
		printf("# trace: %s", line);
	if (f)
		fclose(f);
	tracefs("current_tracer", "nop");
	t_detach(fd, dev, 12);
	t_destroy(fd, dom);
}

static int pshim_info_atomic(void)
{
	struct pasid_shim_info info = { .size = sizeof(info) };

	return !ioctl(fd, PASID_SHIM_GET_INFO, &info) &&
	       (info.out_features & PASID_SHIM_FEAT_ATOMIC_REPLACE);
}

int main(int argc, char **argv)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	const char *trace = NULL, *tdepth = "3";
	int full = 0, ko;
	uint32_t ndoms = 16384;

	if (argc > 1 && !strcmp(argv[1], "--quick")) {
		quick = 1;
		rounds = 2;
	} else if (argc > 2 && !strcmp(argv[1], "--trace")) {
		trace = argv[2];
		tdepth = argc > 3 ? argv[3] : "3";
	} else if (argc > 1 && !strcmp(argv[1], "--full")) {
		full = 1;
		if (argc > 2)
			ndoms = atoi(argv[2]);
	}
	t_init();
	{
		struct utsname u;

		if (!uname(&u))
			printf("# kernel %s\n", u.release);
	}
	setrlimit(RLIMIT_MEMLOCK, &rl);
	ko = open("/opt/pshim_bench.ko", O_RDONLY);
	if (ko < 0 || syscall(SYS_finit_module, ko, "", 0)) {
		printf("Bail out! cannot load pshim_bench.ko: %s\n", strerror(errno));
		return 1;
	}
	close(ko);
	if (cg_enter())
		printf("# no memory cgroup: the shim's memory is not measured\n");
	fd = t_open();
	if (t_bind(fd, t_dev, &dev, &max_pasid)) {
		printf("Bail out! BIND failed\n");
		return 1;
	}
	atomic_replace = pshim_info_atomic();
	if (trace) {
		bench_trace(trace, tdepth);
	} else if (full) {
		bench_full(ndoms);
	} else {
		printf("\n| measure (median of %d rounds, shim and raw taking turns) | pasid-shim | raw (+ floors) | ratio (min-max) | goal |\n",
		       rounds);
		printf("|---|---|---|---|---|\n");
		bench_attach();
		bench_list();
		bench_map();
		bench_close();
		fd = t_open();
	}
	close(fd);
	/* A figure of calls that failed is no figure: the run fails. */
	t_result(!failed_calls, "bench: every measured call succeeded (%ld failed)", failed_calls);
	t_expect_no_leak("the benchmark");
	return t_done();
}
