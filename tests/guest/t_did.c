// SPDX-License-Identifier: GPL-2.0
/*
 * Domain IDs (DIDs): every domain attached somewhere holds one of the
 * VT-d unit's, and QEMU's unit has 65536. Attach fresh domains until
 * ATTACH answers ENOSPC: the shim's guard refuses while a sixteenth of
 * the DIDs are still free, so the kernel never runs out (on 6.2-6.9 a
 * refusal by intel-iommu itself would crash it; on every kernel, giving
 * a device back to its default domain needs a DID and cannot fail).
 * Then REPLACE a PASID with yet another fresh domain: refused, and the
 * old domain must still be attached and translating (the host reads
 * it). Meanwhile the second endpoint is held exclusively; released at
 * the height of it, its default domain must come back without a WARN,
 * and nvme must probe on it again.
 */
#include <sys/resource.h>
#include "pshim_sys.h"

int main(void)
{
	unsigned char *buf = t_pattern_buf(4096, 'd');
	uint32_t dev, max, a, x, old, d, p, n = 0;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int fd, ret = 0;

	const char *dev2;
	uint32_t id2;
	int fd2;

	t_init();
	setrlimit(RLIMIT_NOFILE, &rl);
	dev2 = getenv("PSHIM_DEV2");
	fd2 = t_open();
	t_expect(sys_unbind(dev2), 0, "unbind nvme from the second endpoint");
	t_expect(pshim_bind_flags(fd2, dev2, PASID_SHIM_BIND_EXCLUSIVE, &id2, &max), 0,
		 "BIND it exclusively: its RID is blocked");
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
	t_row(ret, CT_ATTACH_DID, "ATTACH fresh domains until the guard says ENOSPC");
	printf("# %u fresh domains attached before ENOSPC\n", n);
	t_result(n > 60000 && n < 65536 - 4096, "%u domains attached first (65536 DIDs, 4096 kept)", n);
	t_hw_pasid(p, 0, NULL);
	close(fd2);
	t_result(sys_bind(dev2, "nvme") == 0 && sys_wait(dev2, "nvme", 1, 10),
		 "the exclusive binding released at the height of it, nvme probes on the endpoint");

	t_expect(t_domain_alloc(fd, dev, &x), 0, "DOMAIN_ALLOC X");
	t_row(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 1, x, &old), CT_REPLACE_DID,
	      "REPLACE pasid 1 A -> X refused");
	t_hw_pasid(1, 1, "A");
	t_hw_translate(1, 0x100000, buf, 32);
	/* Room for one more: two DIDs back (the release above took one). */
	t_expect(t_detach(fd, dev, 3), 0, "DETACH pasid 3: its domain's DID is free");
	t_expect(t_detach(fd, dev, 4), 0, "DETACH pasid 4: and its");
	t_expect(t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, 1, x, &old), 0,
		 "REPLACE pasid 1 A -> X now works");
	t_hw_pasid(1, 1, "X");
	t_hw_translate(1, 0x100000, NULL, 0);
	close(fd);
	t_expect_no_leak("close with 65000 domains");
	t_hw_say("the whole PASID table is empty again");
	t_hw_empty(t_dev);
	return t_done();
}
