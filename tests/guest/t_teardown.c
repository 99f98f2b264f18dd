// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown: close, SIGKILL mid-stream, driver unbind, sysfs remove,
 * QEMU hot-unplug, rmmod. After each, the shim's stats are back to zero
 * and the hardware holds no entry for the PASIDs that were attached.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "pshim_test.h"

static const uint32_t pasids[] = { 1, 64, 1000, 131072 };
#define NPASIDS (sizeof(pasids) / sizeof(pasids[0]))
#define PASIDS_JSON "[1,64,1000,131072]"

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * Present means fully probed: in an IOMMU group and bound to its driver
 * (the sysfs directory appears before the IOMMU core has seen it).
 */
static int dev_present(void)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", t_dev);
	if (stat(path, &st))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", t_dev);
	if (stat(path, &st))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", t_dev);
	return stat(path, &st) ? -1 : 1;
}

static int wait_dev(int present, int seconds)
{
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (dev_present() == present)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* Bind, two domains with a mapping each, all PASIDs attached. */
static void populate(int fd, uint32_t *dev, uint32_t dom[2], void *buf)
{
	static int round;
	uint32_t max = 0;
	unsigned int i;
	char key[16];

	t_expect(t_bind(fd, t_dev, dev, &max), 0, "BIND");
	t_expect(t_domain_alloc(fd, *dev, &dom[0]), 0, "DOMAIN_ALLOC");
	t_expect(t_domain_alloc(fd, *dev, &dom[1]), 0, "DOMAIN_ALLOC");
	t_expect(t_map(fd, dom[0], buf, 0x10000, 0x100000, PASID_SHIM_MAP_READ), 0, "MAP");
	t_expect(t_map(fd, dom[1], buf, 0x10000, 0x100000, PASID_SHIM_MAP_WRITE), 0, "MAP");
	for (i = 0; i < NPASIDS; i++)
		t_expect(t_attach(fd, *dev, pasids[i], dom[i % 2]), 0, "ATTACH");
	snprintf(key, sizeof(key), "T%d", round++);
	t_hw_scope();
	t_hw_pasid(pasids[0], 1, key);
}

static void expect_hw_clean(const char *after)
{
	t_hw_say("after %s: no PASID entry left in the device's whole PASID table", after);
	t_hw_empty(t_dev);
	t_expect_no_leak(after);
}

static void close_case(void *buf)
{
	uint32_t dev, dom[2];
	int fd = t_open();

	populate(fd, &dev, dom, buf);
	close(fd);
	expect_hw_clean("close");
}

/* A child runs operations in a loop; it is killed at a random moment. */
static void sigkill_case(void *buf, int rounds)
{
	int r, clean = 1;

	for (r = 0; r < rounds; r++) {
		int ready[2], status;
		pid_t pid;
		char c;

		if (pipe(ready)) {
			t_result(0, "pipe: %s", strerror(errno));
			return;
		}
		pid = t_fork();
		if (pid == 0) {
			uint32_t dev = 0, max = 0, dom = 0, i;
			int fd = open("/dev/pasid-shim", O_RDWR);

			t_bind(fd, t_dev, &dev, &max);
			t_domain_alloc(fd, dev, &dom);
			if (write(ready[1], "x", 1) != 1)
				_exit(1);
			for (i = 0;; i++) {
				uint32_t p = 1 + (i % 1000) * 7;

				t_map(fd, dom, buf, 0x8000, (uint64_t)(i % 64) << 20,
				      PASID_SHIM_MAP_READ);
				t_attach(fd, dev, p, dom);
				if (i % 3)
					t_detach(fd, dev, p);
				if (i % 5 == 0)
					t_unmap(fd, dom, 0, 1ULL << 30, NULL);
			}
		}
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1)
			clean = 0;
		close(ready[0]);
		usleep(1000 * (rand() % 200));
		kill(pid, SIGKILL);
		if (waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL)
			t_fault();
		else
			clean = 0;
		if (t_stat("devices") || t_stat("domains") || t_stat("attachments") ||
		    t_stat("pinned_pages"))
			clean = 0;
	}
	t_result(clean, "%d SIGKILLs mid-stream, each killed the child: stats back to zero after each",
		 rounds);
	t_hw_say("after SIGKILLs: no PASID entry the children used is left");
	t_hw_empty(t_dev);
}

/*
 * The device goes away under an open file (how is up to the caller):
 * every PASID is detached before, the device object is dead (ENODEV),
 * the rest of the file still works, and the device can be bound again.
 */
static void gone_case(const char *how, int (*make_gone)(void), int (*bring_back)(void),
		      void *buf)
{
	uint32_t dev, dom[2], dev2 = 0, max = 0, old;
	struct pasid_shim_list ls = { .size = sizeof(ls) };
	uint64_t n = 0;
	char what[96];
	int fd = t_open(), gone;

	populate(fd, &dev, dom, buf);
	snprintf(what, sizeof(what), "%s while attached", how);
	t_hw_say("before %s: the PASID table holds the %d attached PASIDs", what, (int)NPASIDS);
	t_hw_mark(t_dev, "gone", PASIDS_JSON);
	gone = make_gone() == 0;
	t_result(gone, "%s", how);
	if (gone)
		t_fault();
	/*
	 * After a driver unbind the table is the device's still; after a
	 * sysfs remove or hot-unplug, memory intel-iommu has freed without
	 * clearing: either way, no entry may be left where they were.
	 */
	t_hw_say("after %s: the PASID entries where they were are all cleared", what);
	t_hw_cleared("gone");
	t_result(t_stat("attachments") == 0, "after %s: stats show no attachment", what);
	t_row(t_attach(fd, dev, 5, dom[0]), CT_COMMON_GONE, "ATTACH on the dead device");
	t_expect(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 1, dom[0], &old), -ENODEV,
		 "REPLACE on the dead device");
	t_expect(t_detach(fd, dev, 1), -ENODEV, "DETACH on the dead device");
	t_row(t_domain_alloc(fd, dev, &old), CT_DOMAIN_ALLOC_GONE, "DOMAIN_ALLOC on the dead device");
	t_call();
	t_row(pshim_pasid_alloc(fd, dev, &old), CT_PASID_ALLOC_GONE, "PASID_ALLOC on the dead device");
	ls.dev_id = dev;
	t_expect(t_ioctl(fd, PASID_SHIM_LIST, &ls), -ENODEV, "LIST on the dead device");
	t_expect(t_unmap(fd, dom[0], 0x100000, 0x10000, &n), 0, "UNMAP still works");
	t_expect(t_map(fd, dom[1], buf, 0x4000, 0x900000, PASID_SHIM_MAP_READ), 0, "MAP still works");
	t_result(bring_back() == 0, "the device comes back");
	t_expect(t_bind(fd, t_dev, &dev2, &max), 0, "BIND it again in the same file");
	t_expect(t_attach(fd, dev2, 64, dom[1]), 0, "ATTACH an old domain to it");
	t_hw_translate(64, 0x900000, buf, 32);
	t_expect(t_destroy(fd, dev), 0, "DESTROY the dead device object");
	close(fd);
	expect_hw_clean(how);
}

static int unbind_driver(void)
{
	return write_file("/sys/bus/pci/drivers/nvme/unbind", t_dev);
}

static int bind_driver(void)
{
	return write_file("/sys/bus/pci/drivers/nvme/bind", t_dev);
}

static int sysfs_remove(void)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", t_dev);
	return write_file(path, "1") || !wait_dev(0, 5);
}

static int sysfs_rescan(void)
{
	return write_file("/sys/bus/pci/rescan", "1") || !wait_dev(1, 10);
}

static int hot_unplug(void)
{
	if (!t_hw("\"check\":\"device_del\",\"id\":\"nvme0\""))
		return -1;
	/* pciehp powers the slot off 5 s after the attention button. */
	if (!wait_dev(0, 30))
		return -1;
	return t_hw("\"check\":\"device_deleted\",\"id\":\"nvme0\"") ? 0 : -1;
}

static int hot_plug(void)
{
	if (!t_hw("\"check\":\"device_add\",\"id\":\"nvme0\""))
		return -1;
	return wait_dev(1, 30) ? 0 : -1;
}

struct mapper {
	int fd;
	uint32_t dom;
	void *buf;
	int maps, errs;
};

static void *mapper(void *arg)
{
	struct mapper *m = arg;
	int i;

	for (i = 0; i < 24; i++) {
		int ret = t_map(m->fd, m->dom, m->buf, 16 << 20, (uint64_t)(i + 1) << 26,
				PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE);

		if (!ret)
			m->maps++;
		else
			m->errs++;
	}
	return NULL;
}

/* The driver goes away while PASIDs are attached and MAPs are running. */
static void unbind_during_map_case(void *small)
{
	struct mapper m = { .buf = aligned_alloc(4096, 16 << 20) };
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	uint32_t dev, dom[2];
	pthread_t th;

	setrlimit(RLIMIT_MEMLOCK, &rl);	/* 24 x 16 MiB pinned at once */
	m.fd = t_open();
	populate(m.fd, &dev, dom, small);
	m.dom = dom[0];
	memset(m.buf, 0x3c, 16 << 20);
	pthread_create(&th, NULL, mapper, &m);
	usleep(1000 * (50 + rand() % 300));
	if (unbind_driver() == 0) {
		t_result(1, "driver unbound while MAPs run");
		t_fault();
	} else {
		t_result(0, "driver unbound while MAPs run");
	}
	pthread_join(th, NULL);
	t_result(m.maps + m.errs == 24 && !m.errs, "all %d 16 MiB MAPs went through (%d refused)",
		 m.maps, m.errs);
	t_result(bind_driver() == 0 && wait_dev(1, 10), "driver bound again");
	close(m.fd);
	free(m.buf);
	expect_hw_clean("driver unbind during MAPs, then close");
}

static void rmmod_case(void)
{
	int fd = t_open(), ko, ret, err;

	ret = syscall(SYS_delete_module, "pasid_shim", O_NONBLOCK);
	err = errno;
	t_result(ret && (err == EWOULDBLOCK || err == EBUSY),
		 "rmmod while a file is open is refused (%s)", ret ? strerror(err) : "it was not");
	if (ret)
		t_fault();
	close(fd);
	ret = syscall(SYS_delete_module, "pasid_shim", O_NONBLOCK);
	err = errno;
	t_result(ret == 0, "rmmod after close succeeds (%s)", ret ? strerror(err) : "ok");
	t_result(access("/dev/pasid-shim", F_OK) != 0, "the device node went with the module");
	ko = open("/lib/modules/pasid_shim.ko", O_RDONLY);
	ret = ko < 0 ? -1 : syscall(SYS_finit_module, ko, "", 0);
	err = errno;
	t_result(ret == 0, "the module loads again (%s)", ret ? strerror(err) : "ok");
	close(ko);
	close(t_open());
}

int main(int argc, char **argv)
{
	void *buf;

	t_init();
	srand(time(NULL));
	buf = t_pattern_buf(0x10000, 't');
	close_case(buf);
	sigkill_case(buf, argc > 1 ? atoi(argv[1]) : 100);
	gone_case("driver unbound", unbind_driver, bind_driver, buf);
	gone_case("device removed through sysfs", sysfs_remove, sysfs_rescan, buf);
	gone_case("device hot-unplugged by QEMU device_del", hot_unplug, hot_plug, buf);
	unbind_during_map_case(buf);
	rmmod_case();
	/* faults: SIGKILLs, unbind, sysfs remove, hot-unplug, unbind under MAPs, rmmod */
	t_reliability("teardown");
	return t_done();
}
