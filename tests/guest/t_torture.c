// SPDX-License-Identifier: GPL-2.0
/*
 * Race torture: in each round, worker processes drive random sequences
 * of BIND (shared or exclusive), DOMAIN_ALLOC, MAP, ATTACH (one PASID or
 * a burst of hundreds), REPLACE, DETACH, LIST, PASID_ALLOC/FREE, DESTROY
 * and close on two files each, against both endpoints, while a
 * disruptor does one of: driver unbind and rebind, sysfs remove and
 * rescan, QMP device_del and device_add, VFIO group open /
 * set-container / close (vfio-pci through driver_override), or nothing;
 * and the round's coordinator SIGKILLs a worker at a random moment.
 *
 * Every errno must be one the contract allows for the situation. After
 * each round, with every worker gone, both endpoints are back with nvme,
 * the shim's stats are zero and the host finds no PASID entry in either
 * endpoint's whole PASID table. The kernel runs with panic_on_warn=1, so
 * a WARN ends the run.
 *
 * The operations of a round are a function of the seed (printed, and
 * taken from the command line or TORTURE_SEED); their interleaving is
 * up to the scheduler, which is the point.
 *
 * usage: t_torture [ROUNDS [SEED]]   (or TORTURE_ROUNDS, TORTURE_SEED)
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "pshim_sys.h"

#define NWORKERS	3
#define NFILES		2
#define NOBJ		16
#define BUF_LEN		(1 << 20)

enum event { EV_NONE, EV_UNBIND, EV_REMOVE, EV_VFIO, EV_HOTPLUG, EV_NR };
static const char *const event_name[] = {
	"no device event", "driver unbind/rebind", "sysfs remove/rescan",
	"VFIO open/set-container/close", "QMP device_del/device_add",
};

static const char *devs[2];

static unsigned int rnd(unsigned int *s, unsigned int n)
{
	return rand_r(s) % n;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What one worker knows of one of its files. */
struct wfile {
	int fd;
	uint32_t dev[NOBJ], dom[NOBJ], pasid[NOBJ];
	int ndev, ndom, npasid;
};

static int allowed(int ret, const int *ok)
{
	if (!ret)
		return 1;
	for (; *ok; ok++)
		if (ret == -*ok)
			return 1;
	return 0;
}

static const int ok_bind[] = { ENODEV, EBUSY, ENXIO, EOPNOTSUPP, 0 };
static const int ok_devop[] = { ENODEV, 0 };
static const int ok_attach[] = { ENODEV, EBUSY, 0 };
static const int ok_replace[] = { ENODEV, EINVAL, 0 };
static const int ok_detach[] = { ENODEV, ENOENT, 0 };
static const int ok_map[] = { EEXIST, 0 };
static const int ok_destroy[] = { EBUSY, 0 };
static const int ok_palloc[] = { ENODEV, ENOSPC, 0 };
static const int ok_pfree[] = { EBUSY, 0 };

static void drop(uint32_t *ids, int *n, int i)
{
	ids[i] = ids[--*n];
}

/* One random operation on f; returns 0 or the unexpected errno. */
static int worker_op(struct wfile *f, unsigned int *s, unsigned char *buf)
{
	uint32_t id, max, old, p, n, i;
	uint64_t done;
	int ret, k, op = rnd(s, 100);

	if (f->fd < 0) {
		f->fd = t_open();
		f->ndev = f->ndom = f->npasid = 0;
		return 0;
	}
	if (op < 12 && f->ndev < NOBJ) {		/* BIND */
		uint32_t flags = rnd(s, 4) ? 0 : PASID_SHIM_BIND_EXCLUSIVE;

		t_call();
		ret = pshim_bind_flags(f->fd, devs[rnd(s, 2)], flags, &id, &max);
		if (!ret)
			f->dev[f->ndev++] = id;
		return allowed(ret, ok_bind) ? 0 : ret;
	}
	if (op < 20 && f->ndev && f->ndom < NOBJ) {	/* DOMAIN_ALLOC */
		ret = t_domain_alloc(f->fd, f->dev[rnd(s, f->ndev)], &id);
		if (!ret)
			f->dom[f->ndom++] = id;
		return allowed(ret, ok_devop) ? 0 : ret;
	}
	if (op < 24 && f->ndom) {			/* MAP_MANY */
		struct pasid_shim_map_entry me[16];

		for (i = 0; i < 16; i++) {
			me[i].user_va = (uintptr_t)buf + i * 4096;
			me[i].length = 4096;
			me[i].iova = ((uint64_t)rnd(s, 64) << 21) + i * 4096;
		}
		t_call();
		ret = pshim_map_many(f->fd, f->dom[rnd(s, f->ndom)], PASID_SHIM_MAP_READ,
				     me, 16, &i);
		return allowed(ret, ok_map) ? 0 : ret;
	}
	if (op < 28 && f->ndom) {			/* MAP */
		n = 1 + rnd(s, BUF_LEN / 4096);
		ret = t_map(f->fd, f->dom[rnd(s, f->ndom)], buf, (uint64_t)n * 4096,
			    (uint64_t)rnd(s, 64) << 21,
			    PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE);
		return allowed(ret, ok_map) ? 0 : ret;
	}
	if (op < 31 && f->ndom) {			/* UNMAP */
		ret = t_unmap(f->fd, f->dom[rnd(s, f->ndom)], 0, 1ULL << 40, &done);
		return !ret || ret == -ENOENT ? 0 : ret;
	}
	if (op < 45 && f->ndev && f->ndom) {		/* ATTACH */
		id = f->dev[rnd(s, f->ndev)];
		p = f->npasid && rnd(s, 2) ? f->pasid[rnd(s, f->npasid)] : 1 + rnd(s, 64);
		ret = t_attach(f->fd, id, p, f->dom[rnd(s, f->ndom)]);
		return allowed(ret, ok_attach) ? 0 : ret;
	}
	if (op < 52 && f->ndev && f->ndom) {		/* hundreds at once */
		static struct pasid_shim_entry e[512];

		id = f->dev[rnd(s, f->ndev)];
		p = 1 + rnd(s, 4096);
		n = 64 + rnd(s, 448);
		for (i = 0; i < n; i++) {
			e[i].pasid = p + i;
			e[i].domain_id = f->dom[rnd(s, f->ndom)];
		}
		switch (rnd(s, 3)) {
		case 0:		/* one ATTACH at a time */
			for (i = 0; i < n; i++) {
				ret = t_attach(f->fd, id, p + i, e[i].domain_id);
				if (!allowed(ret, ok_attach))
					return ret;
				if (ret == -ENODEV)
					break;
			}
			return 0;
		case 1:
			t_call();
			ret = pshim_attach_many(f->fd, id, e, n, &i);
			return allowed(ret, ok_attach) ? 0 : ret;
		default:
			t_call();
			ret = pshim_detach_many(f->fd, id, e, n, &i);
			return allowed(ret, ok_detach) ? 0 : ret;
		}
	}
	if (op < 60 && f->ndev && f->ndom) {		/* REPLACE */
		ret = t_attach_cmd(f->fd, PASID_SHIM_REPLACE, f->dev[rnd(s, f->ndev)],
				   1 + rnd(s, 64), f->dom[rnd(s, f->ndom)], &old);
		return allowed(ret, ok_replace) ? 0 : ret;
	}
	if (op < 68 && f->ndev) {			/* DETACH */
		ret = t_detach(f->fd, f->dev[rnd(s, f->ndev)], 1 + rnd(s, 64));
		return allowed(ret, ok_detach) ? 0 : ret;
	}
	if (op < 71 && f->ndev) {			/* LIST */
		t_call();
		ret = pshim_list(f->fd, f->dev[rnd(s, f->ndev)], NULL, 0, &n);
		return allowed(ret, ok_devop) ? 0 : ret;
	}
	if (op < 75 && f->ndev && f->npasid < NOBJ) {	/* PASID_ALLOC */
		t_call();
		ret = pshim_pasid_alloc(f->fd, f->dev[rnd(s, f->ndev)], &p);
		if (!ret)
			f->pasid[f->npasid++] = p;
		return allowed(ret, ok_palloc) ? 0 : ret;
	}
	if (op < 78 && f->npasid) {			/* PASID_FREE */
		k = rnd(s, f->npasid);
		t_call();
		ret = pshim_pasid_free(f->fd, f->pasid[k]);
		if (!ret)
			drop(f->pasid, &f->npasid, k);
		return allowed(ret, ok_pfree) ? 0 : ret;
	}
	if (op < 86 && f->ndev) {			/* DESTROY a device */
		k = rnd(s, f->ndev);
		ret = t_destroy(f->fd, f->dev[k]);
		drop(f->dev, &f->ndev, k);
		return ret;
	}
	if (op < 92 && f->ndom) {			/* DESTROY a domain */
		k = rnd(s, f->ndom);
		ret = t_destroy(f->fd, f->dom[k]);
		if (!ret)
			drop(f->dom, &f->ndom, k);
		return allowed(ret, ok_destroy) ? 0 : ret;
	}
	if (op >= 97) {					/* close */
		close(f->fd);
		f->fd = -1;
	}
	return 0;
}

static void worker(unsigned int s, long ms)
{
	struct wfile f[NFILES];
	unsigned char *buf = t_pattern_buf(BUF_LEN, (unsigned char)s);
	long end = now_ms() + ms, ops = 0;
	int i, ret;

	for (i = 0; i < NFILES; i++)
		f[i].fd = -1;
	while (now_ms() < end) {
		ret = worker_op(&f[rnd(&s, NFILES)], &s, buf);
		ops++;
		if (ret) {
			printf("# worker: op %ld got %d (%s)\n", ops, ret, strerror(-ret));
			_exit(1);
		}
	}
	_exit(0);
}

/* Try to bind nvme until it takes (an exclusive binding may hold it). */
static void rebind_nvme(const char *dev, long deadline)
{
	while (sys_bind(dev, "nvme") && now_ms() < deadline)
		usleep(20000);
}

static void disruptor(enum event ev, const char *dev, unsigned int s, long deadline)
{
	struct vfio_hold h;

	usleep(1000 * rnd(&s, 300));
	switch (ev) {
	case EV_UNBIND:
		sys_unbind(dev);
		usleep(1000 * rnd(&s, 300));
		rebind_nvme(dev, deadline);
		break;
	case EV_REMOVE:
		sys_remove(dev);
		usleep(1000 * rnd(&s, 200));
		sys_rescan();
		break;
	case EV_VFIO:
		if (sys_unbind(dev))
			break;
		usleep(1000 * rnd(&s, 100));
		sys_devwrite(dev, "driver_override", "vfio-pci");
		sys_bind(dev, "vfio-pci");
		sys_devwrite(dev, "driver_override", "\n");
		/* Refused while the shim holds the device exclusively. */
		sys_vfio_claim(dev, &h);
		usleep(1000 * rnd(&s, 300));
		sys_vfio_release(&h);
		sys_unbind(dev);
		rebind_nvme(dev, deadline);
		break;
	case EV_HOTPLUG:
		sys_hot_unplug(dev);
		sys_hot_plug(dev);
		break;
	default:
		_exit(0);
	}
	t_fault();	/* the event happened (its steps may have been refused) */
	_exit(0);
}

static enum event pick_event(unsigned int *s)
{
	unsigned int r = rnd(s, 100);

	if (r < 15)
		return EV_NONE;
	if (r < 42)
		return EV_UNBIND;
	if (r < 67)
		return EV_REMOVE;
	if (r < 92)
		return EV_VFIO;
	return EV_HOTPLUG;
}

/* Wait for pid, at most until deadline (ms); -1 if it is still there. */
static int wait_until(pid_t pid, int *st, long deadline)
{
	while (now_ms() < deadline) {
		pid_t r = waitpid(pid, st, WNOHANG);

		if (r == pid)
			return 0;
		usleep(10000);
	}
	return -1;
}

static int round_run(int r, unsigned int s)
{
	enum event ev = pick_event(&s);
	int d = ev == EV_HOTPLUG ? 0 : rnd(&s, 2);
	long ms = 400 + rnd(&s, 1100), deadline;
	pid_t w[NWORKERS], dis;
	int i, st, bad = 0, killed = -1, hung = 0, kill_at;

	for (i = 0; i < NWORKERS; i++) {
		unsigned int ws = s * 31 + i;

		w[i] = t_fork();
		if (!w[i])
			worker(ws, ms);
	}
	dis = t_fork();
	if (!dis)
		disruptor(ev, devs[d], s * 17 + 5, now_ms() + ms + 3000);
	kill_at = rnd(&s, 2) ? (int)rnd(&s, ms) : -1;
	if (kill_at >= 0) {
		killed = rnd(&s, NWORKERS);
		usleep(1000 * kill_at);
		if (!kill(w[killed], SIGKILL))
			t_fault();
	}
	deadline = now_ms() + ms + 60000;
	for (i = 0; i < NWORKERS; i++) {
		if (wait_until(w[i], &st, deadline)) {
			hung++;
			continue;
		}
		if (i == killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			continue;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	if (wait_until(dis, &st, deadline))
		hung++;
	t_result(!bad && !hung,
		 "round %d: %s on %s, %d workers for %ld ms%s: %d bad, %d hung",
		 r, event_name[ev], devs[d], NWORKERS, ms,
		 killed >= 0 ? ", one SIGKILLed" : "", bad, hung);
	if (hung) {
		printf("Bail out! round %d hangs\n", r);
		exit(1);
	}
	for (i = 0; i < 2; i++) {
		t_result(sys_restore(devs[i]) == 0, "round %d: %s bound to nvme again", r, devs[i]);
		t_hw_say("round %d: no PASID entry left on %s", r, devs[i]);
		t_hw_empty(devs[i]);
	}
	t_expect_no_leak("the round");
	return bad;
}

int main(int argc, char **argv)
{
	const char *env_rounds = getenv("TORTURE_ROUNDS");
	const char *env_seed = getenv("TORTURE_SEED");
	unsigned int rounds, seed, r;

	t_init();
	devs[0] = t_dev;
	devs[1] = getenv("PSHIM_DEV2");
	if (!devs[1] || !*devs[1]) {
		printf("Bail out! PSHIM_DEV2 not set\n");
		return 1;
	}
	rounds = argc > 1 ? atoi(argv[1]) : env_rounds && *env_rounds ? atoi(env_rounds) : 12;
	seed = argc > 2 ? strtoul(argv[2], NULL, 0) :
	       env_seed && *env_seed ? strtoul(env_seed, NULL, 0) : (unsigned int)time(NULL);
	printf("# t_torture: %u rounds, seed %u (TORTURE_SEED=%u reproduces the operations)\n",
	       rounds, seed, seed);
	/* The host's "no entry left" after each round is about these two. */
	t_control(devs[0], "BIND the first endpoint, as a control");
	t_control(devs[1], "BIND the second endpoint, as a control");
	for (r = 0; r < rounds; r++)
		round_run(r, seed + r * 7919);
	t_reliability("torture");
	return t_done();
}
