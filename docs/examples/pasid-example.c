/* Attach 64 KiB of memory (filled with 0xcd) at IOVA 0x100000 to one PASID
 * of a PCI device; the attachment lives until Enter is pressed.
 *   cc pasid-example.c $(pkg-config --cflags --libs pasid-shim) -o pasid-example
 *   ./pasid-example 0000:01:00.0 5   (root, or CAP_SYS_RAWIO) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <libpasidshim.h>

int main(int argc, char **argv)
{
	uint32_t dev, dom, max, pasid = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	char *buf = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = pshim_open(NULL), err;
	const char *step = "open";

	if (argc < 2 || buf == MAP_FAILED)
		return fprintf(stderr, "usage: %s PCI_NAME [PASID]\n", argv[0]), 2;
	memset(buf, 0xcd, 65536);
	if ((err = fd < 0 ? fd : 0) || (step = "bind", err = pshim_bind(fd, argv[1], &dev, &max)) ||
	    (step = "domain-alloc", err = pshim_domain_alloc(fd, dev, &dom)) ||
	    (step = "map", err = pshim_map(fd, dom, buf, 65536, 0x100000, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE)) ||
	    (step = "attach", err = pshim_attach(fd, dev, pasid, dom)))
		return fprintf(stderr, "%s: %s: %s (%s)\n", argv[0], step, strerror(-err), pshim_strerror(step, err)), 1;
	printf("PASID %u of %s -> domain %u: IOVA 0x100000 reads 0xcd\n", pasid, argv[1], dom);
	fflush(stdout);
	getchar();	/* exit closes the file: PASID detached, memory unpinned */
	return 0;
}
