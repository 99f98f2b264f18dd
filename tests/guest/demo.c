// SPDX-License-Identifier: GPL-2.0
/*
 * The demo: bind the endpoint, make two domains each mapping a buffer
 * with its own pattern at the same IOVA, attach a PASID, replace its
 * domain, detach it. After each step the host reads the emulated VT-d
 * and says what the hardware would now translate that PASID's IOVA to.
 */
#include "pshim_test.h"

#define IOVA 0x100000ULL
#define LEN 0x4000ULL

static void step(const char *what, int ret)
{
	printf("\n== %s: %s\n", what, ret ? strerror(-ret) : "ok");
	if (ret)
		t_failed = 1;
}

int main(void)
{
	struct pasid_shim_info info = { .size = sizeof(info) };
	uint32_t dev = 0, max = 0, doma = 0, domb = 0, old = 0, pasid = 5;
	unsigned char *bufa, *bufb;

	t_init();
	int fd = t_open();

	step("GET_INFO", t_ioctl(fd, PASID_SHIM_GET_INFO, &info));
	printf("abi %u, replace is %s\n", info.out_abi_version,
	       info.out_features & PASID_SHIM_FEAT_ATOMIC_REPLACE ?
	       "atomic (kernel's iommu_replace_device_pasid)" :
	       "emulated (detach + attach, old domain restored on failure)");
	step("BIND", t_bind(fd, t_dev, &dev, &max));
	printf("device %s: id %u, PASIDs 1..%u\n", t_dev, dev, max - 1);
	step("DOMAIN_ALLOC A", t_domain_alloc(fd, dev, &doma));
	step("DOMAIN_ALLOC B", t_domain_alloc(fd, dev, &domb));
	bufa = t_pattern_buf(LEN, 'A');
	bufb = t_pattern_buf(LEN, 'B');
	step("MAP 16 KiB of pattern A at iova 0x100000 in A",
	     t_map(fd, doma, bufa, LEN, IOVA, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE));
	step("MAP 16 KiB of pattern B at iova 0x100000 in B",
	     t_map(fd, domb, bufb, LEN, IOVA, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE));
	t_hw_translate(pasid, IOVA, NULL, 0);

	step("ATTACH pasid 5 -> domain A", t_attach(fd, dev, pasid, doma));
	t_hw_pasid(pasid, 1, "A");
	t_hw_translate(pasid, IOVA + 0x2000, bufa + 0x2000, 32);

	step("REPLACE pasid 5 -> domain B",
	     t_attach_cmd(fd, PASID_SHIM_REPLACE, dev, pasid, domb, &old));
	printf("old domain was %u (A is %u)\n", old, doma);
	t_hw_pasid(pasid, 1, "B");
	t_hw_translate(pasid, IOVA + 0x2000, bufb + 0x2000, 32);

	step("DETACH pasid 5", t_detach(fd, dev, pasid));
	t_hw_pasid(pasid, 0, NULL);
	t_hw_translate(pasid, IOVA, NULL, 0);
	close(fd);
	return t_done();
}
