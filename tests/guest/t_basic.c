// SPDX-License-Identifier: GPL-2.0
/*
 * The first end-to-end slice: bind the endpoint, allocate two domains,
 * attach PASIDs across the whole 20-bit range to them, and check each
 * PASID table entry appear in the emulated hardware, pointing at the
 * right domain's page table, then disappear after detach.
 */
#include "pshim_test.h"

/* Walk the endpoint's extended capabilities for PASID Control bit 0. */
static int pasid_enabled(void)
{
	unsigned char cfg[4096];
	unsigned int pos = 0x100, ttl = 480;
	char path[128];
	int fd, ok = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", t_dev);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, cfg, sizeof(cfg), 0) != sizeof(cfg)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	while (pos >= 0x100 && pos < 4096 - 8 && ttl--) {
		uint32_t hdr = cfg[pos] | cfg[pos + 1] << 8 | cfg[pos + 2] << 16 |
			       (uint32_t)cfg[pos + 3] << 24;

		if ((hdr & 0xffff) == 0x1b) {
			ok = cfg[pos + 6] & 1;
			break;
		}
		pos = hdr >> 20;
	}
	return ok;
}

int main(void)
{
	uint32_t dev, max = 0, doms[2], pasids[7];
	const char *keys[2] = { "A", "B" };
	struct pasid_shim_info info = { .size = sizeof(info) };
	unsigned int i, n = 0;
	const char *expect;
	int fd;

	t_init();
	fd = t_open();
	t_expect(t_ioctl(fd, PASID_SHIM_GET_INFO, &info), 0, "GET_INFO");
	t_result(info.out_abi_version == PASID_SHIM_ABI_VERSION,
		 "abi version %u", info.out_abi_version);
	expect = getenv("PSHIM_EXPECT_ATOMIC_REPLACE");
	if (expect)
		t_result(!!(info.out_features & PASID_SHIM_FEAT_ATOMIC_REPLACE) == (*expect == '1'),
			 "GET_INFO features 0x%x: atomic replace %s, as the probes found",
			 info.out_features, *expect == '1' ? "on" : "off");
	else
		t_skip("GET_INFO's atomic-replace feature: PSHIM_EXPECT_ATOMIC_REPLACE not set (make check sets it from the probes)");
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND the endpoint");
	t_result(pasid_enabled(), "the kernel set PASID Enable in the endpoint's PASID Control");
	t_result(max == 1u << 20, "max PASID reported %u (expected 2^20)", max);
	if (max < 2)
		return 1;
	for (i = 0; i < 2; i++)
		t_expect(t_domain_alloc(fd, dev, &doms[i]), 0, "DOMAIN_ALLOC");
	t_result(doms[0] != doms[1] && doms[0] && doms[1],
		 "domain IDs distinct and non-zero (%u, %u)", doms[0], doms[1]);

	/* Nothing attached yet: no entry for these PASIDs in hardware. */
	t_hw_pasid(1, 0, NULL);

	pasids[n++] = 1;
	pasids[n++] = 2;
	pasids[n++] = 255;
	pasids[n++] = 256;
	pasids[n++] = 1024;
	pasids[n++] = max - 1;
	for (i = 0; i < n; i++) {
		char what[64];

		snprintf(what, sizeof(what), "ATTACH pasid %u to domain %s",
			 pasids[i], keys[i % 2]);
		t_expect(t_attach(fd, dev, pasids[i], doms[i % 2]), 0, what);
		t_hw_pasid(pasids[i], 1, keys[i % 2]);
	}
	/*
	 * Refused: PASID 0 (the RID's entry stays the DMA domain's) and max
	 * (nothing new anywhere in the table).
	 */
	t_hw_pasid(0, 1, "RID");
	t_expect(t_attach(fd, dev, 0, doms[0]), -EINVAL, "ATTACH pasid 0");
	t_expect(t_attach(fd, dev, max, doms[0]), -EINVAL, "ATTACH pasid max");
	t_hw_say("after the refused ATTACHes of pasid 0 and max: the RID's entry is unchanged");
	t_hw_pasid(0, 1, "RID");
	t_hw_say("after the refused ATTACHes: the table holds the %u attached PASIDs, no other", n);
	t_hw("\"check\":\"pasid_set\",\"dev\":\"%s\",\"pasids\":[%u,%u,%u,%u,%u,%u]", t_dev,
	     pasids[0], pasids[1], pasids[2], pasids[3], pasids[4], pasids[5]);
	t_expect(t_attach(fd, dev, 1, doms[1]), -EBUSY, "ATTACH over an attached pasid");
	t_hw_pasid(1, 1, "A");
	for (i = 0; i < n; i++) {
		char what[64];

		snprintf(what, sizeof(what), "DETACH pasid %u", pasids[i]);
		t_expect(t_detach(fd, dev, pasids[i]), 0, what);
		t_hw_pasid(pasids[i], 0, NULL);
	}
	t_expect(t_detach(fd, dev, 1), -ENOENT, "DETACH a detached pasid");
	for (i = 0; i < 2; i++)
		t_expect(t_destroy(fd, doms[i]), 0, "DESTROY domain");
	t_expect(t_destroy(fd, dev), 0, "DESTROY device");
	close(fd);
	return t_done();
}
