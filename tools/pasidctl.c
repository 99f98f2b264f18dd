// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl: drive /dev/pasid-shim from a shell or a script.
 *
 * Every object dies with the file descriptor, so a single command runs
 * on a file of its own; `pasidctl script FILE` runs a sequence on one
 * file, where `NAME = COMMAND ...` keeps the ID a command created and
 * `$NAME` uses it. Exit status: 0 done, 1 the kernel refused (the errno
 * and its meaning in the pasid_shim contract are printed), 2 bad usage.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libpasidshim.h"

#define MAX_ARGS 16
#define MAX_VARS 64

static int json;
static const char *devnode = PSHIM_DEVNODE;
static int fd = -1;

struct var {
	char name[32];
	uint32_t id;
};
static struct var vars[MAX_VARS];
static int nvars;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pasidctl [--json] [--device PATH] COMMAND [ARGS]\n"
		"commands:\n"
		"  info                               ABI version and features\n"
		"  bind PCI_NAME [--exclusive]        bind a device, e.g. 0000:01:00.0; --exclusive\n"
		"                                     takes a driverless device's DMA ownership\n"
		"  domain-alloc DEV                   new paging domain of DEV's IOMMU\n"
		"  map DOMAIN IOVA LENGTH [--pattern BYTE | --file PATH] [--read|--write]\n"
		"                                     pin and map memory (default read+write)\n"
		"  unmap DOMAIN IOVA LENGTH           unmap whole mappings in the range\n"
		"  attach DEV PASID DOMAIN            attach DOMAIN to PASID of DEV\n"
		"  replace DEV PASID DOMAIN           swap the PASID's domain\n"
		"  detach DEV PASID                   detach the PASID\n"
		"  attach-many DEV FIRST COUNT DOMAIN attach PASIDs FIRST..FIRST+COUNT-1 in one call\n"
		"  detach-many DEV FIRST COUNT        detach them in one call\n"
		"  map-many DOMAIN IOVA COUNT SIZE    COUNT buffers of SIZE bytes at IOVA, IOVA+SIZE...\n"
		"                                     in one call\n"
		"  list DEV                           attached PASIDs in order\n"
		"  destroy ID                         destroy a domain or a device\n"
		"  pasid-alloc DEV                    a PASID from the kernel's allocator\n"
		"  pasid-free PASID                   give it back\n"
		"  echo WORDS...                      print WORDS (a marker in scripts)\n"
		"  script [FILE]                      run commands from FILE (or stdin) on one open file;\n"
		"                                     'NAME = COMMAND ...' names the ID made, '$NAME' uses it\n"
		"Numbers take 0x and K/M/G suffixes. Objects die when pasidctl exits.\n");
}

/* A usage error: message, usage, exit status 2. */
static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pasidctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	return 2;
}

/* A refusal by the kernel: errno, its meaning here, exit status 1. */
static int refused(const char *cmd, int err, const char *fmt, ...)
{
	const char *name = strerrorname_np(-err);
	va_list ap;

	fprintf(stderr, "pasidctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s (%s: %s)\n", strerror(-err), name ? name : "?",
		pshim_strerror(cmd, err));
	if (json)
		printf("{\"cmd\":\"%s\",\"error\":\"%s\",\"errno\":%d}\n", cmd,
		       name ? name : "?", -err);
	return 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	if (*s == '$') {
		int i;

		for (i = 0; i < nvars; i++)
			if (!strcmp(vars[i].name, s + 1)) {
				*out = vars[i].id;
				return 0;
			}
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

static int ensure_open(void)
{
	if (fd >= 0)
		return 0;
	fd = pshim_open(devnode);
	if (fd < 0) {
		int err = fd;

		fd = -1;
		return refused("open", err, "open %s", devnode);
	}
	return 0;
}

/* Runs one command; *made gets the ID it created, if any. */
static int run(int argc, char **argv, uint32_t *made, int *has_made)
{
	const char *cmd = argv[0];
	uint32_t a = 0, b = 0, c = 0;
	uint64_t x = 0, y = 0;
	int ret;

	*has_made = 0;
	if (!strcmp(cmd, "echo")) {
		int i;

		for (i = 1; i < argc; i++)
			printf("%s%s", i > 1 ? " " : "", argv[i]);
		printf("\n");
		return 0;
	}
	if (!strcmp(cmd, "info")) {
		uint32_t abi, feat;

		if (argc != 1)
			return bad("info takes no arguments");
		if (ensure_open())
			return 1;
		ret = pshim_get_info(fd, &abi, &feat);
		if (ret)
			return refused(cmd, ret, "info");
		if (json)
			printf("{\"cmd\":\"info\",\"abi_version\":%u,\"features\":%u,\"atomic_replace\":%s,\"pasid_alloc\":%s}\n",
			       abi, feat, feat & PASID_SHIM_FEAT_ATOMIC_REPLACE ? "true" : "false",
			       feat & PASID_SHIM_FEAT_PASID_ALLOC ? "true" : "false");
		else
			printf("abi %u, replace %s, pasid-alloc %s\n", abi,
			       feat & PASID_SHIM_FEAT_ATOMIC_REPLACE ? "atomic (kernel)" :
			       "emulated (detach + attach)",
			       feat & PASID_SHIM_FEAT_PASID_ALLOC ? "yes" : "no");
		return 0;
	}
	if (!strcmp(cmd, "bind")) {
		uint32_t flags = 0;

		if (argc == 3 && !strcmp(argv[2], "--exclusive"))
			flags = PASID_SHIM_BIND_EXCLUSIVE;
		else if (argc != 2)
			return bad("bind takes PCI_NAME [--exclusive]");
		if (ensure_open())
			return 1;
		ret = pshim_bind_flags(fd, argv[1], flags, &a, &b);
		if (ret)
			return refused(cmd, ret, "bind %s", argv[1]);
		if (json)
			printf("{\"cmd\":\"bind\",\"pci_name\":\"%s\",\"dev_id\":%u,\"max_pasid\":%u,\"exclusive\":%s}\n",
			       argv[1], a, b, flags ? "true" : "false");
		else
			printf("dev %u: %s, PASIDs 1..%u%s\n", a, argv[1], b ? b - 1 : 0,
			       flags ? ", exclusive" : "");
		*made = a;
		*has_made = 1;
		return 0;
	}
	if (!strcmp(cmd, "domain-alloc")) {
		if (argc != 2 || parse_u32(argv[1], &a))
			return bad("domain-alloc takes DEV");
		if (ensure_open())
			return 1;
		ret = pshim_domain_alloc(fd, a, &b);
		if (ret)
			return refused(cmd, ret, "domain-alloc on dev %u", a);
		if (json)
			printf("{\"cmd\":\"domain-alloc\",\"dev_id\":%u,\"domain_id\":%u}\n", a, b);
		else
			printf("domain %u\n", b);
		*made = b;
		*has_made = 1;
		return 0;
	}
	if (!strcmp(cmd, "map")) {
		const char *file = NULL;
		uint32_t flags = 0;
		int pattern = 0xa5, i;
		void *buf;

		if (argc < 4 || parse_u32(argv[1], &a) || parse_u64(argv[2], &x) ||
		    parse_u64(argv[3], &y))
			return bad("map takes DOMAIN IOVA LENGTH");
		for (i = 4; i < argc; i++) {
			uint64_t p;

			if (!strcmp(argv[i], "--read")) {
				flags |= PASID_SHIM_MAP_READ;
			} else if (!strcmp(argv[i], "--write")) {
				flags |= PASID_SHIM_MAP_WRITE;
			} else if (!strcmp(argv[i], "--pattern") && i + 1 < argc &&
				   !parse_u64(argv[i + 1], &p) && p <= 255) {
				pattern = p;
				i++;
			} else if (!strcmp(argv[i], "--file") && i + 1 < argc) {
				file = argv[++i];
			} else {
				return bad("map: unknown or incomplete option %s", argv[i]);
			}
		}
		if (!flags)
			flags = PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE;
		if (!y || y > (1ULL << 40))
			return bad("map: LENGTH must be between 1 and 1T");
		buf = mmap(NULL, y, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED)
			return refused(cmd, -errno, "map: allocating %llu bytes", (unsigned long long)y);
		if (file) {
			int ffd = open(file, O_RDONLY);
			ssize_t n;

			if (ffd < 0)
				return refused(cmd, -errno, "map: open %s", file);
			n = read(ffd, buf, y);
			close(ffd);
			if (n < 0)
				return refused(cmd, -errno, "map: read %s", file);
		} else {
			memset(buf, pattern, y);
		}
		if (ensure_open())
			return 1;
		/* The buffer stays for the life of the process: it is pinned. */
		ret = pshim_map(fd, a, buf, y, x, flags);
		if (ret)
			return refused(cmd, ret, "map 0x%llx bytes at iova 0x%llx in domain %u",
				       (unsigned long long)y, (unsigned long long)x, a);
		if (json)
			printf("{\"cmd\":\"map\",\"domain_id\":%u,\"iova\":%llu,\"length\":%llu}\n",
			       a, (unsigned long long)x, (unsigned long long)y);
		else
			printf("mapped 0x%llx bytes at iova 0x%llx in domain %u\n",
			       (unsigned long long)y, (unsigned long long)x, a);
		return 0;
	}
	if (!strcmp(cmd, "unmap")) {
		uint64_t done = 0;

		if (argc != 4 || parse_u32(argv[1], &a) || parse_u64(argv[2], &x) ||
		    parse_u64(argv[3], &y))
			return bad("unmap takes DOMAIN IOVA LENGTH");
		if (ensure_open())
			return 1;
		ret = pshim_unmap(fd, a, x, y, &done);
		if (ret)
			return refused(cmd, ret, "unmap 0x%llx bytes at iova 0x%llx in domain %u",
				       (unsigned long long)y, (unsigned long long)x, a);
		if (json)
			printf("{\"cmd\":\"unmap\",\"domain_id\":%u,\"unmapped\":%llu}\n",
			       a, (unsigned long long)done);
		else
			printf("unmapped 0x%llx bytes from domain %u\n", (unsigned long long)done, a);
		return 0;
	}
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "replace")) {
		uint32_t old = 0;

		if (argc != 4 || parse_u32(argv[1], &a) || parse_u32(argv[2], &b) ||
		    parse_u32(argv[3], &c))
			return bad("%s takes DEV PASID DOMAIN", cmd);
		if (ensure_open())
			return 1;
		ret = cmd[0] == 'a' ? pshim_attach(fd, a, b, c) : pshim_replace(fd, a, b, c, &old);
		if (ret)
			return refused(cmd, ret, "%s pasid %u on dev %u", cmd, b, a);
		if (json)
			printf("{\"cmd\":\"%s\",\"dev_id\":%u,\"pasid\":%u,\"domain_id\":%u,\"old_domain_id\":%u}\n",
			       cmd, a, b, c, old);
		else if (cmd[0] == 'a')
			printf("pasid %u of dev %u -> domain %u\n", b, a, c);
		else
			printf("pasid %u of dev %u -> domain %u (was %u)\n", b, a, c, old);
		return 0;
	}
	if (!strcmp(cmd, "detach")) {
		if (argc != 3 || parse_u32(argv[1], &a) || parse_u32(argv[2], &b))
			return bad("detach takes DEV PASID");
		if (ensure_open())
			return 1;
		ret = pshim_detach(fd, a, b);
		if (ret)
			return refused(cmd, ret, "detach pasid %u on dev %u", b, a);
		if (json)
			printf("{\"cmd\":\"detach\",\"dev_id\":%u,\"pasid\":%u}\n", a, b);
		else
			printf("pasid %u of dev %u detached\n", b, a);
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		struct pasid_shim_entry *e = NULL;
		uint32_t count = 0, i;

		if (argc != 2 || parse_u32(argv[1], &a))
			return bad("list takes DEV");
		if (ensure_open())
			return 1;
		ret = pshim_list(fd, a, NULL, 0, &count);
		if (!ret && count) {
			e = calloc(count, sizeof(*e));
			if (!e)
				return refused(cmd, -ENOMEM, "list");
			ret = pshim_list(fd, a, e, count, &count);
		}
		if (ret) {
			free(e);
			return refused(cmd, ret, "list dev %u", a);
		}
		if (json) {
			printf("{\"cmd\":\"list\",\"dev_id\":%u,\"entries\":[", a);
			for (i = 0; i < count; i++)
				printf("%s{\"pasid\":%u,\"domain_id\":%u}", i ? "," : "",
				       e[i].pasid, e[i].domain_id);
			printf("]}\n");
		} else {
			printf("dev %u: %u attached\n", a, count);
			for (i = 0; i < count; i++)
				printf("  pasid %u domain %u\n", e[i].pasid, e[i].domain_id);
		}
		free(e);
		return 0;
	}
	if (!strcmp(cmd, "destroy")) {
		if (argc != 2 || parse_u32(argv[1], &a))
			return bad("destroy takes ID");
		if (ensure_open())
			return 1;
		ret = pshim_destroy(fd, a);
		if (ret)
			return refused(cmd, ret, "destroy %u", a);
		if (json)
			printf("{\"cmd\":\"destroy\",\"id\":%u}\n", a);
		else
			printf("destroyed %u\n", a);
		return 0;
	}
	if (!strcmp(cmd, "attach-many") || !strcmp(cmd, "detach-many")) {
		int attach = cmd[0] == 'a';
		struct pasid_shim_entry *e;
		uint32_t count, done = 0, i;

		if (argc != (attach ? 5 : 4) || parse_u32(argv[1], &a) || parse_u32(argv[2], &b) ||
		    parse_u32(argv[3], &count) || (attach && parse_u32(argv[4], &c)))
			return bad("%s takes DEV FIRST COUNT%s", cmd, attach ? " DOMAIN" : "");
		if (!count || count > (1u << 20) || b + (uint64_t)count > UINT32_MAX)
			return bad("%s: COUNT must be between 1 and 1M", cmd);
		e = calloc(count, sizeof(*e));
		if (!e)
			return refused(cmd, -ENOMEM, "%s", cmd);
		for (i = 0; i < count; i++) {
			e[i].pasid = b + i;
			e[i].domain_id = c;
		}
		if (ensure_open()) {
			free(e);
			return 1;
		}
		ret = attach ? pshim_attach_many(fd, a, e, count, &done) :
			       pshim_detach_many(fd, a, e, count, &done);
		free(e);
		if (ret)
			return refused(cmd, ret, "%s on dev %u: pasid %u (after %u done)", cmd, a,
				       b + done, done);
		if (json)
			printf("{\"cmd\":\"%s\",\"dev_id\":%u,\"first\":%u,\"count\":%u,\"done\":%u}\n",
			       cmd, a, b, count, done);
		else
			printf("%s pasids %u..%u of dev %u\n", attach ? "attached" : "detached",
			       b, b + count - 1, a);
		return 0;
	}
	if (!strcmp(cmd, "map-many")) {
		struct pasid_shim_map_entry *e;
		uint32_t count, done = 0, i;
		unsigned char *buf;

		if (argc != 5 || parse_u32(argv[1], &a) || parse_u64(argv[2], &x) ||
		    parse_u32(argv[3], &count) || parse_u64(argv[4], &y))
			return bad("map-many takes DOMAIN IOVA COUNT SIZE");
		if (!count || count > (1u << 20) || !y || y > (1ULL << 30) ||
		    (uint64_t)count * y > (1ULL << 40))
			return bad("map-many: COUNT 1..1M buffers of SIZE 1..1G, 1T in all");
		buf = mmap(NULL, count * y, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		e = calloc(count, sizeof(*e));
		if (buf == MAP_FAILED || !e)
			return refused(cmd, -ENOMEM, "map-many: allocating");
		memset(buf, 0xa5, count * y);
		for (i = 0; i < count; i++) {
			e[i].user_va = (uintptr_t)buf + (uint64_t)i * y;
			e[i].length = y;
			e[i].iova = x + (uint64_t)i * y;
		}
		if (ensure_open()) {
			free(e);
			return 1;
		}
		/* The buffers stay for the life of the process: they are pinned. */
		ret = pshim_map_many(fd, a, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE, e, count, &done);
		free(e);
		if (ret)
			return refused(cmd, ret, "map-many into domain %u: buffer %u (after %u done)",
				       a, done, done);
		if (json)
			printf("{\"cmd\":\"map-many\",\"domain_id\":%u,\"count\":%u,\"done\":%u}\n",
			       a, count, done);
		else
			printf("mapped %u buffers of 0x%llx bytes from iova 0x%llx in domain %u\n",
			       count, (unsigned long long)y, (unsigned long long)x, a);
		return 0;
	}
	if (!strcmp(cmd, "pasid-alloc")) {
		if (argc != 2 || parse_u32(argv[1], &a))
			return bad("pasid-alloc takes DEV");
		if (ensure_open())
			return 1;
		ret = pshim_pasid_alloc(fd, a, &b);
		if (ret)
			return refused(cmd, ret, "pasid-alloc on dev %u", a);
		if (json)
			printf("{\"cmd\":\"pasid-alloc\",\"dev_id\":%u,\"pasid\":%u}\n", a, b);
		else
			printf("pasid %u\n", b);
		*made = b;
		*has_made = 1;
		return 0;
	}
	if (!strcmp(cmd, "pasid-free")) {
		if (argc != 2 || parse_u32(argv[1], &a))
			return bad("pasid-free takes PASID");
		if (ensure_open())
			return 1;
		ret = pshim_pasid_free(fd, a);
		if (ret)
			return refused(cmd, ret, "pasid-free %u", a);
		if (json)
			printf("{\"cmd\":\"pasid-free\",\"pasid\":%u}\n", a);
		else
			printf("pasid %u freed\n", a);
		return 0;
	}
	return bad("unknown command '%s'", cmd);
}

static int run_script(FILE *in, const char *what)
{
	char line[1024];
	int lineno = 0;

	while (fgets(line, sizeof(line), in)) {
		char *argv[MAX_ARGS + 3], *tok, *save = NULL, *hash, *name = NULL;
		int argc = 0, ret, has_made;
		uint32_t made;

		lineno++;
		if (!strchr(line, '\n') && !feof(in)) {
			fprintf(stderr, "pasidctl: %s:%d: line too long\n", what, lineno);
			return 2;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		for (tok = strtok_r(line, " \t\r\n", &save); tok;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (argc == MAX_ARGS + 2) {
				fprintf(stderr, "pasidctl: %s:%d: too many words\n", what, lineno);
				return 2;
			}
			argv[argc++] = tok;
		}
		if (!argc)
			continue;
		if (argc >= 3 && !strcmp(argv[1], "=")) {
			name = argv[0];
			if (strlen(name) >= sizeof(vars[0].name) || !isalpha((unsigned char)*name)) {
				fprintf(stderr, "pasidctl: %s:%d: bad name '%s'\n", what, lineno, name);
				return 2;
			}
			memmove(argv, argv + 2, (argc - 2) * sizeof(*argv));
			argc -= 2;
		}
		argv[argc] = NULL;
		if (!strcmp(argv[0], "script")) {
			fprintf(stderr, "pasidctl: %s:%d: script cannot nest\n", what, lineno);
			return 2;
		}
		ret = run(argc, argv, &made, &has_made);
		/* Line by line, so whoever feeds the script can follow it. */
		fflush(stdout);
		if (ret) {
			fprintf(stderr, "pasidctl: stopped at %s:%d\n", what, lineno);
			return ret;
		}
		if (name) {
			int i;

			if (!has_made) {
				fprintf(stderr, "pasidctl: %s:%d: '%s' makes no ID to name\n",
					what, lineno, argv[0]);
				return 2;
			}
			for (i = 0; i < nvars && strcmp(vars[i].name, name); i++)
				;
			if (i == MAX_VARS) {
				fprintf(stderr, "pasidctl: %s:%d: too many names\n", what, lineno);
				return 2;
			}
			snprintf(vars[i].name, sizeof(vars[i].name), "%s", name);
			vars[i].id = made;
			if (i == nvars)
				nvars++;
			name = NULL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t made;
	int has_made, i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			devnode = argv[++i];
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			return bad("unknown option %s", argv[i]);
		}
	}
	if (i >= argc)
		return bad("no command");
	if (argc - i > MAX_ARGS)
		return bad("too many arguments");
	if (!strcmp(argv[i], "script")) {
		FILE *in = stdin;
		const char *what = "stdin";
		int ret;

		if (argc - i > 2)
			return bad("script takes at most one FILE");
		if (argc - i == 2 && strcmp(argv[i + 1], "-")) {
			what = argv[i + 1];
			in = fopen(what, "r");
			if (!in) {
				fprintf(stderr, "pasidctl: %s: %s\n", what, strerror(errno));
				return 2;
			}
		}
		ret = run_script(in, what);
		if (in != stdin)
			fclose(in);
		return ret;
	}
	return run(argc - i, argv + i, &made, &has_made);
}
