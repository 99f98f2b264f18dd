// SPDX-License-Identifier: GPL-2.0
/*
 * The errno contract, row by row, with the hardware checked where a
 * refused call must have left the tables alone.
 */
#include <limits.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "pshim_test.h"

static uint32_t dev, max, doma, domb;

/* Same ioctl with an arbitrary buffer of a given size. */
static int raw(int fd, unsigned long cmd, void *buf, uint32_t size)
{
	*(uint32_t *)buf = size;
	return t_ioctl(fd, cmd, buf);
}

static void uapi_rows(int fd)
{
	unsigned char big[256];
	struct pasid_shim_info info;
	struct pasid_shim_attach at;
	struct pasid_shim_map mp;
	struct pasid_shim_unmap um;
	struct pasid_shim_detach dt;
	struct pasid_shim_list ls;
	struct pasid_shim_domain_alloc da;
	struct pasid_shim_bind bd;

	t_row(t_ioctl(fd, _IO(PASID_SHIM_TYPE, 0x7f), &info), CT_COMMON_CMD, "command below the range");
	t_expect(t_ioctl(fd, _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_CHECK + 1), &info), -ENOTTY, "command above the range");
	t_expect(t_ioctl(fd, _IO('X', 0x80), &info), -ENOTTY, "another ioctl type");
	t_expect(t_ioctl(fd, _IOWR(PASID_SHIM_TYPE, 0x80, int), &info), -ENOTTY,
		 "GET_INFO number with a size/direction encoded");

	memset(big, 0, sizeof(big));
	t_row(raw(fd, PASID_SHIM_GET_INFO, big, 8), CT_COMMON_SHORT, "GET_INFO size 8 (< minimum)");
	t_expect(raw(fd, PASID_SHIM_GET_INFO, big, 0), -EINVAL, "GET_INFO size 0");
	t_expect(raw(fd, PASID_SHIM_GET_INFO, big, sizeof(big)), 0, "GET_INFO larger, zero tail");
	big[200] = 1;
	t_row(raw(fd, PASID_SHIM_GET_INFO, big, sizeof(big)), CT_COMMON_LONG, "GET_INFO larger, non-zero tail");
	t_row(t_ioctl(fd, PASID_SHIM_GET_INFO, NULL), CT_COMMON_FAULT, "GET_INFO NULL pointer");
	{
		/* Two pages of zeroes: a zero tail, but a size past a page. */
		unsigned char *huge = calloc(2, 4096);

		t_expect(huge ? raw(fd, PASID_SHIM_GET_INFO, huge, 4096) : -ENOMEM, 0,
			 "GET_INFO size 4096, zero tail");
		t_row(huge ? raw(fd, PASID_SHIM_GET_INFO, huge, 4097) : -ENOMEM, CT_COMMON_HUGE,
		      "GET_INFO size 4097, zero tail");
		free(huge);
	}

	memset(&info, 0, sizeof(info));
	info.flags = 1;
	t_row(raw(fd, PASID_SHIM_GET_INFO, &info, sizeof(info)), CT_COMMON_FLAGS, "GET_INFO unknown flag");
	memset(&bd, 0, sizeof(bd));
	bd.flags = 1 << 31;
	bd.name_uptr = (uintptr_t)t_dev;
	t_row(raw(fd, PASID_SHIM_BIND, &bd, sizeof(bd)), CT_BIND_FLAG, "BIND unknown flag");
	memset(&da, 0, sizeof(da));
	da.flags = 2;
	da.dev_id = dev;
	t_expect(raw(fd, PASID_SHIM_DOMAIN_ALLOC, &da, sizeof(da)), -EOPNOTSUPP, "DOMAIN_ALLOC unknown flag");
	memset(&at, 0, sizeof(at));
	at.flags = 4;
	at.dev_id = dev;
	at.domain_id = doma;
	at.pasid = 9;
	t_expect(raw(fd, PASID_SHIM_ATTACH, &at, sizeof(at)), -EOPNOTSUPP, "ATTACH unknown flag");
	t_expect(raw(fd, PASID_SHIM_REPLACE, &at, sizeof(at)), -EOPNOTSUPP, "REPLACE unknown flag");
	memset(&dt, 0, sizeof(dt));
	dt.flags = 8;
	dt.dev_id = dev;
	dt.pasid = 9;
	t_expect(raw(fd, PASID_SHIM_DETACH, &dt, sizeof(dt)), -EOPNOTSUPP, "DETACH unknown flag");
	memset(&ls, 0, sizeof(ls));
	ls.flags = 1;
	ls.dev_id = dev;
	t_expect(raw(fd, PASID_SHIM_LIST, &ls, sizeof(ls)), -EOPNOTSUPP, "LIST unknown flag");
	memset(&mp, 0, sizeof(mp));
	mp.flags = PASID_SHIM_MAP_READ | 4;
	mp.domain_id = doma;
	mp.length = 4096;
	mp.user_va = (uintptr_t)big & ~4095UL;
	t_expect(raw(fd, PASID_SHIM_MAP, &mp, sizeof(mp)), -EOPNOTSUPP, "MAP unknown flag");
	mp.flags = PASID_SHIM_MAP_READ;
	mp.__reserved = 1;
	t_expect(raw(fd, PASID_SHIM_MAP, &mp, sizeof(mp)), -EOPNOTSUPP, "MAP non-zero __reserved");
	memset(&um, 0, sizeof(um));
	um.domain_id = doma;
	um.length = 4096;
	um.__reserved = 1;
	t_expect(raw(fd, PASID_SHIM_UNMAP, &um, sizeof(um)), -EOPNOTSUPP, "UNMAP non-zero __reserved");
	um.__reserved = 0;
	um.flags = 1;
	t_expect(raw(fd, PASID_SHIM_UNMAP, &um, sizeof(um)), -EOPNOTSUPP, "UNMAP unknown flag");

	/* Unknown IDs and IDs of the wrong kind. */
	t_row(t_attach(fd, 999, 9, doma), CT_COMMON_ID, "ATTACH unknown dev_id");
	t_expect(t_attach(fd, dev, 9, 999), -ENOENT, "ATTACH unknown domain_id");
	t_expect(t_attach(fd, doma, 9, doma), -ENOENT, "ATTACH a domain ID as dev_id");
	t_expect(t_attach(fd, dev, 9, dev), -ENOENT, "ATTACH a device ID as domain_id");
	t_expect(t_detach(fd, 0, 9), -ENOENT, "DETACH dev_id 0");
	t_row(t_domain_alloc(fd, doma, &da.out_domain_id), CT_DOMAIN_ALLOC_NODEV, "DOMAIN_ALLOC on a domain ID");
	t_expect(t_map(fd, dev, (void *)((uintptr_t)big & ~4095UL), 4096, 0, PASID_SHIM_MAP_READ),
		 -ENOENT, "MAP into a device ID");
	t_expect(t_unmap(fd, 12345, 0, 4096, NULL), -ENOENT, "UNMAP unknown domain");
	memset(&ls, 0, sizeof(ls));
	ls.dev_id = doma;
	t_expect(raw(fd, PASID_SHIM_LIST, &ls, sizeof(ls)), -ENOENT, "LIST on a domain ID");
	t_row(t_destroy(fd, 777), CT_DESTROY_UNKNOWN, "DESTROY unknown ID");
}

static void bind_rows(int fd)
{
	char path[PATH_MAX], real[PATH_MAX], *slash, port[64], longname[40];
	uint32_t id;
	int fd2;

	t_row(t_bind(fd, "0000:ff:1f.7", &id, NULL), CT_BIND_NODEV, "BIND a PCI name with no device");
	t_expect(t_bind(fd, "ttyS0", &id, NULL), -ENODEV, "BIND a name that is not a PCI device");
	t_expect(t_bind(fd, "", &id, NULL), -ENODEV, "BIND an empty name");
	/* The endpoint's root port: an IOMMU, but no PASID capability. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", t_dev);
	if (realpath(path, real)) {
		*strrchr(real, '/') = 0;
		slash = strrchr(real, '/');
		snprintf(port, sizeof(port), "%s", slash + 1);
		t_row(t_bind(fd, port, &id, NULL), CT_BIND_NOPASIDS, "BIND the root port (no PASIDs)");
	} else {
		t_result(0, "realpath %s: %s", path, strerror(errno));
	}
	t_row(t_bind(fd, t_dev, &id, NULL), CT_BIND_BOUND, "BIND the endpoint twice in one file");
	fd2 = t_open();
	t_expect(t_bind(fd2, t_dev, &id, NULL), -EBUSY, "BIND from a second file");
	close(fd2);
	t_expect(t_bind(fd, NULL, &id, NULL), -EFAULT, "BIND NULL name pointer");
	t_row(t_bind(fd, (const char *)16, &id, NULL), CT_BIND_NAMEFAULT, "BIND bad name pointer");
	memset(longname, 'a', sizeof(longname));
	longname[32] = 0;
	t_row(t_bind(fd, longname, &id, NULL), CT_BIND_NAMELONG, "BIND 32 bytes without a NUL");
	longname[31] = 0;
	t_expect(t_bind(fd, longname, &id, NULL), -ENODEV, "BIND 31 bytes + NUL (no such device)");
}

static void attach_rows(int fd)
{
	uint32_t old = 123;

	t_row(t_attach(fd, dev, 0, doma), CT_ATTACH_RANGE, "ATTACH pasid 0");
	t_expect(t_attach(fd, dev, max, doma), -EINVAL, "ATTACH pasid max");
	t_expect(t_attach(fd, dev, UINT32_MAX, doma), -EINVAL, "ATTACH pasid 2^32-1");
	t_expect(t_attach(fd, dev, 10, doma), 0, "ATTACH pasid 10 -> A");
	t_row(t_attach(fd, dev, 10, doma), CT_ATTACH_SAME, "ATTACH pasid 10 -> A again");
	t_row(t_attach(fd, dev, 10, domb), CT_ATTACH_ATTACHED, "ATTACH pasid 10 -> B");
	t_hw_pasid(10, 1, "A");

	t_row(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 11, domb, NULL), CT_REPLACE_UNATTACHED,
	      "REPLACE a pasid that is not attached");
	t_hw_pasid(11, 0, NULL);
	t_row(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 0, domb, NULL), CT_REPLACE_RANGE, "REPLACE pasid 0");
	t_row(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 10, doma, &old), CT_REPLACE_SAME,
	      "REPLACE with the same domain");
	t_result(old == doma, "same-domain REPLACE reports old domain %u (A is %u)", old, doma);
	t_hw_pasid(10, 1, "A");

	t_row(t_detach(fd, dev, 11), CT_DETACH_UNATTACHED, "DETACH a pasid that is not attached");
	t_row(t_detach(fd, dev, 0), CT_DETACH_RANGE, "DETACH pasid 0");
	t_expect(t_detach(fd, dev, max), -EINVAL, "DETACH pasid max");
	t_row(t_destroy(fd, doma), CT_DESTROY_ATTACHED, "DESTROY an attached domain");
	t_hw_pasid(10, 1, "A");
}

/* The IOMMU's address width as intel-iommu computes it, from its cap register. */
static int vtd_width(void)
{
	unsigned long long cap = 0;
	int agaw, mgaw, width;
	FILE *f = fopen("/sys/class/iommu/dmar0/intel-iommu/cap", "r");

	if (!f || fscanf(f, "%llx", &cap) != 1)
		return -1;
	fclose(f);
	mgaw = ((cap >> 16) & 0x3f) + 1;
	for (agaw = 3; agaw >= 0 && !((cap >> 8) & (1u << agaw)); agaw--)
		;
	width = 30 + 9 * agaw;
	return width < mgaw ? width : mgaw;
}

/*
 * MAP refuses what the IOMMU cannot translate, on every kernel: a
 * domain is never built that the IOMMU would refuse at ATTACH or
 * REPLACE (6.12 used to accept a MAP at 2^56 and refuse the attach;
 * 6.2-6.9 cannot survive such a refusal). A REPLACE the IOMMU really
 * refuses is provoked by t_did.
 */
static void width_rows(int fd)
{
	unsigned char *pa = t_pattern_buf(4096, 'r'), *pc = t_pattern_buf(4096, 's');
	uint32_t domc = 0, old = 0;
	int w = vtd_width();

	t_result(w >= 39 && w <= 57, "the VT-d unit translates %d bits", w);
	if (w < 39)
		return;
	t_expect(t_map(fd, doma, pa, 4096, 0x300000, PASID_SHIM_MAP_READ), 0, "MAP into A");
	t_hw_translate(10, 0x300000, pa, 32);
	t_expect(t_domain_alloc(fd, dev, &domc), 0, "DOMAIN_ALLOC C");
	t_expect(t_map(fd, domc, pc, 4096, 1ULL << w, PASID_SHIM_MAP_READ), -ERANGE,
		 "MAP into C at 2^width: beyond the IOMMU");
	t_expect(t_map(fd, domc, pc, 4096, 1ULL << 56, PASID_SHIM_MAP_READ), -ERANGE,
		 "MAP into C at 2^56");
	t_expect(t_map(fd, domc, pc, 4096, 0x300000, PASID_SHIM_MAP_READ), 0, "MAP into C");
	t_expect(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 10, domc, &old), 0,
		 "REPLACE A -> C: nothing in C the IOMMU would refuse");
	t_hw_pasid(10, 1, "C");
	t_hw_translate(10, 0x300000, pc, 32);
	t_expect(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 10, doma, &old), 0, "REPLACE C -> A");
	t_hw_pasid(10, 1, "A");
	t_hw_translate(10, 0x300000, pa, 32);
	t_expect(t_destroy(fd, domc), 0, "DESTROY C");
}

static void map_rows(int fd)
{
	unsigned char *p = t_pattern_buf(8 * 4096, 'm');
	void *hole;
	uint64_t n = 0;

	t_row(t_map(fd, domb, p, 4096, 0, 0), CT_MAP_NOACCESS, "MAP neither READ nor WRITE");
	t_row(t_map(fd, domb, p + 1, 4096, 0, PASID_SHIM_MAP_READ), CT_MAP_ALIGN, "MAP unaligned user_va");
	t_expect(t_map(fd, domb, p, 4096, 0x800, PASID_SHIM_MAP_READ), -EINVAL, "MAP unaligned iova");
	t_expect(t_map(fd, domb, p, 100, 0, PASID_SHIM_MAP_READ), -EINVAL, "MAP unaligned length");
	t_expect(t_map(fd, domb, p, 0, 0, PASID_SHIM_MAP_READ), -EINVAL, "MAP length 0");
	t_row(t_map(fd, domb, p, 0x2000, 0xfffffffffffff000ULL, PASID_SHIM_MAP_READ), CT_MAP_WRAP,
	      "MAP iova + length wraps");
	t_row(t_map(fd, domb, p, 4096, 1ULL << 62, PASID_SHIM_MAP_READ), CT_MAP_RANGE,
	      "MAP outside the aperture");
	hole = mmap(NULL, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_row(t_map(fd, domb, hole, 4 * 4096, 0, PASID_SHIM_MAP_READ), CT_MAP_NOPIN,
	      "MAP PROT_NONE memory");
	munmap(hole, 4 * 4096);
	t_expect(t_map(fd, domb, hole, 4 * 4096, 0, PASID_SHIM_MAP_READ), -EFAULT,
		 "MAP unmapped memory");
	t_result(t_stat("pinned_pages") == 1, "refused MAPs left nothing pinned (%ld pages; 1 from A)",
		 t_stat("pinned_pages"));
	t_expect(t_map(fd, domb, p, 4 * 4096, 0x10000, PASID_SHIM_MAP_READ), 0, "MAP 4 pages at 0x10000");
	t_row(t_map(fd, domb, p, 4096, 0x13000, PASID_SHIM_MAP_READ), CT_MAP_OVERLAP, "MAP over its last page");
	t_expect(t_map(fd, domb, p, 2 * 4096, 0xf000, PASID_SHIM_MAP_READ), -EEXIST, "MAP over its first page");
	t_expect(t_map(fd, domb, p, 4096, 0x14000, PASID_SHIM_MAP_READ), 0, "MAP right after it");
	t_row(t_unmap(fd, domb, 0x11000, 0x4000, &n), CT_UNMAP_STRADDLE, "UNMAP straddling a mapping's start");
	t_expect(t_unmap(fd, domb, 0x10000, 0x2000, &n), -EINVAL, "UNMAP half a mapping");
	t_expect(t_attach(fd, dev, 20, domb), 0, "ATTACH B to check nothing was removed");
	t_hw_translate(20, 0x12000, p + 0x2000, 32);
	t_hw_translate(20, 0x14000, p, 32);
	t_row(t_unmap(fd, domb, 0x20000, 0x1000, &n), CT_UNMAP_EMPTY, "UNMAP an empty range");
	t_row(t_unmap(fd, domb, 0x10000, 0, &n), CT_UNMAP_ZERO, "UNMAP length 0");
	t_row(t_unmap(fd, domb, 0xfffffffffffff000ULL, 0x2000, &n), CT_UNMAP_WRAP, "UNMAP wrapping range");
	t_expect(t_unmap(fd, domb, 0x10000, 0x5000, &n), 0, "UNMAP both mappings");
	t_result(n == 0x5000, "out_unmapped 0x%llx", (unsigned long long)n);
	t_hw_translate(20, 0x12000, NULL, 0);
	t_expect(t_detach(fd, dev, 20), 0, "DETACH B");
}

static void list_rows(int fd)
{
	struct pasid_shim_entry e[8];
	struct pasid_shim_list ls = { .size = sizeof(ls), .dev_id = dev };
	uint32_t want[] = { 3, 10, 77, 65536 };
	char dbg[4096], path[128];
	unsigned int i;
	FILE *f;
	size_t n;

	t_expect(t_attach(fd, dev, 77, domb), 0, "ATTACH 77 -> B");
	t_expect(t_attach(fd, dev, 65536, domb), 0, "ATTACH 65536 -> B");
	t_expect(t_attach(fd, dev, 3, doma), 0, "ATTACH 3 -> A");
	t_expect(t_ioctl(fd, PASID_SHIM_LIST, &ls), 0, "LIST capacity 0");
	t_result(ls.num_entries == 4, "LIST counts 4 attached (%u)", ls.num_entries);
	ls.num_entries = 8;
	ls.entries_uptr = (uintptr_t)e;
	memset(e, 0xff, sizeof(e));
	t_expect(t_ioctl(fd, PASID_SHIM_LIST, &ls), 0, "LIST capacity 8");
	for (i = 0; i < 4; i++)
		t_result(e[i].pasid == want[i] &&
			 e[i].domain_id == (want[i] == 3 || want[i] == 10 ? doma : domb),
			 "LIST entry %u: pasid %u domain %u", i, e[i].pasid, e[i].domain_id);
	t_result(e[4].pasid == UINT32_MAX, "LIST wrote nothing past the attached count");
	ls.num_entries = 2;
	memset(e, 0xff, sizeof(e));
	t_expect(t_ioctl(fd, PASID_SHIM_LIST, &ls), 0, "LIST capacity 2");
	t_result(ls.num_entries == 4 && e[1].pasid == 10 && e[2].pasid == UINT32_MAX,
		 "LIST capacity 2: two entries written, count 4");
	ls.entries_uptr = 8;
	ls.num_entries = 8;
	t_row(t_ioctl(fd, PASID_SHIM_LIST, &ls), CT_LIST_ENTRIES, "LIST bad entries pointer");

	snprintf(path, sizeof(path), "/sys/kernel/debug/pasid_shim/devices");
	f = fopen(path, "r");
	n = f ? fread(dbg, 1, sizeof(dbg) - 1, f) : 0;
	dbg[n] = 0;
	if (f)
		fclose(f);
	for (i = 0; i < 4; i++) {
		char line[64];

		snprintf(line, sizeof(line), "pasid %u domain %u\n", want[i],
			 want[i] == 3 || want[i] == 10 ? doma : domb);
		t_result(strstr(dbg, line) != NULL, "debugfs %s lists %.*s", path,
			 (int)strlen(line) - 1, line);
	}
	{
		char line[64];

		snprintf(line, sizeof(line), "device %s shared live\n", t_dev);
		t_result(strstr(dbg, line) != NULL, "debugfs %s lists %s, shared, live", path, t_dev);
	}
	t_result(strstr(dbg, "0xffff") == NULL, "debugfs shows no kernel pointer");
	t_result(t_stat("attachments") == 4 && t_stat("devices") == 1 && t_stat("domains") == 2,
		 "stats: 1 device, 2 domains, 4 attachments");
}

/*
 * open(2) of the node in a child that gave something up: as root without
 * CAP_SYS_RAWIO (as_nobody 0) or as nobody (1). The child exits with
 * open's errno (0: it opened), 250 if fd, opened before, stopped working.
 */
static int child_open(int fd, int as_nobody)
{
	pid_t pid = t_fork();
	int status = -1;

	if (pid == 0) {
		struct pasid_shim_info info = { .size = sizeof(info) };
		int fd2, err;

		if (as_nobody ? setgid(65534) || setuid(65534) : t_drop_cap(CAP_SYS_RAWIO))
			_exit(251);
		fd2 = open("/dev/pasid-shim", O_RDWR);
		err = fd2 < 0 ? errno : 0;
		if (t_ioctl(fd, PASID_SHIM_GET_INFO, &info) != 0)
			_exit(250);
		_exit(err);
	}
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 252;
}

/* EPERM without CAP_SYS_RAWIO, EACCES by the mode; an open fd keeps working. */
static void perm_rows(int fd)
{
	int err;

	err = child_open(fd, 0);
	t_row(err < 250 ? -err : err, CT_OPEN_NOCAP, "root without CAP_SYS_RAWIO opens the node");
	t_result(err != 250, "without CAP_SYS_RAWIO, the fd opened before works (child status %d)",
		 err);
	err = child_open(fd, 1);
	t_row(err < 250 ? -err : err, CT_OPEN_MODE, "nobody opens the 0600 node");
	t_result(err != 250, "as nobody, the fd opened before works (child status %d)", err);
	t_row(open("/dev/pasid-shim-nonode", O_RDWR) < 0 ? -errno : 0, CT_OPEN_NONODE,
	      "open a node that is not there");
}

static int set_param(const char *name, unsigned int val, unsigned int *old)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/pasid_shim/parameters/%s", name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%u", old) != 1)
		return -1;
	fclose(f);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%u\n", val);
	ret = fclose(f);
	return ret ? -1 : 0;
}

static int palloc(int fd, uint32_t *pasid)
{
	t_call();
	return pshim_pasid_alloc(fd, dev, pasid);
}

static int pfree(int fd, uint32_t pasid)
{
	t_call();
	return pshim_pasid_free(fd, pasid);
}

/* The per-file limits (EDQUOT), and PASID_FREE's refusals. */
static void quota_rows(int fd)
{
	struct pasid_shim_info info = { .size = sizeof(info) };
	unsigned int old, dummy;
	uint32_t d, p = 0, q;

	t_expect(set_param("max_domains_per_file", 2, &old), 0,
		 "max_domains_per_file set to 2 (this file holds 2)");
	t_row(t_domain_alloc(fd, dev, &d), CT_DOMAIN_ALLOC_QUOTA, "DOMAIN_ALLOC a third domain");
	t_expect(set_param("max_domains_per_file", old, &dummy), 0, "max_domains_per_file back");

	t_ioctl(fd, PASID_SHIM_GET_INFO, &info);
	if (!(info.out_features & PASID_SHIM_FEAT_PASID_ALLOC)) {
		t_skip("PASID_ALLOC rows: no global PASID allocator in this kernel");
		return;
	}
	t_expect(set_param("max_pasids_per_file", 1, &old), 0, "max_pasids_per_file set to 1");
	t_expect(palloc(fd, &p), 0, "PASID_ALLOC one");
	t_row(palloc(fd, &q), CT_PASID_ALLOC_QUOTA, "PASID_ALLOC a second");
	t_expect(set_param("max_pasids_per_file", old, &dummy), 0, "max_pasids_per_file back");
	t_row(pfree(fd, p + 1), CT_PASID_FREE_NOTMINE, "PASID_FREE one it did not allocate");
	t_expect(t_attach(fd, dev, p, doma), 0, "ATTACH the allocated PASID");
	t_row(pfree(fd, p), CT_PASID_FREE_ATTACHED, "PASID_FREE it while attached");
	t_expect(t_detach(fd, dev, p), 0, "DETACH it");
	t_expect(pfree(fd, p), 0, "PASID_FREE it");
	t_result(t_stat("pasids") == 0, "no PASID held (stats pasids %ld)", t_stat("pasids"));
}

int main(void)
{
	struct stat st;
	int fd;

	t_init();
	t_result(!stat("/dev/pasid-shim", &st) && (st.st_mode & 0777) == 0600 && st.st_uid == 0,
		 "/dev/pasid-shim is 0600 root (mode %o)", st.st_mode & 0777);
	fd = t_open();
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND");
	t_expect(t_domain_alloc(fd, dev, &doma), 0, "DOMAIN_ALLOC A");
	t_expect(t_domain_alloc(fd, dev, &domb), 0, "DOMAIN_ALLOC B");
	uapi_rows(fd);
	quota_rows(fd);
	bind_rows(fd);
	attach_rows(fd);
	width_rows(fd);
	map_rows(fd);
	list_rows(fd);
	perm_rows(fd);

	/* DESTROY of the device detaches every PASID, then unbinds. */
	t_row(t_destroy(fd, dev), CT_DESTROY_DEVICE, "DESTROY the device with 4 PASIDs attached");
	t_hw_pasid(3, 0, NULL);
	t_hw_pasid(10, 0, NULL);
	t_hw_pasid(65536, 0, NULL);
	t_result(t_stat("attachments") == 0 && t_stat("devices") == 0, "stats: no device, no attachment");
	t_expect(t_attach(fd, dev, 3, doma), -ENOENT, "the destroyed device's ID is gone");
	t_row(t_destroy(fd, doma), CT_DESTROY_DOMAIN, "DESTROY A, free now");
	t_expect(t_destroy(fd, domb), 0, "DESTROY B");
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND again after DESTROY");
	t_result(dev > domb, "IDs are not reused (new device ID %u)", dev);
	close(fd);
	t_expect_no_leak("close");
	return t_done();
}
