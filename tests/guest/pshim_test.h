/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side test helpers: TAP output, the pasid_shim ioctls, and
 * hardware checks. A hardware check prints '@@PSHIM CHECK {json}' and
 * waits for the host, which reads the emulated VT-d over QMP, decides,
 * and counts the result itself; the guest only waits so that nothing
 * changes while the host looks.
 */
#ifndef PSHIM_TEST_H
#define PSHIM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/pasid_shim.h>

#include "libpasidshim.h"
#include "pshim_contract.h"

/*
 * What every process of a test program adds to, forked children too
 * (t_init() puts it in shared memory):
 *  - results: its TAP lines and hardware checks, which t_done() prints
 *    as the program's plan; the host compares it with what it counted,
 *    so a program that stops early, even with status 0, fails;
 *  - calls: the ioctls made, for the reliability summary;
 *  - faults: the faults the program injected and saw happen (a SIGKILL
 *    delivered, a device removed under a binding, a call refused over
 *    a limit ...), counted where they happen, never a constant.
 */
struct t_counts {
	long results, calls, faults;
};

static struct t_counts t_local_counts, *t_sh = &t_local_counts;
static pid_t t_main_pid;
static int t_failed;
static const char *t_dev;	/* PCI name of the PASID-capable endpoint */

static inline void t_count(long *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

static inline void t_call(void)
{
	t_count(&t_sh->calls);
}

static inline void t_fault(void)
{
	t_count(&t_sh->faults);
}

static inline void t_result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	t_count(&t_sh->results);
	if (!ok)
		t_failed = 1;
}

/* A row that cannot be exercised here, and why (counted as skipped). */
static inline void t_skip(const char *why)
{
	printf("ok - # SKIP %s\n", why);
	fflush(stdout);
	t_count(&t_sh->results);
}

/* fork(), or the end of the program: a child that never ran tests nothing. */
static inline pid_t t_fork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	return pid;
}

/* An ioctl's return: 0 or -errno. */
static inline int t_ioctl(int fd, unsigned long cmd, void *arg)
{
	t_call();
	return ioctl(fd, cmd, arg) ? -errno : 0;
}


static inline void t_expect(int got, int want, const char *what)
{
	if (got == want)
		t_result(1, "%s: %s", what, want ? strerror(-want) : "success");
	else
		t_result(0, "%s: got %d (%s), expected %d (%s)", what, got,
			 got ? strerror(-got) : "success", want,
			 want ? strerror(-want) : "success");
}

/*
 * One row of the errno contract (tools/contract.py): the call must answer
 * what the row promises. CT_<COMMAND>_<ROW> (pshim_contract.h, generated)
 * gives the row's errno and name, so the table, not the test, says what
 * is expected, and tools/gen-contract --check knows this test covers it.
 */
static inline void t_row(int got, int want, const char *row, const char *what)
{
	char d[256];

	snprintf(d, sizeof(d), "%s [%s]", what, row);
	t_expect(got, want, d);
}

/* The description the next hardware check's TAP line carries. */
static char t_hw_label[256];

static inline void t_hw_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t_hw_label, sizeof(t_hw_label), fmt, ap);
	va_end(ap);
}

/*
 * Ask the host to check the hardware; returns 1 if it said ok. The host
 * decides, counts and prints the result (with the t_hw_say() label): the
 * guest does not echo it as a second test.
 */
static inline int t_hw(const char *fmt, ...)
{
	char line[256];
	const char *c;
	va_list ap;

	printf("@@PSHIM CHECK {");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (t_hw_label[0]) {
		printf(",\"desc\":\"");
		for (c = t_hw_label; *c; c++)
			printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
		printf("\"");
		t_hw_label[0] = 0;
	}
	printf("}\n");
	fflush(stdout);
	t_count(&t_sh->results);
	if (!fgets(line, sizeof(line), stdin)) {
		printf("# no answer from the host to a hardware check\n");
		exit(2);
	}
	return strncmp(line, "@@PSHIM-RES ok", 14) == 0;
}

/*
 * The PASID must have an entry pointing at the page table of the domain
 * called table (or none, with present 0). The host checks that one name
 * always means one table and that two names of one scope never share a
 * table. Scopes are per process by default; t_hw_scope() starts a new one
 * when the earlier domains are gone and their tables may be reused.
 */
static int t_scope;

static inline void t_hw_scope(void)
{
	t_scope++;
}

static inline int t_hw_pasid_on(const char *dev, unsigned int pasid, int present,
				const char *table)
{
	if (!present)
		return t_hw("\"check\":\"pasid\",\"dev\":\"%s\",\"pasid\":%u,\"present\":false",
			    dev, pasid);
	return t_hw("\"check\":\"pasid\",\"dev\":\"%s\",\"pasid\":%u,\"present\":true,\"table\":\"%s\",\"scope\":\"%d.%d\"",
		    dev, pasid, table, (int)getpid(), t_scope);
}

static inline int t_hw_pasid(unsigned int pasid, int present, const char *table)
{
	return t_hw_pasid_on(t_dev, pasid, present, table);
}

/* The whole PASID table of dev holds no entry (PASID 0, the RID's, aside). */
static inline int t_hw_empty(const char *dev)
{
	return t_hw("\"check\":\"pasid_set\",\"dev\":\"%s\",\"pasids\":[]", dev);
}

/*
 * Before a device goes away: the host remembers where its PASID
 * directory is (as name), and checks that the table holds exactly the
 * PASIDs of the JSON list (t_hw_mark) or lo..hi (t_hw_mark_range): they
 * are in the hardware now. After: t_hw_cleared(name) reads that very
 * memory (intel-iommu frees it with the device without clearing it) for
 * an entry left, one nobody detached before the device went.
 */
static inline int t_hw_mark(const char *dev, const char *name, const char *list)
{
	return t_hw("\"check\":\"pasid_mark\",\"dev\":\"%s\",\"as\":\"%s\",\"pasids\":%s",
		    dev, name, list);
}

static inline int t_hw_mark_range(const char *dev, const char *name, unsigned int lo,
				  unsigned int hi)
{
	return t_hw("\"check\":\"pasid_mark\",\"dev\":\"%s\",\"as\":\"%s\",\"range\":[%u,%u]",
		    dev, name, lo, hi);
}

static inline int t_hw_cleared(const char *name)
{
	return t_hw("\"check\":\"pasid_cleared\",\"as\":\"%s\"", name);
}

/*
 * (pasid, iova) must translate to memory holding want[0..len), or, with
 * want NULL, not translate at all.
 */
static inline int t_hw_translate(unsigned int pasid, uint64_t iova,
			  const unsigned char *want, size_t len)
{
	char hex[2 * 64 + 1];
	size_t i;

	if (!want)
		return t_hw("\"check\":\"translate\",\"dev\":\"%s\",\"pasid\":%u,\"iova\":%llu",
			    t_dev, pasid, (unsigned long long)iova);
	if (len > 64)
		len = 64;
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", want[i]);
	hex[2 * len] = 0;
	return t_hw("\"check\":\"translate\",\"dev\":\"%s\",\"pasid\":%u,\"iova\":%llu,\"pattern\":\"%s\"",
		    t_dev, pasid, (unsigned long long)iova, hex);
}

static inline int t_map(int fd, uint32_t dom, void *va, uint64_t len, uint64_t iova,
			uint32_t flags)
{
	t_call();
	return pshim_map(fd, dom, va, len, iova, flags);
}

static inline int t_unmap(int fd, uint32_t dom, uint64_t iova, uint64_t len,
			  uint64_t *unmapped)
{
	t_call();
	return pshim_unmap(fd, dom, iova, len, unmapped);
}

/* A page-aligned buffer filled with a recognisable pattern. */
static inline void *t_pattern_buf(size_t len, unsigned char seed)
{
	unsigned char *p = aligned_alloc(4096, len);
	size_t i;

	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 12));
	return p;
}

/* One figure of /sys/kernel/debug/pasid_shim/stats, -1 if missing. */
static inline long t_stat(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/pasid_shim/stats", "r");
	char key[64];
	long val, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		if (!strcmp(key, name))
			ret = val;
	fclose(f);
	return ret;
}

/* Every live object of the shim is gone. */
static inline void t_expect_no_leak(const char *after)
{
	long d = t_stat("devices"), m = t_stat("domains");
	long a = t_stat("attachments"), p = t_stat("pinned_pages");
	long g = t_stat("pasids");

	t_result(!d && !m && !a && !p && !g,
		 "after %s: stats devices %ld domains %ld attachments %ld pinned_pages %ld pasids %ld",
		 after, d, m, a, p, g);
}

/*
 * A line for make check's reliability summary of one family of tests:
 * the calls and faults of every process of the program, the leaks left.
 */
static inline void t_reliability(const char *family)
{
	long leaks = 0;
	const char *k[] = { "devices", "domains", "attachments", "pinned_pages", "pasids" };
	unsigned int i;

	for (i = 0; i < 5; i++)
		leaks += t_stat(k[i]) > 0 ? t_stat(k[i]) : 0;
	printf("# reliability: %s calls=%ld faults=%ld leaks=%ld\n", family,
	       __atomic_load_n(&t_sh->calls, __ATOMIC_RELAXED),
	       __atomic_load_n(&t_sh->faults, __ATOMIC_RELAXED), leaks);
}

static inline int t_open(void)
{
	int fd = open("/dev/pasid-shim", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("Bail out! open /dev/pasid-shim: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* The common calls go through libpasidshim, as users' code does. */
static inline int t_bind(int fd, const char *name, uint32_t *dev_id, uint32_t *max)
{
	uint32_t m;

	t_call();
	return pshim_bind(fd, name, dev_id, max ? max : &m);
}

static inline int t_domain_alloc(int fd, uint32_t dev_id, uint32_t *dom)
{
	t_call();
	return pshim_domain_alloc(fd, dev_id, dom);
}

static inline int t_attach_cmd(int fd, unsigned long cmd, uint32_t dev_id,
			       uint32_t pasid, uint32_t dom, uint32_t *old)
{
	t_call();
	if (cmd == PASID_SHIM_REPLACE)
		return pshim_replace(fd, dev_id, pasid, dom, old);
	return pshim_attach(fd, dev_id, pasid, dom);
}

static inline int t_attach(int fd, uint32_t dev_id, uint32_t pasid, uint32_t dom)
{
	return t_attach_cmd(fd, PASID_SHIM_ATTACH, dev_id, pasid, dom, NULL);
}

static inline int t_detach(int fd, uint32_t dev_id, uint32_t pasid)
{
	t_call();
	return pshim_detach(fd, dev_id, pasid);
}

static inline int t_destroy(int fd, uint32_t id)
{
	t_call();
	return pshim_destroy(fd, id);
}

/* Drop one capability (below 32) from this process for good; 0 if done. */
static inline int t_drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << cap);
	d[0].permitted &= ~(1u << cap);
	d[0].inheritable &= ~(1u << cap);
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/*
 * A positive control on dev (bound shared, so with its driver): a PASID
 * attached there is in the hardware, so the device's name, its context
 * entry and the host's walk are right, and it is gone after DESTROY,
 * before a test claims "nothing left" on that device.
 */
static inline void t_control(const char *dev, const char *what)
{
	uint32_t id, max, dom;
	int fd = t_open();

	t_expect(t_bind(fd, dev, &id, &max), 0, what);
	t_expect(t_domain_alloc(fd, id, &dom), 0, "DOMAIN_ALLOC");
	t_expect(t_attach(fd, id, 1, dom), 0, "ATTACH pasid 1");
	t_hw_say("%s: pasid 1 of %s is in the hardware", what, dev);
	t_hw_pasid_on(dev, 1, 1, "control");
	t_expect(t_destroy(fd, id), 0, "DESTROY");
	t_hw_say("%s: and gone after DESTROY", what);
	t_hw_pasid_on(dev, 1, 0, NULL);
	t_hw_scope();
	close(fd);
}

static inline void t_init(void)
{
	struct t_counts *sh;

	t_dev = getenv("PSHIM_DEV");
	if (!t_dev) {
		printf("Bail out! PSHIM_DEV not set (run under scripts/vm-run)\n");
		exit(1);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		exit(1);
	}
	*sh = *t_sh;
	t_sh = sh;
	t_main_pid = getpid();
}

/*
 * The end of the program's main(): its TAP plan, every result of every
 * process of it (printed by the main process only), and its status.
 */
static inline int t_done(void)
{
	if (getpid() == t_main_pid) {
		printf("1..%ld\n", __atomic_load_n(&t_sh->results, __ATOMIC_RELAXED));
		fflush(stdout);
	}
	return t_failed ? 1 : 0;
}

#endif /* PSHIM_TEST_H */
