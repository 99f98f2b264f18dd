// SPDX-License-Identifier: GPL-2.0
/*
 * MAP/UNMAP with several domains and PASIDs at once, checked by walking
 * the emulated IOMMU's page tables from the host: each (pasid, iova)
 * must land on its own domain's pattern, follow a REPLACE, and stop
 * translating after UNMAP or DETACH. Also RLIMIT_MEMLOCK and pinned_vm.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include "pshim_test.h"

#define SZ (64 * 1024)

static long vm_pin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmPin:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

int main(void)
{
	uint32_t dev = 0, max = 0, dom[3] = { 0 }, pasids[4] = { 7, 300, 4096, 0 };
	uint32_t ofdom[4] = { 0, 1, 1, 2 };
	const char *keys[3] = { "M0", "M1", "M2" };
	unsigned char *buf[3];
	uint64_t iova[3] = { 0x200000, 0x40000000, 0x7f0000000ULL }, done = 0;
	uint64_t unmapped = 0;
	struct rlimit rl;
	unsigned int i;
	int fd;

	t_init();
	fd = t_open();
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND");
	pasids[3] = max - 1;
	for (i = 0; i < 3; i++) {
		t_expect(t_domain_alloc(fd, dev, &dom[i]), 0, "DOMAIN_ALLOC");
		buf[i] = t_pattern_buf(SZ, 'a' + i);
	}
	/* Each domain maps its own buffer at every IOVA. */
	for (i = 0; i < 3; i++) {
		unsigned int j;

		for (j = 0; j < 3; j++)
			t_expect(t_map(fd, dom[i], buf[i], SZ, iova[j],
				       PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE),
				 0, "MAP 64 KiB");
	}
	t_result(t_stat("pinned_pages") == 9 * SZ / 4096, "pinned_pages %ld (expected %d)",
		 t_stat("pinned_pages"), 9 * SZ / 4096);
	t_result(vm_pin() == 9 * SZ / 1024, "VmPin %ld kB (expected %d)", vm_pin(), 9 * SZ / 1024);
	for (i = 0; i < 4; i++) {
		t_expect(t_attach(fd, dev, pasids[i], dom[ofdom[i]]), 0, "ATTACH");
		t_hw_pasid(pasids[i], 1, keys[ofdom[i]]);
	}
	for (i = 0; i < 4; i++) {
		unsigned int j;

		for (j = 0; j < 3; j++)
			t_hw_translate(pasids[i], iova[j] + 0x3000 * (j + 1),
				       buf[ofdom[i]] + 0x3000 * (j + 1), 32);
	}
	/* A read-only mapping is read-only in the tables. */
	t_expect(t_map(fd, dom[0], buf[1], 4096, 0x10000000, PASID_SHIM_MAP_READ), 0,
		 "MAP read-only");
	t_hw_say("the read-only mapping is read-only in the tables");
	t_hw("\"check\":\"translate\",\"dev\":\"%s\",\"pasid\":%u,\"iova\":%u,\"writable\":false,\"pattern\":\"%02x%02x\"",
	     t_dev, pasids[0], 0x10000000, buf[1][0], buf[1][1]);

	/* REPLACE moves pasid 7 from M0 to M2: it now sees M2's pattern. */
	t_expect(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, pasids[0], dom[2], NULL), 0,
		 "REPLACE pasid 7 -> M2");
	t_hw_translate(pasids[0], iova[1] + 0x100, buf[2] + 0x100, 32);

	/* UNMAP one IOVA range of M1: pasids 300 and 4096 lose it only. */
	t_expect(t_unmap(fd, dom[1], iova[1], SZ, &unmapped), 0, "UNMAP 64 KiB of M1");
	t_result(unmapped == SZ, "out_unmapped %llu", (unsigned long long)unmapped);
	t_hw_translate(pasids[1], iova[1], NULL, 0);
	t_hw_translate(pasids[2], iova[1] + SZ - 4096, NULL, 0);
	t_hw_translate(pasids[2], iova[0], buf[1], 32);
	/* A range covering two whole mappings and empty space between. */
	t_expect(t_unmap(fd, dom[1], 0, 0x800000000ULL, &unmapped), 0, "UNMAP a wide range of M1");
	t_result(unmapped == 2 * SZ, "out_unmapped %llu (two mappings)", (unsigned long long)unmapped);
	t_hw_translate(pasids[1], iova[2], NULL, 0);

	for (i = 0; i < 4; i++) {
		t_expect(t_detach(fd, dev, pasids[i]), 0, "DETACH");
		t_hw_translate(pasids[i], iova[0], NULL, 0);
	}
	close(fd);
	t_expect_no_leak("close");
	t_result(vm_pin() == 0, "VmPin back to 0 kB (%ld)", vm_pin());

	/* A MAP whose pinning fails halfway (second half PROT_NONE). */
	{
		unsigned char *half = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

		fd = t_open();
		t_bind(fd, t_dev, &dev, &max);
		t_domain_alloc(fd, dev, &dom[0]);
		mprotect(half + 4 * 4096, 4 * 4096, PROT_NONE);
		t_expect(t_map(fd, dom[0], half, 8 * 4096, 0, PASID_SHIM_MAP_READ), -EFAULT,
			 "MAP whose second half cannot be pinned");
		t_result(t_stat("pinned_pages") == 0 && vm_pin() == 0,
			 "the first half was unpinned again (%ld pages, VmPin %ld kB)",
			 t_stat("pinned_pages"), vm_pin());
		t_expect(t_map(fd, dom[0], half, 4 * 4096, 0, PASID_SHIM_MAP_READ), 0,
			 "the same IOVA maps afterwards: the range was released");
		close(fd);
		munmap(half, 8 * 4096);
	}

	/*
	 * RLIMIT_MEMLOCK: 16 pages fit, 17 do not, and nothing stays
	 * pinned. CAP_IPC_LOCK exempts from the limit, as in iommufd, so
	 * this process gives it up first.
	 */
	t_result(!t_drop_cap(CAP_IPC_LOCK), "CAP_IPC_LOCK dropped");
	getrlimit(RLIMIT_MEMLOCK, &rl);
	rl.rlim_cur = 16 * 4096;
	t_result(!setrlimit(RLIMIT_MEMLOCK, &rl), "RLIMIT_MEMLOCK set to 64 KiB");
	fd = t_open();
	t_bind(fd, t_dev, &dev, &max);
	t_domain_alloc(fd, dev, &dom[0]);
	t_row(t_map(fd, dom[0], buf[0], 17 * 4096, 0, PASID_SHIM_MAP_READ), CT_MAP_MEMLOCK,
	      "MAP over RLIMIT_MEMLOCK");
	t_result(t_stat("pinned_pages") == 0 && vm_pin() == 0,
		 "nothing pinned after the refused MAP (%ld pages, VmPin %ld)",
		 t_stat("pinned_pages"), vm_pin());
	t_expect(t_map(fd, dom[0], buf[0], 16 * 4096, 0, PASID_SHIM_MAP_READ), 0,
		 "MAP up to RLIMIT_MEMLOCK");
	t_expect(t_map(fd, dom[0], buf[1], 4096, 0x100000, PASID_SHIM_MAP_READ), -ENOMEM,
		 "one page more");
	t_expect(t_unmap(fd, dom[0], 0, 16 * 4096, &done), 0, "UNMAP uncharges");
	t_expect(t_map(fd, dom[0], buf[1], 16 * 4096, 0x100000, PASID_SHIM_MAP_READ), 0,
		 "MAP the limit again");
	close(fd);
	t_expect_no_leak("close with a mapping");
	fd = t_open();
	t_bind(fd, t_dev, &dev, &max);
	t_domain_alloc(fd, dev, &dom[0]);
	t_expect(t_map(fd, dom[0], buf[2], 16 * 4096, 0, PASID_SHIM_MAP_READ), 0,
		 "close uncharged: the limit fits again");
	close(fd);
	t_expect_no_leak("close");

	/*
	 * Ranges whose IOTLB flush is not naturally aligned: 3 pages at
	 * 0x1000, 4 pages across the 1 GiB line, 1 page at 2^47 - 4 KiB,
	 * unmapped while attached (before 6.10 first-stage flushes of such
	 * ranges WARN; on 6.12 one past the unit's mask size hangs it).
	 */
	{
		static const uint64_t at[] = { 0x1000, (1ULL << 30) - 0x2000, (1ULL << 39) - 0x1000 };
		static const uint64_t len[] = { 0x3000, 0x4000, 0x1000 };
		uint64_t n = 0;
		unsigned int k;

		fd = t_open();
		t_bind(fd, t_dev, &dev, &max);
		t_domain_alloc(fd, dev, &dom[0]);
		t_expect(t_attach(fd, dev, 77, dom[0]), 0, "ATTACH pasid 77");
		for (k = 0; k < 3; k++) {
			t_expect(t_map(fd, dom[0], buf[0], len[k], at[k], PASID_SHIM_MAP_READ), 0,
				 "MAP an unaligned range");
			t_hw_translate(77, at[k], buf[0], 32);
		}
		for (k = 0; k < 3; k++) {
			t_expect(t_unmap(fd, dom[0], at[k], len[k], &n), 0, "UNMAP it while attached");
			t_hw_translate(77, at[k], NULL, 0);
		}
		close(fd);
		t_expect_no_leak("close");
	}
	return t_done();
}
