// SPDX-License-Identifier: GPL-2.0
/*
 * Privileges: who may open /dev/pasid-shim (CAP_SYS_RAWIO, checked at
 * open only, so an inherited descriptor works in a sandbox), and whose
 * RLIMIT_MEMLOCK pays for pinned pages (the mapping caller's, unless it
 * has CAP_IPC_LOCK, as iommufd).
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sys/klog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "pshim_test.h"

#define LIMIT (64 * 1024)

static void set_memlock(rlim_t bytes)
{
	struct rlimit rl = { bytes, bytes };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		_exit(90);
}

/* Become uid, keeping CAP_SYS_RAWIO if keep_rawio, dropping all else. */
static void become(uid_t uid, int keep_rawio)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	prctl(PR_SET_KEEPCAPS, 1);
	if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		_exit(91);
	if (keep_rawio) {
		d[0].effective = d[0].permitted = 1u << CAP_SYS_RAWIO;
	}
	if (syscall(SYS_capset, &h, d))
		_exit(92);
}

/* Runs fn in a child; returns its exit status (or 100 + signal, -1). */
static int in_child(int (*fn)(int, uint32_t), int fd, uint32_t dom)
{
	int status;
	pid_t pid = t_fork();

	if (!pid)
		_exit(fn(fd, dom));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* A refusal the test provoked, seen: a fault the module handled. */
static int refused(int ret, int want)
{
	if (ret == want)
		t_fault();
	return ret == want;
}

static unsigned char *buf;

static int open_as_nobody(int fd, uint32_t dom)
{
	(void)fd;
	(void)dom;
	become(65534, 0);
	if (open("/dev/pasid-shim", O_RDWR) >= 0)
		return 0;
	if (errno == EACCES || errno == EPERM)
		t_fault();	/* refused (the parent checks which one is due) */
	return errno;
}

/* A descriptor handed to a process with no capability keeps working. */
static int ioctl_as_nobody(int fd, uint32_t dom)
{
	struct pasid_shim_info info = { .size = sizeof(info) };
	uint64_t done = 0;

	set_memlock(LIMIT);
	become(65534, 0);
	if (t_ioctl(fd, PASID_SHIM_GET_INFO, &info))
		return 1;
	if (t_map(fd, dom, buf, 4096, 0x600000, PASID_SHIM_MAP_READ))
		return 2;
	if (t_unmap(fd, dom, 0x600000, 4096, &done) || done != 4096)
		return 3;
	return 0;
}

/* Root without CAP_IPC_LOCK: charged like anyone else. */
static int root_without_ipc_lock(int fd, uint32_t dom)
{
	set_memlock(LIMIT);
	if (t_drop_cap(CAP_IPC_LOCK))
		return 10;
	if (t_map(fd, dom, buf, LIMIT, 0x400000, PASID_SHIM_MAP_READ))
		return 1;
	return refused(t_map(fd, dom, buf, 4096, 0x500000, PASID_SHIM_MAP_READ), -ENOMEM) ? 0 : 2;
}

/* uid 1000, no capability, a 64 KiB limit: fills its limit. */
static int user_fills_limit(int fd, uint32_t dom)
{
	set_memlock(LIMIT);
	become(1000, 0);
	if (t_map(fd, dom, buf, LIMIT, 0, PASID_SHIM_MAP_READ))
		return 1;
	return refused(t_map(fd, dom, buf, 4096, 0x100000, PASID_SHIM_MAP_READ), -ENOMEM) ? 0 : 2;
}

/* Another uid-1000 process: the same user's count is already full. */
static int user_is_full(int fd, uint32_t dom)
{
	set_memlock(LIMIT);
	become(1000, 0);
	return refused(t_map(fd, dom, buf, 4096, 0x200000, PASID_SHIM_MAP_READ), -ENOMEM) ? 0 : 1;
}

static int user_has_room(int fd, uint32_t dom)
{
	set_memlock(LIMIT);
	become(1000, 0);
	return t_map(fd, dom, buf, 4096, 0x300000, PASID_SHIM_MAP_READ);
}

int main(void)
{
	uint32_t dev = 0, max = 0, dom = 0;
	char log[1 << 16];
	int fd, ret, n;

	t_init();
	buf = t_pattern_buf(4 * LIMIT, 'p');
	fd = t_open();
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND as root");
	t_expect(t_domain_alloc(fd, dev, &dom), 0, "DOMAIN_ALLOC as root");

	ret = in_child(open_as_nobody, fd, dom);
	t_result(ret == EACCES, "a non-root user cannot open the 0600 node (%s)", strerror(ret));
	chmod("/dev/pasid-shim", 0666);
	ret = in_child(open_as_nobody, fd, dom);
	t_result(ret == EPERM, "with the node 0666, a user without CAP_SYS_RAWIO gets EPERM from open (%s)",
		 strerror(ret));
	chmod("/dev/pasid-shim", 0600);
	ret = in_child(ioctl_as_nobody, fd, dom);
	t_result(ret == 0, "an fd opened by root works for a user without any capability: GET_INFO, MAP, UNMAP (step %d)",
		 ret);

	/* Pinned pages are charged to the user who maps them. */
	t_result(in_child(user_fills_limit, fd, dom) == 0,
		 "uid 1000 maps up to its 64 KiB RLIMIT_MEMLOCK and no further");
	t_result(in_child(user_is_full, fd, dom) == 0,
		 "another uid 1000 process is refused: the pages stay charged to uid 1000");
	t_result(in_child(root_without_ipc_lock, fd, dom) == 0,
		 "root without CAP_IPC_LOCK maps its own 64 KiB (uid 1000's pages are not root's) and no further");
	t_expect(t_unmap(fd, dom, 0x400000, LIMIT, NULL), 0, "unmap root's 64 KiB");
	set_memlock(LIMIT);
	t_expect(t_map(fd, dom, buf, 4 * LIMIT, 0x800000, PASID_SHIM_MAP_READ), 0,
		 "root with CAP_IPC_LOCK maps 4x its RLIMIT_MEMLOCK (exempt, as iommufd)");
	t_expect(t_unmap(fd, dom, 0x800000, 4 * LIMIT, NULL), 0, "and unmaps it");
	t_expect(t_unmap(fd, dom, 0, LIMIT, NULL), 0, "root unmaps uid 1000's mapping");
	t_result(in_child(user_has_room, fd, dom) == 0,
		 "uid 1000 has room again: the unmap uncharged uid 1000, not root");
	close(fd);
	t_expect_no_leak("close");

	/* Nothing the module logged carries a kernel pointer. */
	n = klogctl(3, log, sizeof(log) - 1);
	log[n > 0 ? n : 0] = 0;
	{
		char *line = strtok(log, "\n");
		int leaks = 0;

		while (line) {
			if ((strstr(line, "pasid_shim") || strstr(line, "pasid-shim")) &&
			    strstr(line, "ffff"))
				leaks++;
			line = strtok(NULL, "\n");
		}
		t_result(n > 0 && !leaks, "no kernel pointer in the module's log lines (%d)", leaks);
	}
	/* faults: the refused opens and MAPs over a limit, as they happened */
	t_reliability("privileges");
	return t_done();
}
