// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency with a hardware invariant: threads sharing one file on
 * the first endpoint, and a second process on the second endpoint, do
 * attach/replace/detach/map/unmap/list at random for a fixed time. Then,
 * per device, the PASIDs the shim lists must be exactly the PASIDs
 * present in the whole hardware PASID table, and each must translate to
 * its domain's own pattern.
 * usage: t_stress [SECONDS [THREADS]]   (defaults 8, 4)
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include "pshim_test.h"

#define NDOMS 3
#define NPASIDS 128

struct side {
	const char *name;
	int fd;
	uint32_t dev, dom[NDOMS];
	unsigned char *anchor[NDOMS];	/* 4 KiB at IOVA 0, one pattern per domain */
	unsigned char *scratch;
	time_t until;
	long ops, ok, kind_ok[6];	/* calls, successes, per operation */
	pthread_mutex_t lock;
};

static const char *const kind_name[6] = { "ATTACH", "REPLACE", "DETACH", "MAP", "UNMAP", "LIST" };

static void *worker(void *arg)
{
	struct side *s = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed ^ (unsigned int)time(NULL);
	long ops = 0, ok = 0, kind_ok[6] = { 0 };
	int i;

	while (time(NULL) < s->until) {
		uint32_t pasid = 1 + rand_r(&seed) % NPASIDS, d = s->dom[rand_r(&seed) % NDOMS];
		uint64_t iova = 0x100000 + (uint64_t)(rand_r(&seed) % 64) * 4096;
		int ret = 0, kind = rand_r(&seed) % 6;

		switch (kind) {
		case 0: ret = t_attach(s->fd, s->dev, pasid, d); break;
		case 1: ret = t_attach_cmd(s->fd, PASID_SHIM_REPLACE, s->dev, pasid, d, NULL); break;
		case 2: ret = t_detach(s->fd, s->dev, pasid); break;
		case 3: ret = t_map(s->fd, d, s->scratch, 4096, iova, PASID_SHIM_MAP_READ); break;
		case 4: ret = t_unmap(s->fd, d, iova, 4096, NULL); break;
		default: {
			struct pasid_shim_entry e[16];
			struct pasid_shim_list l = {
				.size = sizeof(l), .dev_id = s->dev, .num_entries = 16,
				.entries_uptr = (uintptr_t)e,
			};
			ret = t_ioctl(s->fd, PASID_SHIM_LIST, &l);
		}
		}
		ops++;
		ok += !ret;
		kind_ok[kind] += !ret;
	}
	pthread_mutex_lock(&s->lock);
	s->ops += ops;
	s->ok += ok;
	for (i = 0; i < 6; i++)
		s->kind_ok[i] += kind_ok[i];
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int setup(struct side *s, const char *dev, unsigned char seed)
{
	uint32_t max;
	int i;

	s->name = dev;
	s->fd = t_open();
	if (t_bind(s->fd, dev, &s->dev, &max))
		return -1;
	s->scratch = t_pattern_buf(4096, 0);
	for (i = 0; i < NDOMS; i++) {
		s->anchor[i] = t_pattern_buf(4096, seed + i);
		if (t_domain_alloc(s->fd, s->dev, &s->dom[i]) ||
		    t_map(s->fd, s->dom[i], s->anchor[i], 4096, 0, PASID_SHIM_MAP_READ))
			return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	return 0;
}

static void run(struct side *s, int threads, int seconds)
{
	pthread_t th[16];
	int i;

	s->until = time(NULL) + seconds;
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, s);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
}

/* The invariant, checked by the host against the hardware. */
static void verify(struct side *s, int threads)
{
	struct pasid_shim_entry e[NPASIDS];
	struct pasid_shim_list l = {
		.size = sizeof(l), .dev_id = s->dev, .num_entries = NPASIDS,
		.entries_uptr = (uintptr_t)e,
	};
	char set[NPASIDS * 8 + 64], none[64] = "";
	const char *saved = t_dev;
	uint32_t i, bad = 0;
	int n = 0, d, k;

	/* The storm did something: every kind of call succeeded at times. */
	for (k = 0; k < 6; k++)
		if (!s->kind_ok[k])
			snprintf(none + strlen(none), sizeof(none) - strlen(none), " %s", kind_name[k]);
	t_result(s->ok > 0 && !none[0], "%s: %d threads made %ld calls, %ld succeeded%s%s", s->name,
		 threads, s->ops, s->ok, none[0] ? "; none succeeded of" : "", none);
	t_expect(t_ioctl(s->fd, PASID_SHIM_LIST, &l), 0, "LIST after the storm");
	t_result(l.num_entries > 0 && l.num_entries <= NPASIDS,
		 "%s: %u PASIDs attached when the storm ends (some, at most %d)", s->name,
		 l.num_entries, NPASIDS);
	for (i = 0; i < l.num_entries && i < NPASIDS; i++)
		n += snprintf(set + n, sizeof(set) - n, "%s%u", i ? "," : "", e[i].pasid);
	set[n] = 0;
	t_dev = s->name;
	t_hw_say("%s: the %u PASIDs the shim lists are exactly those in the hardware table",
		 s->name, l.num_entries);
	t_hw("\"check\":\"pasid_set\",\"dev\":\"%s\",\"pasids\":[%s]", s->name, set);
	for (i = 0; i < l.num_entries && i < NPASIDS; i++) {
		for (d = 0; d < NDOMS && s->dom[d] != e[i].domain_id; d++)
			;
		if (d == NDOMS) {
			bad++;
			continue;
		}
		t_hw_say("%s: pasid %u translates to its domain's pattern", s->name, e[i].pasid);
		t_hw_translate(e[i].pasid, 0x800, s->anchor[d] + 0x800, 16);
	}
	t_result(!bad, "%s: LIST names one of the file's domains for every PASID (%u not)",
		 s->name, bad);
	t_dev = saved;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 8, threads = argc > 2 ? atoi(argv[2]) : 4;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	const char *dev2 = getenv("PSHIM_DEV2");
	int go[2], status = 0;
	struct side a = { 0 }, b = { 0 };
	pid_t pid;
	char c;

	t_init();
	setrlimit(RLIMIT_MEMLOCK, &rl);
	if (!dev2) {
		printf("Bail out! no second endpoint (PSHIM_DEV2)\n");
		return 1;
	}
	if (pipe(go))
		return 1;
	pid = t_fork();
	if (pid == 0) {		/* the second process, on the second device */
		if (setup(&b, dev2, 0x40))
			_exit(3);
		run(&b, 2, seconds);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		verify(&b, 2);
		close(b.fd);
		_exit(t_done());
	}
	t_expect(setup(&a, t_dev, 0x10), 0, "first process set up on the first device");
	run(&a, threads, seconds);
	verify(&a, threads);
	close(a.fd);
	if (write(go[1], "g", 1) != 1)
		return 1;
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	t_result(WIFEXITED(status) && !WEXITSTATUS(status),
		 "second process on the second device (status 0x%x)", status);
	t_expect_no_leak("both files closed");
	t_hw_say("no PASID entry left on the first device");
	t_hw_empty(t_dev);
	t_hw_say("no PASID entry left on the second device");
	t_hw_empty(dev2);
	t_reliability("concurrency");
	return t_done();
}
