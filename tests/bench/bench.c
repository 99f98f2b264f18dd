// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, in the guest: the shim's ioctls against the raw kernel
 * calls (timed in the pshim_bench module) on the same device, in the
 * same boot. Prints one Markdown table.
 * usage: bench [--quick]
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include "pshim_test.h"

static int quick;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One raw measurement from the bench module: ns, and a second figure. */
static long long raw_second;

static long long raw(const char *fmt, ...)
{
	char cmd[128], out[64] = "";
	long long ns = -1;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	raw_second = 0;
	fd = open("/sys/kernel/debug/pshim_bench/cmd", O_RDWR);
	if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0 || pread(fd, out, sizeof(out) - 1, 0) < 0) {
		printf("# raw %s: %s\n", cmd, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	sscanf(out, "%lld %lld", &ns, &raw_second);
	return ns;
}

static void row(const char *what, double shim, double raw_ns, const char *unit, const char *goal)
{
	double r = raw_ns > 0 ? shim / raw_ns : 0;

	printf("| %s | %.1f %s | %.1f %s | %.2fx | %s |\n", what, shim, unit, raw_ns, unit, r, goal);
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
	int fd;

	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		syscall(SYS_mount, "none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY);
	if (fd < 0 || write(fd, "+memory", 7) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	mkdir("/sys/fs/cgroup/bench", 0755);
	fd = open("/sys/fs/cgroup/bench/cgroup.procs", O_WRONLY);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	uint32_t dev = 0, max = 0, a = 0, b = 0, i;
	int iters, fd, ko, s;
	uint64_t t0;
	double shim_ns;
	long long r;

	quick = argc > 1 && !strcmp(argv[1], "--quick");
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
		printf("# no memory cgroup: memory per attachment not measured\n");

	fd = t_open();
	if (t_bind(fd, t_dev, &dev, &max) || t_domain_alloc(fd, dev, &a) ||
	    t_domain_alloc(fd, dev, &b)) {
		printf("Bail out! setup failed\n");
		return 1;
	}
	printf("\n| measure | pasid-shim (ioctl from userspace) | raw kernel call (in-kernel loop) | ratio | goal |\n");
	printf("|---|---|---|---|---|\n");

	/* 0. the floor: one ioctl that does nothing but check its input */
	iters = quick ? 200 : 2000;
	{
		struct pasid_shim_info info = { .size = sizeof(info) };

		t0 = now_ns();
		for (i = 0; i < (uint32_t)iters; i++)
			t_ioctl(fd, PASID_SHIM_GET_INFO, &info);
		printf("| one ioctl round trip (GET_INFO): the syscall floor | %.1f us | - | - | - |\n",
		       (now_ns() - t0) / 1000.0 / iters);
	}

	/* Warm up the paths (first calls fault in code and caches). */
	for (i = 0; i < 50; i++)
		if (t_attach(fd, dev, 7, a) || t_detach(fd, dev, 7))
			break;

	/* 1. attach + detach, and replace */
	t0 = now_ns();
	for (i = 0; i < (uint32_t)iters; i++)
		if (t_attach(fd, dev, 7, a) || t_detach(fd, dev, 7))
			break;
	shim_ns = (double)(now_ns() - t0) / iters;
	r = raw("attach %s 8 %d", t_dev, iters);
	row("attach + detach, one PASID (per pair)", shim_ns / 1000, r / 1000.0 / iters, "us", "<= 1.10x");
	t_attach(fd, dev, 9, a);
	t0 = now_ns();
	for (i = 0; i < (uint32_t)iters; i++)
		if (t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 9, i % 2 ? a : b, NULL))
			break;
	shim_ns = (double)(now_ns() - t0) / iters;
	t_detach(fd, dev, 9);
	r = raw("replace %s 10 %d", t_dev, iters);
	{
		uint32_t abi, feat = 0;
		struct pasid_shim_info info = { .size = sizeof(info) };

		(void)abi;
		t_ioctl(fd, PASID_SHIM_GET_INFO, &info);
		feat = info.out_features;
		row(feat & PASID_SHIM_FEAT_ATOMIC_REPLACE ? "replace (atomic, kernel's)" :
		    "replace (emulated: detach + attach)", shim_ns / 1000, r / 1000.0 / iters, "us",
		    "<= 1.10x");
	}

	/* 2. scaling with the number of PASIDs attached */
	{
		static const uint32_t full[] = { 1, 1024, 16384, 65536 }, small[] = { 1, 1024 };
		const uint32_t *sizes = quick ? small : full;
		int nsizes = quick ? 2 : 4, k;
		struct pasid_shim_entry *e = calloc(65536, sizeof(*e));

		for (k = 0; k < nsizes; k++) {
			uint32_t n = sizes[k], count = 0, rounds = n >= 1024 ? 1 : 1024 / n, r;
			long long before = cg_bytes(), after = -1;
			double att = 0, det = 0, lst = 0;
			struct pasid_shim_list l = {
				.size = sizeof(l), .dev_id = dev, .entries_uptr = (uintptr_t)e,
			};

			for (r = 0; r < rounds; r++) {
				t0 = now_ns();
				for (i = 1; i <= n; i++)
					if (t_attach(fd, dev, i, a))
						break;
				att += now_ns() - t0;
				if (!r)
					after = cg_bytes();
				l.num_entries = n;
				t0 = now_ns();
				t_ioctl(fd, PASID_SHIM_LIST, &l);
				lst += now_ns() - t0;
				count = l.num_entries;
				t0 = now_ns();
				for (i = 1; i <= n; i++)
					t_detach(fd, dev, i);
				det += now_ns() - t0;
			}
			/* The same on the raw kernel calls, in the bench module. */
			{
				long long ra = raw("scale %s %u %u", t_dev, n, rounds), rd = raw_second;

				printf("| %u PASIDs on one domain: attach per op | %.1f us | %.1f us | %.2fx | flat within 1.5x |\n",
				       n, att / 1000 / n / rounds, ra / 1000.0 / n / rounds,
				       ra > 0 ? att / ra : 0);
				printf("| %u PASIDs on one domain: detach per op | %.1f us | %.1f us | %.2fx | flat within 1.5x |\n",
				       n, det / 1000 / n / rounds, rd / 1000.0 / n / rounds,
				       rd > 0 ? det / rd : 0);
				printf("| %u PASIDs: LIST of all | %.1f us | - | - | - |\n", n, lst / 1000 / rounds);
			}
			if (count != n)
				printf("# LIST counted %u of %u\n", count, n);
			/* Below ~16k the memcg's per-CPU charge batch hides the growth. */
			if (before >= 0 && after >= 0 && n >= 16384)
				printf("| %u PASIDs: shim memory per attachment (memcg, all it allocates) | %.0f bytes | - | - | <= 128 bytes |\n",
				       n, (double)(after - before) / n);
		}
		free(e);
	}

	/* 3. MAP + UNMAP of anonymous memory, into an attached domain */
	t_attach(fd, dev, 12, b);
	{
		static const size_t full[] = { 4096, 2 << 20, 1UL << 30 }, small[] = { 4096, 2 << 20 };
		const size_t *sizes = quick ? small : full;
		int nsizes = quick ? 2 : 3, k;

		for (k = 0; k < nsizes; k++) {
			size_t len = sizes[k];
			int n = len <= 4096 ? (quick ? 100 : 1000) : len <= (2 << 20) ? (quick ? 5 : 50) : 2;
			void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
			uint64_t map_ns = 0, unmap_ns = 0, t1;
			const char *name = len == 4096 ? "4 KiB" : len == (2 << 20) ? "2 MiB" : "1 GiB";
			char what[64];

			if (buf == MAP_FAILED) {
				printf("# %s: mmap failed\n", name);
				continue;
			}
			for (s = 0; s < n; s++) {
				t0 = now_ns();
				if (t_map(fd, b, buf, len, 0, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE))
					break;
				t1 = now_ns();
				t_unmap(fd, b, 0, len, NULL);
				unmap_ns += now_ns() - t1;
				map_ns += t1 - t0;
			}
			if (len == 4096) {
				/* The shim's own share: a MAP refused after every check
				 * and the overlap test, before any pinning. */
				uint64_t floor;

				t_map(fd, b, buf, len, 0, PASID_SHIM_MAP_READ);
				t0 = now_ns();
				for (s = 0; s < n; s++)
					t_map(fd, b, buf, len, 0, PASID_SHIM_MAP_READ);
				floor = now_ns() - t0;
				t_unmap(fd, b, 0, len, NULL);
				printf("| MAP 4 KiB refused as overlapping (syscall + checks + range tree) | %.1f us | - | - | - |\n",
				       floor / 1000.0 / n);
				/* ... and refused over RLIMIT_MEMLOCK: the bookkeeping
				 * (allocations, range insert and erase), no pin or map. */
				{
					struct rlimit lim = { 0, RLIM_INFINITY };

					setrlimit(RLIMIT_MEMLOCK, &lim);
					t0 = now_ns();
					for (s = 0; s < n; s++)
						t_map(fd, b, buf, len, 0, PASID_SHIM_MAP_READ);
					floor = now_ns() - t0;
					setrlimit(RLIMIT_MEMLOCK, &rl);
					printf("| MAP 4 KiB refused over RLIMIT_MEMLOCK (bookkeeping, no pin or map) | %.1f us | - | - | - |\n",
					       floor / 1000.0 / n);
				}
			}
			r = raw("map %s 13 %lx %zx %d", t_dev, (unsigned long)buf, len, n);
			snprintf(what, sizeof(what), "MAP %s (pin + map)", name);
			row(what, map_ns / 1000.0 / n, r / 1000.0 / n, "us", "<= 1.2x");
			snprintf(what, sizeof(what), "UNMAP %s (unmap + unpin)", name);
			row(what, unmap_ns / 1000.0 / n, raw_second / 1000.0 / n, "us", "<= 1.2x");
			munmap(buf, len);
		}
	}
	t_detach(fd, dev, 12);
	close(fd);

	/* 4. close() of a file holding many attachments and much memory */
	{
		uint32_t n = quick ? 1024 : 16384;
		size_t len = quick ? (16 << 20) : (1UL << 30);
		void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		fd = t_open();
		t_bind(fd, t_dev, &dev, &max);
		t_domain_alloc(fd, dev, &a);
		if (buf == MAP_FAILED || t_map(fd, a, buf, len, 0, PASID_SHIM_MAP_READ))
			printf("# close: mapping %zu bytes failed\n", len);
		for (i = 1; i <= n; i++)
			t_attach(fd, dev, i, a);
		t0 = now_ns();
		close(fd);
		printf("| close() with %u attachments and %zu MiB mapped | %.1f ms | - | - | - |\n",
		       n, len >> 20, (now_ns() - t0) / 1e6);
	}
	t_expect_no_leak("the benchmark");
	return t_done();
}
