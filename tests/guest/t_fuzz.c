// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl fuzzer: random commands, sizes, flags, IDs, PASIDs, pointers
 * and lengths, interleaved with valid operations and random reopens, in
 * several processes at once. Every return must be 0 or an errno of the
 * contract; after all files close, the stats are zero and the device's
 * whole PASID table is empty (read by the host).
 * usage: t_fuzz [CALLS [SEED [PROCS]]]   (defaults 100000, time, 4)
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "pshim_test.h"

#define MAXIDS 64

static uint64_t rng;
static uint32_t ids[MAXIDS], nids;
static uint32_t max_pasid = 1 << 20;
static unsigned char *page, *ropage;
static void *hole;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t pick(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static uint32_t any_id(void)
{
	switch (pick(6)) {
	case 0: return 0;
	case 1: return UINT32_MAX;
	case 2: return pick(200);
	default: return nids ? ids[pick(nids)] : pick(10);
	}
}

static uint32_t any_pasid(void)
{
	static const uint32_t edge[] = { 0, 1, 2, 63, 64, 1023, 1024, (1 << 20) - 1,
					 1 << 20, UINT32_MAX };

	if (pick(3))
		return 1 + pick(2000);
	return edge[pick(sizeof(edge) / sizeof(edge[0]))];
}

static uint64_t any_ptr(void)
{
	switch (pick(8)) {
	case 0: return 0;
	case 1: return (uintptr_t)hole;
	case 2: return 0xffffffff81000000ULL;
	case 3: return (uintptr_t)ropage;
	case 4: return (uintptr_t)page + 1 + pick(4095);
	default: return (uintptr_t)page;
	}
}

static uint64_t any_len(void)
{
	static const uint64_t edge[] = { 0, 1, 4096, 8192, 4095, 1ULL << 30,
					 ~0ULL, ~0ULL - 4095, 1ULL << 63 };

	if (pick(2))
		return 4096 * (1 + pick(4));
	return edge[pick(sizeof(edge) / sizeof(edge[0]))];
}

/* What one() returns for an ioctl that returned a positive value. */
#define POSITIVE 100000

static int allowed(int err)
{
	switch (err) {
	case 0: case ENOTTY: case EINVAL: case E2BIG: case EOPNOTSUPP:
	case ENOENT: case ENODEV: case EBUSY: case EFAULT: case EEXIST:
	case ERANGE: case EOVERFLOW: case ENOMEM: case ENOSPC:
		return 1;
	}
	return 0;
}

/*
 * One call; returns the errno (0 on success), or POSITIVE + the value
 * for a positive return, which no command of the contract has.
 */
static int one(int fd)
{
	unsigned char buf[128];
	uint32_t nr = PASID_SHIM_CMD_BASE + pick(PASID_SHIM_CMD_CHECK - PASID_SHIM_CMD_BASE + 2), size;
	unsigned long cmd;
	void *arg = buf;
	int ret;

	if (!pick(50))
		nr = pick(256);
	cmd = pick(40) ? _IO(PASID_SHIM_TYPE, nr) : _IOWR(PASID_SHIM_TYPE, nr, int);
	if (!pick(60))
		cmd = _IO(pick(256), nr);
	memset(buf, 0, sizeof(buf));
	switch (pick(7)) {
	case 0: size = 0; break;
	case 1: size = 4 + pick(8); break;
	case 2: size = 64 + pick(64); break;		/* long, zero tail */
	case 3: size = 64 + pick(64); buf[60 + pick(64)] = 1; break;
	default: size = 16 + 8 * pick(4); break;	/* around exact */
	}
	memcpy(buf, &size, 4);
	/* Fields by offset, whatever the command: flags, ids, pointers. */
	if (pick(4) == 0) {
		uint32_t f = 1u << pick(32);

		memcpy(buf + 4, &f, 4);
	}
	{
		uint32_t a = any_id(), b = any_pasid(), c = any_id();
		uint64_t p = any_ptr(), l = any_len(), i = pick(2) ? any_len() : 0;

		memcpy(buf + 8, pick(2) ? &a : &b, 4);
		memcpy(buf + 12, pick(2) ? &b : &c, 4);
		memcpy(buf + 16, pick(2) ? &c : &a, 4);
		if (pick(2)) {
			memcpy(buf + 16, &p, 8);
			memcpy(buf + 24, &l, 8);
			memcpy(buf + 32, &i, 8);
		}
		if (nr == PASID_SHIM_CMD_BIND && pick(2)) {
			p = (uintptr_t)(pick(3) ? t_dev : "0000:00:01.0");
			memcpy(buf + 8, &p, 8);
		}
	}
	switch (pick(20)) {
	case 0: arg = NULL; break;
	case 1: arg = hole; break;
	case 2: arg = ropage; break;	/* readable, reply cannot be written */
	}
	t_call();
	ret = ioctl(fd, cmd, arg);
	if (ret > 0)
		return POSITIVE + (ret < POSITIVE ? ret : POSITIVE - 1);
	return ret ? errno : 0;
}

/* A valid operation, to reach deeper states. */
static int sane(int fd, uint32_t *dev)
{
	uint32_t id = 0, max = 0;

	switch (pick(9)) {
	case 0:
		if (!*dev && !t_bind(fd, t_dev, &id, &max)) {
			*dev = id;
			max_pasid = max;
			if (nids < MAXIDS)
				ids[nids++] = id;
		}
		return 0;
	case 1:
		if (!t_domain_alloc(fd, *dev, &id) && nids < MAXIDS)
			ids[nids++] = id;
		return 0;
	case 2:
		return -t_map(fd, any_id(), page, 4096 * (1 + pick(2)),
			      (uint64_t)pick(64) << 12, 1 + pick(3));
	case 3:
		return -t_attach(fd, *dev, 1 + pick(64), any_id());
	case 4:
		return -t_detach(fd, *dev, 1 + pick(64));
	case 5:
		return -t_attach_cmd(fd, PASID_SHIM_REPLACE, *dev, 1 + pick(64), any_id(), NULL);
	case 6:
		return -t_unmap(fd, any_id(), 0, (uint64_t)pick(80) << 12, NULL);
	case 7: {
		struct pasid_shim_entry e[8];
		struct pasid_shim_list l = {
			.size = sizeof(l), .dev_id = *dev, .num_entries = pick(9),
			.entries_uptr = (uintptr_t)e,
		};

		return -t_ioctl(fd, PASID_SHIM_LIST, &l);
	}
	default:
		if (!pick(4) && nids)
			return -t_destroy(fd, ids[pick(nids)]);
		return 0;
	}
}

static int fuzz(long calls, int procno)
{
	uint32_t dev = 0;
	long i, bad = 0, ok = 0, reopen = 0;
	int fd = t_open();

	for (i = 0; i < calls; i++) {
		int err = pick(2) ? one(fd) : sane(fd, &dev);

		if (err < 0)
			err = -err;
		if (!allowed(err) && bad++ < 5) {
			if (err >= POSITIVE)
				printf("# proc %d call %ld: returned %d, not 0 or -1\n",
				       procno, i, err - POSITIVE);
			else
				printf("# proc %d call %ld: unexpected errno %d (%s)\n",
				       procno, i, err, strerror(err));
		}
		ok += !err;
		if (!pick(3000)) {
			close(fd);
			fd = t_open();
			dev = 0;
			nids = 0;
			reopen++;
		}
	}
	close(fd);
	printf("# proc %d: %ld calls, %ld succeeded, %ld reopens, %ld unexpected\n",
	       procno, calls, ok, reopen, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	int procs = argc > 3 ? atoi(argv[3]) : 4, p, status, failed = 0;
	struct timespec t0, t1;

	t_init();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ropage = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(page, 0x5a, 4096);
	/* A plausible struct on a read-only page: the reply must EFAULT. */
	((uint32_t *)ropage)[0] = 24;
	((uint32_t *)ropage)[3] = 1;
	mprotect(ropage, 4096, PROT_READ);
	printf("# fuzz: %ld calls in %d processes, seed %llu\n", calls, procs,
	       (unsigned long long)seed);
	for (p = 0; p < procs; p++) {
		if (t_fork() == 0) {
			rng = seed * 2654435761u + p + 1;
			_exit(fuzz(calls / procs, p));
		}
	}
	for (p = 0; p < procs; p++) {
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t_result(!failed, "fuzz: %ld calls, seed %llu, every return an errno of the contract (%ld ms)",
		 calls, (unsigned long long)seed,
		 (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	t_expect_no_leak("fuzzing, all files closed");
	t_hw_say("no PASID entry left anywhere in the device's PASID table");
	t_hw_empty(t_dev);
	t_reliability("fuzz");
	return t_done();
}
