// SPDX-License-Identifier: GPL-2.0
/*
 * A refusal by the IOMMU, for real: every domain attached somewhere
 * holds a domain ID (DID) of the VT-d unit, and QEMU's unit has 65536.
 * Attach fresh domains until ATTACH answers ENOSPC, then REPLACE a PASID
 * with yet another fresh domain: refused, and the old domain must still
 * be attached and translating (the host reads it). On 6.2-6.9, where
 * the kernel cannot survive that refusal, the shim's guard refuses
 * first, leaving a few DIDs to the kernel; elsewhere intel-iommu itself
 * refuses.
 */
#include <sys/resource.h>
#include "pshim_test.h"

int main(void)
{
	unsigned char *buf = t_pattern_buf(4096, 'd');
	uint32_t dev, max, a, x, old, d, p, n = 0;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int fd, ret = 0;

	t_init();
	setrlimit(RLIMIT_NOFILE, &rl);
	fd = t_open();
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND");
	t_expect(t_domain_alloc(fd, dev, &a), 0, "DOMAIN_ALLOC A");
	t_expect(t_map(fd, a, buf, 4096, 0x100000, PASID_SHIM_MAP_READ), 0, "MAP into A");
	/* Two PASIDs on A: its DID stays taken while one of them moves. */
	t_expect(t_attach(fd, dev, 1, a), 0, "ATTACH pasid 1 -> A");
	t_expect(t_attach(fd, dev, 2, a), 0, "ATTACH pasid 2 -> A");
	for (p = 3; p < max; p++) {
		ret = t_domain_alloc(fd, dev, &d);
		if (ret)
			break;
		ret = t_attach(fd, dev, p, d);
		if (ret)
			break;
		n++;
	}
	t_expect(ret, -ENOSPC, "ATTACH fresh domains until the unit has no DID left");
	printf("# %u fresh domains attached before ENOSPC\n", n);
	t_result(n > 60000 && n < 65536, "%u domains attached first (the unit has 65536 DIDs)", n);
	t_hw_pasid(p, 0, NULL);

	t_expect(t_domain_alloc(fd, dev, &x), 0, "DOMAIN_ALLOC X");
	t_expect(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 1, x, &old), -ENOSPC,
		 "REPLACE pasid 1 A -> X refused");
	t_hw_pasid(1, 1, "A");
	t_hw_translate(1, 0x100000, buf, 32);
	t_expect(t_detach(fd, dev, 3), 0, "DETACH pasid 3: its domain's DID is free");
	t_expect(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 1, x, &old), 0,
		 "REPLACE pasid 1 A -> X now works");
	t_hw_pasid(1, 1, "X");
	t_hw_translate(1, 0x100000, NULL, 0);
	close(fd);
	t_expect_no_leak("close with 65000 domains");
	t_result(t_hw("\"check\":\"pasid_set\",\"dev\":\"%s\",\"pasids\":[]", t_dev),
		 "the whole PASID table is empty again");
	return t_done();
}
