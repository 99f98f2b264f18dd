// SPDX-License-Identifier: GPL-2.0
/*
 * Batched commands: ATTACH_MANY, DETACH_MANY and MAP_MANY do what the
 * single commands do, in order, and stop at the first element that
 * fails with that element's errno and out_done pointing at it; the
 * host reads the whole PASID table after each step.
 */
#include <sys/mman.h>
#include "pshim_test.h"

#define N 512
#define FIRST 100

static struct pasid_shim_entry e[N];

/* The host's view must be exactly PASIDs FIRST .. FIRST + n - 1. */
/* The table holds exactly PASIDs FIRST + from .. FIRST + from + n - 1. */
static void expect_range(uint32_t from, uint32_t n, const char *after)
{
	char *list = malloc(N * 12 + 4), *p = list;
	uint32_t i;

	p += sprintf(p, "[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%u", i ? "," : "", FIRST + from + i);
	sprintf(p, "]");
	t_hw_say("%s: the PASID table holds exactly %u PASIDs", after, n);
	t_hw("\"check\":\"pasid_set\",\"dev\":\"%s\",\"pasids\":%s", t_dev, list);
	free(list);
}

static void expect_table(uint32_t n, const char *after)
{
	expect_range(0, n, after);
}

static int raw_batch(int fd, unsigned long cmd, struct pasid_shim_batch *b)
{
	t_call();
	return ioctl(fd, cmd, b) ? -errno : 0;
}

int main(void)
{
	unsigned char *buf = t_pattern_buf(64 * 4096, 'b');
	struct pasid_shim_map_entry me[64];
	struct pasid_shim_batch b;
	uint32_t dev, max, dom[2], done, i;
	uint64_t unmapped;
	int fd;

	t_init();
	fd = t_open();
	t_expect(t_bind(fd, t_dev, &dev, &max), 0, "BIND");
	t_expect(t_domain_alloc(fd, dev, &dom[0]), 0, "DOMAIN_ALLOC A");
	t_expect(t_domain_alloc(fd, dev, &dom[1]), 0, "DOMAIN_ALLOC B");

	/* MAP_MANY: 64 pages, each its own mapping, at consecutive IOVAs. */
	for (i = 0; i < 64; i++) {
		me[i].user_va = (uintptr_t)buf + i * 4096;
		me[i].length = 4096;
		me[i].iova = 0x100000 + i * 4096;
	}
	t_expect(pshim_map_many(fd, dom[0], PASID_SHIM_MAP_READ, me, 64, &done), 0,
		 "MAP_MANY 64 buffers of 4 KiB into A");
	t_result(done == 64, "out_done %u", done);
	t_result(t_stat("pinned_pages") == 64, "64 pages pinned (%ld)", t_stat("pinned_pages"));
	me[40].iova = 0x100000;		/* overlaps buffer 0 */
	for (i = 0; i < 64; i++)
		me[i].iova += i == 40 ? 0 : 0x1000000;
	t_expect(pshim_map_many(fd, dom[1], PASID_SHIM_MAP_READ, me, 64, &done), 0,
		 "MAP_MANY the same 64 buffers into B");
	t_expect(t_unmap(fd, dom[1], 0, 1ULL << 40, &unmapped), 0, "UNMAP all of B");
	me[41].iova = me[40].iova;
	t_expect(pshim_map_many(fd, dom[1], PASID_SHIM_MAP_READ, me, 64, &done), -EEXIST,
		 "MAP_MANY whose buffer 41 overlaps buffer 40");
	t_result(done == 41, "out_done %u: buffers 0..40 mapped, 41 refused, nothing after", done);
	t_result(t_stat("pinned_pages") == 64 + 41, "64 + 41 pages pinned (%ld)",
		 t_stat("pinned_pages"));
	me[3].length = 100;
	t_expect(t_unmap(fd, dom[1], 0, 1ULL << 40, &unmapped), 0, "UNMAP all of B again");
	t_expect(pshim_map_many(fd, dom[1], PASID_SHIM_MAP_READ, me, 64, &done), -EINVAL,
		 "MAP_MANY whose buffer 3 has an unaligned length");
	t_result(done == 3, "out_done %u", done);
	t_expect(pshim_map_many(fd, dom[1], 0, me, 64, &done), -EINVAL, "MAP_MANY with no access flag");
	t_row(pshim_map_many(fd, dom[1], PASID_SHIM_MAP_READ, (void *)8, 4, &done), CT_MAP_MANY_ARRAY,
	      "MAP_MANY from a bad array");
	t_row(pshim_map_many(fd, dom[1], PASID_SHIM_MAP_READ, me, (1u << 20) + 1, &done),
	      CT_MAP_MANY_NUM, "MAP_MANY of 2^20 + 1");
	t_expect(t_unmap(fd, dom[1], 0, 1ULL << 40, &unmapped), 0, "UNMAP all of B");

	/* ATTACH_MANY: PASIDs FIRST.. alternating between A and B. */
	for (i = 0; i < N; i++) {
		e[i].pasid = FIRST + i;
		e[i].domain_id = dom[i % 2];
	}
	t_expect(pshim_attach_many(fd, dev, e, N, &done), 0, "ATTACH_MANY 512 PASIDs");
	t_result(done == N, "out_done %u", done);
	expect_table(N, "after ATTACH_MANY");
	t_hw_pasid(FIRST, 1, "A");
	t_hw_pasid(FIRST + 1, 1, "B");
	t_hw_translate(FIRST + 10, 0x100000 + 5 * 4096, buf + 5 * 4096, 32);
	t_expect(pshim_detach_many(fd, dev, e, N, &done), 0, "DETACH_MANY all 512");
	expect_table(0, "after DETACH_MANY");

	/* A failure in the middle: the prefix stays, the rest is untried. */
	e[200].pasid = e[100].pasid;
	t_expect(pshim_attach_many(fd, dev, e, N, &done), -EBUSY,
		 "ATTACH_MANY whose element 200 repeats element 100");
	t_result(done == 200, "out_done %u", done);
	expect_table(200, "after the refused ATTACH_MANY");
	e[200].pasid = FIRST + 200;
	t_expect(pshim_detach_many(fd, dev, e, N, &done), -ENOENT,
		 "DETACH_MANY of 512 with only 200 attached");
	t_result(done == 200, "out_done %u: the 200 are detached", done);
	expect_table(0, "after DETACH_MANY");
	e[7].domain_id = 999;
	t_row(pshim_attach_many(fd, dev, e, N, &done), CT_ATTACH_MANY_DOMAIN,
	      "ATTACH_MANY whose element 7 names no domain");
	t_result(done == 7, "out_done %u", done);
	e[7].domain_id = dom[1];
	t_expect(pshim_detach_many(fd, dev, e, 7, &done), 0, "DETACH_MANY the 7");
	e[0].pasid = 0;
	t_expect(pshim_attach_many(fd, dev, e, N, &done), -EINVAL, "ATTACH_MANY starting with PASID 0");
	t_result(done == 0, "out_done %u", done);
	e[0].pasid = FIRST;
	expect_table(0, "after the refused ATTACH_MANYs");

	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.dev_id = dev;
	b.num = 0;
	b.entries_uptr = (uintptr_t)e;
	t_expect(raw_batch(fd, PASID_SHIM_ATTACH_MANY, &b), 0, "ATTACH_MANY of nothing");
	b.num = (1u << 20) + 1;
	t_row(raw_batch(fd, PASID_SHIM_ATTACH_MANY, &b), CT_ATTACH_MANY_NUM, "ATTACH_MANY of 2^20 + 1");
	t_row(raw_batch(fd, PASID_SHIM_DETACH_MANY, &b), CT_DETACH_MANY_NUM, "DETACH_MANY of 2^20 + 1");
	b.num = 4;
	b.flags = 1;
	t_expect(raw_batch(fd, PASID_SHIM_ATTACH_MANY, &b), -EOPNOTSUPP, "ATTACH_MANY with a flag");
	b.flags = 0;
	b.__reserved = 1;
	t_expect(raw_batch(fd, PASID_SHIM_DETACH_MANY, &b), -EOPNOTSUPP, "DETACH_MANY with __reserved");
	b.__reserved = 0;
	b.entries_uptr = 16;
	t_row(raw_batch(fd, PASID_SHIM_ATTACH_MANY, &b), CT_ATTACH_MANY_ARRAY, "ATTACH_MANY from a bad array");
	b.dev_id = dom[0];
	b.entries_uptr = (uintptr_t)e;
	t_expect(raw_batch(fd, PASID_SHIM_ATTACH_MANY, &b), -ENOENT, "ATTACH_MANY on a domain ID");

	/* The reply says how far it got even when the array goes bad midway. */
	{
		size_t pg = 4096;
		struct pasid_shim_entry *edge = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
						     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint32_t k = pg / sizeof(*edge);

		munmap((char *)edge + pg, pg);
		for (i = 0; i < k; i++) {
			edge[i].pasid = FIRST + i;
			edge[i].domain_id = dom[0];
		}
		t_expect(pshim_attach_many(fd, dev, edge, k + 32, &done), -EFAULT,
			 "ATTACH_MANY whose array ends in unmapped memory");
		t_result(done == k, "out_done %u: the %u readable entries are attached", done, k);
		expect_table(k, "after the half-readable ATTACH_MANY");
		t_expect(pshim_detach_many(fd, dev, edge, k, &done), 0, "DETACH_MANY them");
		/* The edge inside a chunk of 32: entries 5 .. k-1 readable. */
		t_expect(pshim_attach_many(fd, dev, edge + 5, k - 5 + 32, &done), -EFAULT,
			 "ATTACH_MANY whose array ends in unmapped memory mid-chunk");
		t_result(done == k - 5, "out_done %u: the %u readable entries are attached",
			 done, k - 5);
		expect_range(5, k - 5, "after the mid-chunk ATTACH_MANY");
		t_row(pshim_detach_many(fd, dev, edge + 5, k - 5 + 32, &done), CT_DETACH_MANY_ARRAY,
		      "DETACH_MANY of the same half-readable array");
		t_result(done == k - 5, "out_done %u: all %u detached", done, k - 5);
		munmap(edge, pg);
	}
	close(fd);
	t_expect_no_leak("close");
	return t_done();
}
