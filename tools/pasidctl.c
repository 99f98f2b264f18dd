// SPDX-License-Identifier: GPL-2.0
/*
 * pasidctl: drive /dev/pasid-shim from a shell or a script.
 *
 * Every object dies with the file descriptor, so a single command runs
 * on a file of its own; `pasidctl script FILE` runs a sequence on one
 * file, where `NAME = COMMAND ...` keeps the ID a command created and
 * `$NAME` uses it, and `hold` keeps it all until a signal. Exit status:
 * 0 done, 1 the kernel refused (the errno and its meaning in the
 * pasid_shim contract are printed), 2 bad usage.
 *
 * The commands are a table (cmds[] below), as the module's own ioctls
 * are: help, usage errors and the bash completion come from it. Options
 * go anywhere on the line. With --json, stdout carries one JSON object
 * per command and per error, and nothing else (docs/pasidctl-json.md).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/capability.h>

#include "libpasidshim.h"

#ifndef PSHIM_VERSION
#error "PSHIM_VERSION comes from the VERSION file through the Makefile"
#endif

#define MAX_WORDS	64
#define MAX_VARS	64
#define MAX_OPTS	5	/* options of one command, and a NULL after them */
#define DEBUGFS		"/sys/kernel/debug/pasid_shim"
#define LEN_MAX		(1ULL << 40)	/* the most one map or map-many pins */

/* ---- the command table ------------------------------------------------- */

struct call;

struct opt {
	const char *name;	/* "--pattern" */
	const char *arg;	/* its value's name, or NULL for a flag */
	const char *help;
};

enum {
	C_OPEN = 1 << 0,	/* needs the device open */
	C_TOP = 1 << 1,		/* only on the command line, not in a script */
	C_SCRIPT = 1 << 2,	/* runs a script itself */
};

struct cmd {
	const char *name;
	const char *args;	/* positional arguments' synopsis */
	int min, max;		/* how many; max -1: any */
	const char *kinds;	/* completion of each positional: p(ci) f(ile) c(ommand) -(none) */
	struct opt opts[MAX_OPTS];
	unsigned int flags;
	const char *summary;
	const char *help;
	int (*fn)(struct call *c);
};

struct call {
	const struct cmd *cmd;
	int npos;
	char *pos[MAX_WORDS];
	const char *opt[MAX_OPTS];	/* value, or "" for a flag given */
	uint32_t made;			/* the ID it created, for `NAME = ...` */
	bool has_made;
};

/* ---- state -------------------------------------------------------------- */

static bool json, pretty;
static const char *devnode = PSHIM_DEVNODE;
static bool devnode_given;
static int fd = -1;
static const char *script_name;	/* the script being run, and its line */
static int script_line;

struct var {
	char name[32];
	uint32_t id;
};
static struct var vars[MAX_VARS];
static int nvars;

/* What this process made, for hold. */
struct held_dev {
	uint32_t id, max;
	bool exclusive, gone;
	char name[PASID_SHIM_NAME_MAX];
	char var[32];
};
struct held_dom {
	uint32_t id, dev;
	char var[32];
};
struct held_map {
	uint32_t dom, count;
	uint64_t iova, size;	/* count buffers of size from iova */
};
static struct held_dev *hdevs;
static struct held_dom *hdoms;
static struct held_map *hmaps;
static uint32_t *hpasids;
static int nhdevs, nhdoms, nhmaps, nhpasids;

static const struct cmd cmds[];
static const struct cmd *find_cmd(const char *name);
static int run_script(FILE *in, const char *what);

/* ---- JSON output -------------------------------------------------------- */

static int jdepth;
static int jcount[16];

static void jindent(void)
{
	int i;

	if (!pretty)
		return;
	putchar('\n');
	for (i = 0; i < jdepth; i++)
		fputs("  ", stdout);
}

static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* A member's key (k) inside an object, or an element of an array (k NULL). */
static void jkey(const char *k)
{
	if (jcount[jdepth]++)
		putchar(',');
	jindent();
	if (k) {
		jstr(k);
		putchar(':');
		if (pretty)
			putchar(' ');
	}
}

static void jopen(const char *k, char bracket)
{
	if (jdepth)
		jkey(k);
	putchar(bracket);
	jcount[++jdepth] = 0;
}

static void jclose(char bracket)
{
	bool had = jcount[jdepth] > 0;

	jdepth--;
	if (had)
		jindent();
	putchar(bracket);
	if (!jdepth) {
		putchar('\n');
		fflush(stdout);
	}
}

/* Every JSON object names its command first. */
static void jbegin(const char *cmd)
{
	jopen(NULL, '{');
	jkey("cmd");
	jstr(cmd);
}

static void jend(void)
{
	jclose('}');
}

static void jks(const char *k, const char *v)
{
	jkey(k);
	jstr(v);
}

static void jku(const char *k, unsigned long long v)
{
	jkey(k);
	printf("%llu", v);
}

static void jkb(const char *k, bool v)
{
	jkey(k);
	fputs(v ? "true" : "false", stdout);
}

/* ---- messages ----------------------------------------------------------- */

/* "usage: pasidctl attach DEV PASID DOMAIN" */
static void synopsis(const struct cmd *c, char *buf, size_t len)
{
	const struct opt *o;
	size_t n;

	n = snprintf(buf, len, "pasidctl %s%s%s", c->name, *c->args ? " " : "", c->args);
	for (o = c->opts; o->name && n < len; o++)
		n += snprintf(buf + n, len - n, " [%s%s%s]", o->name, o->arg ? " " : "",
			      o->arg ? o->arg : "");
}

/* Where in a script we are, for messages. */
static void where(void)
{
	if (script_name)
		fprintf(stderr, "%s:%d: ", script_name, script_line);
}

static void jwhere(void)
{
	if (script_name) {
		jks("script", script_name);
		jku("line", script_line);
	}
}

/*
 * A usage error: what is wrong, naming the argument, and the synopsis of
 * this one command (c NULL: no command known). Exit status 2.
 */
static int bad(const struct cmd *c, const char *fmt, ...)
{
	char msg[512], syn[256] = "";
	va_list ap;
	int n = 0;

	if (c)
		n = snprintf(msg, sizeof(msg), "%s: ", c->name);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	if (c)
		synopsis(c, syn, sizeof(syn));
	if (json) {
		jbegin(c ? c->name : "pasidctl");
		jks("error", "usage");
		jks("message", msg);
		if (c)
			jks("usage", syn);
		jwhere();
		jend();
		return 2;
	}
	fprintf(stderr, "pasidctl: ");
	where();
	fprintf(stderr, "%s\n", msg);
	if (c)
		fprintf(stderr, "usage: %s\n       (pasidctl help %s says more)\n", syn, c->name);
	else
		fprintf(stderr, "usage: pasidctl [-j] [-p] [-d PATH] COMMAND [ARGS]\n"
			"       (pasidctl -h lists the commands)\n");
	return 2;
}

/*
 * A refusal, by the kernel or the system: the errno and what it means
 * for the command (meaning NULL: the contract's, for meaning_cmd).
 * Exit status 1.
 */
static int refused_m(const char *cmd, const char *meaning_cmd, const char *meaning, int err,
		     const char *fmt, ...)
{
	const char *name = strerrorname_np(-err);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!meaning)
		meaning = pshim_strerror(meaning_cmd, err);
	if (json) {
		char full[600];

		snprintf(full, sizeof(full), "%s: %s", msg, strerror(-err));
		jbegin(cmd);
		jks("error", name ? name : "?");
		jku("errno", -err);
		jks("message", full);
		jks("meaning", meaning);
		jwhere();
		jend();
		return 1;
	}
	fprintf(stderr, "pasidctl: ");
	where();
	if (!strcmp(meaning, strerror(-err)))	/* nothing to add to strerror() */
		fprintf(stderr, "%s: %s (%s)\n", msg, meaning, name ? name : "?");
	else
		fprintf(stderr, "%s: %s (%s: %s)\n", msg, strerror(-err), name ? name : "?",
			meaning);
	return 1;
}

#define refused(c, err, ...) refused_m((c)->cmd->name, (c)->cmd->name, NULL, err, __VA_ARGS__)

/* ---- arguments ---------------------------------------------------------- */

/* The name of positional argument i in the synopsis: "PASID". */
static void arg_name(const struct cmd *c, int i, char *out, size_t len)
{
	const char *p = c->args;
	size_t n;

	while (i-- > 0 && *p) {
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	p += strspn(p, "[");
	n = strcspn(p, " ]");
	if (!n) {
		snprintf(out, len, "argument");
		return;
	}
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
	if (len > 3 && n >= 3 && !strcmp(out + strlen(out) - 3, "..."))
		out[strlen(out) - 3] = 0;
}

/*
 * A number: decimal or 0x hex, with K, M, G or T (powers of 1024), or
 * $NAME in a script. 0, or a usage error naming what is wrong.
 */
static int num(struct call *c, const char *s, const char *what, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (*s == '$') {
		int i;

		if (!script_name)
			return bad(c->cmd, "%s '%s': $NAME works in scripts only", what, s);
		for (i = 0; i < nvars; i++)
			if (!strcmp(vars[i].name, s + 1)) {
				*out = vars[i].id;
				return 0;
			}
		return bad(c->cmd, "%s '%s': no earlier line of this script made an ID of that name",
			   what, s);
	}
	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return bad(c->cmd, "%s '%s' is not a number", what, s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s)
		return bad(c->cmd, "%s '%s' is not a number", what, s);
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end)
		return bad(c->cmd, "%s '%s' is not a number (0x for hex; suffixes K, M, G, T)",
			   what, s);
	if (errno == ERANGE || (shift && v > (~0ULL >> shift)) || (v << shift) > max)
		return bad(c->cmd, "%s %s is out of range (at most %llu, 0x%llx)", what, s,
			   (unsigned long long)max, (unsigned long long)max);
	*out = v << shift;
	return 0;
}

/* Positional argument i as a number of at most max. */
static int arg_num(struct call *c, int i, uint64_t max, uint64_t *out)
{
	char what[32];

	arg_name(c->cmd, i, what, sizeof(what));
	return num(c, c->pos[i], what, max, out);
}

static int arg_u32(struct call *c, int i, uint32_t *out)
{
	uint64_t v;
	int ret = arg_num(c, i, UINT32_MAX, &v);

	*out = v;
	return ret;
}

static int opt_index(const struct cmd *c, const char *name)
{
	int i;

	for (i = 0; i < MAX_OPTS && c->opts[i].name; i++)
		if (!strcmp(c->opts[i].name, name))
			return i;
	return -1;
}

static const char *optv(struct call *c, const char *name)
{
	int i = opt_index(c->cmd, name);

	return i < 0 ? NULL : c->opt[i];
}

/* ---- the device ---------------------------------------------------------- */

/*
 * Every capability but CAP_IPC_LOCK, which MAP consults later (pinned
 * pages are charged to RLIMIT_MEMLOCK without it), goes once the device
 * is open: CAP_SYS_RAWIO was for open() alone, and a setcap copy of
 * pasidctl then runs with nothing more than its user has.
 */
static void drop_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int i;

	if (syscall(SYS_capget, &h, d))
		return;
	for (i = 0; i < 2; i++) {
		uint32_t keep = i == CAP_TO_INDEX(CAP_IPC_LOCK) ? CAP_TO_MASK(CAP_IPC_LOCK) : 0;

		d[i].effective &= keep;
		d[i].permitted &= keep;
		d[i].inheritable = 0;
	}
	syscall(SYS_capset, &h, d);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* The node is the module's misc device, whatever --device said. */
static bool is_pasid_shim(int f)
{
	char path[64], line[128];
	struct stat st;
	bool ok = false;
	FILE *u;

	if (fstat(f, &st) || !S_ISCHR(st.st_mode))
		return false;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/uevent", major(st.st_rdev),
		 minor(st.st_rdev));
	u = fopen(path, "r");
	if (!u)		/* no sysfs to ask: only the usual node is trusted */
		return !devnode_given;
	while (fgets(line, sizeof(line), u))
		if (!strcmp(line, "DEVNAME=pasid-shim\n"))
			ok = true;
	fclose(u);
	return ok;
}

#define OPEN_OR_RETURN(c)			\
	do {					\
		int r_ = ensure_open(c);	\
		if (r_)				\
			return r_;		\
	} while (0)

static int ensure_open(struct call *c)
{
	int f;

	if (fd >= 0)
		return 0;
	f = pshim_open(devnode);
	if (f < 0) {
		const char *meaning = NULL;

		if (f == -ENOENT && devnode_given)
			meaning = "no such file: the --device path is wrong";
		else if (f == -ENOENT && access("/sys/module/pasid_shim", F_OK))
			meaning = "pasid_shim is not loaded (modprobe pasid_shim)";
		return refused_m(c->cmd->name, "open", meaning, f, "open %s", devnode);
	}
	if (!is_pasid_shim(f)) {
		close(f);
		drop_caps();
		return bad(NULL, "--device %s is not the pasid-shim device", devnode);
	}
	drop_caps();
	fd = f;
	return 0;
}

/* ---- what this process holds -------------------------------------------- */

static void *grow(void *p, int n, size_t size)
{
	/* Room for one more in steps of 16; a full heap ends pasidctl. */
	if (n % 16 == 0) {
		p = realloc(p, (n + 16) * size);
		if (!p) {
			fprintf(stderr, "pasidctl: out of memory\n");
			exit(1);
		}
	}
	return p;
}

static void held_map_add(uint32_t dom, uint64_t iova, uint64_t size, uint32_t count)
{
	hmaps = grow(hmaps, nhmaps, sizeof(*hmaps));
	hmaps[nhmaps++] = (struct held_map){ .dom = dom, .iova = iova, .size = size, .count = count };
}

/* UNMAP removed every buffer wholly inside [start, start + len). */
static void held_unmap(uint32_t dom, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	int i, n = nhmaps;

	for (i = 0; i < n; i++) {
		struct held_map m = hmaps[i];
		uint64_t a, b;

		if (m.dom != dom || !m.count)
			continue;
		a = start <= m.iova ? 0 : (start - m.iova + m.size - 1) / m.size;
		b = end <= m.iova ? 0 : (end - m.iova) / m.size;
		if (b > m.count)
			b = m.count;
		if (a >= b)
			continue;
		hmaps[i].count = a;	/* the buffers before the range stay ... */
		if (b < m.count)	/* ... and those after it */
			held_map_add(dom, m.iova + b * m.size, m.size, m.count - b);
	}
}

static void held_destroy(uint32_t id)
{
	int i;

	for (i = 0; i < nhdevs; i++)
		if (hdevs[i].id == id && !hdevs[i].gone)
			hdevs[i].gone = true;
	for (i = 0; i < nhdoms; i++)
		if (hdoms[i].id == id) {
			hdoms[i] = hdoms[--nhdoms];
			break;
		}
	for (i = 0; i < nhmaps; i++)
		if (hmaps[i].dom == id)
			hmaps[i].count = 0;
}

/* ---- the commands --------------------------------------------------------- */

static int do_echo(struct call *c)
{
	int i;

	if (json) {
		char text[4096] = "";
		size_t n = 0;

		for (i = 0; i < c->npos && n < sizeof(text); i++)
			n += snprintf(text + n, sizeof(text) - n, "%s%s", i ? " " : "", c->pos[i]);
		jbegin("echo");
		jks("text", text);
		jend();
		return 0;
	}
	for (i = 0; i < c->npos; i++)
		printf("%s%s", i ? " " : "", c->pos[i]);
	printf("\n");
	return 0;
}

/* The version of the loaded module, from sysfs ("" if none). */
static void module_version(char *out, size_t len)
{
	FILE *f = fopen("/sys/module/pasid_shim/version", "r");

	*out = 0;
	if (f) {
		if (fgets(out, len, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
}

static int do_info(struct call *c)
{
	uint32_t abi, feat;
	char mod[32];
	int ret;

	OPEN_OR_RETURN(c);
	ret = pshim_get_info(fd, &abi, &feat);
	if (ret)
		return refused(c, ret, "info");
	module_version(mod, sizeof(mod));
	if (json) {
		jbegin("info");
		jku("abi_version", abi);
		jku("features", feat);
		jkb("atomic_replace", feat & PASID_SHIM_FEAT_ATOMIC_REPLACE);
		jkb("pasid_alloc", feat & PASID_SHIM_FEAT_PASID_ALLOC);
		jks("module_version", mod);
		jks("library_version", pshim_version());
		jend();
		return 0;
	}
	printf("abi %u, replace %s, pasid-alloc %s\n", abi,
	       feat & PASID_SHIM_FEAT_ATOMIC_REPLACE ? "atomic (kernel)" :
	       "emulated (detach + attach)", feat & PASID_SHIM_FEAT_PASID_ALLOC ? "yes" : "no");
	return 0;
}

static int pci_name_arg(struct call *c, const char *name)
{
	if (strlen(name) >= PASID_SHIM_NAME_MAX || !*name)
		return bad(c->cmd, "PCI_NAME '%s' is no PCI device name (such as 0000:01:00.0, "
			   "fewer than %d characters)", name, PASID_SHIM_NAME_MAX);
	return 0;
}

static int do_bind(struct call *c)
{
	uint32_t flags = optv(c, "--exclusive") ? PASID_SHIM_BIND_EXCLUSIVE : 0, id, max;
	const char *name = c->pos[0];
	int ret;

	if (pci_name_arg(c, name))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_bind_flags(fd, name, flags, &id, &max);
	if (ret)
		return refused_m("bind", "bind", NULL, ret, "bind %s%s", name,
				 flags ? " --exclusive" : "");
	hdevs = grow(hdevs, nhdevs, sizeof(*hdevs));
	hdevs[nhdevs] = (struct held_dev){ .id = id, .max = max, .exclusive = flags != 0 };
	snprintf(hdevs[nhdevs++].name, sizeof(hdevs->name), "%s", name);
	if (json) {
		jbegin("bind");
		jks("pci_name", name);
		jku("dev_id", id);
		jku("max_pasid", max);
		jku("pasid_last", max ? max - 1 : 0);
		jkb("exclusive", flags);
		jend();
	} else {
		printf("dev %u: %s, PASIDs 1..%u%s\n", id, name, max ? max - 1 : 0,
		       flags ? ", exclusive" : "");
	}
	c->made = id;
	c->has_made = true;
	return 0;
}

static int do_domain_alloc(struct call *c)
{
	uint32_t dev, dom;
	int ret;

	if (arg_u32(c, 0, &dev))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_domain_alloc(fd, dev, &dom);
	if (ret)
		return refused(c, ret, "domain-alloc on dev %u", dev);
	hdoms = grow(hdoms, nhdoms, sizeof(*hdoms));
	hdoms[nhdoms++] = (struct held_dom){ .id = dom, .dev = dev };
	if (json) {
		jbegin("domain-alloc");
		jku("dev_id", dev);
		jku("domain_id", dom);
		jend();
	} else {
		printf("domain %u\n", dom);
	}
	c->made = dom;
	c->has_made = true;
	return 0;
}

/* Fill buf with a file's bytes (the rest stays zero). */
static int fill_from(struct call *c, const char *file, unsigned char *buf, uint64_t len)
{
	int ffd = open(file, O_RDONLY | O_CLOEXEC);
	uint64_t got = 0;

	if (ffd < 0)
		return refused_m(c->cmd->name, "", strerror(errno), -errno, "map: open %s", file);
	while (got < len) {
		ssize_t n = read(ffd, buf + got, len - got > (1 << 30) ? 1 << 30 : len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			close(ffd);
			return refused_m(c->cmd->name, "", strerror(err), -err, "map: read %s", file);
		}
		if (!n)
			break;
		got += n;
	}
	close(ffd);
	return 0;
}

static int do_map(struct call *c)
{
	const char *pat = optv(c, "--pattern"), *file = optv(c, "--file");
	uint32_t dom, flags = 0;
	uint64_t iova, len, p = 0xa5;
	void *buf;
	int ret;

	if (arg_u32(c, 0, &dom) || arg_num(c, 1, UINT64_MAX, &iova) || arg_num(c, 2, LEN_MAX, &len))
		return 2;
	if (!len)
		return bad(c->cmd, "LENGTH 0: map at least one page");
	if (pat && file)
		return bad(c->cmd, "--pattern and --file: give one of them");
	if (pat && num(c, pat, "--pattern BYTE", 255, &p))
		return 2;
	if (optv(c, "--read"))
		flags |= PASID_SHIM_MAP_READ;
	if (optv(c, "--write"))
		flags |= PASID_SHIM_MAP_WRITE;
	if (!flags)
		flags = PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE;
	/* The device first: nothing of LENGTH is touched if it cannot open. */
	OPEN_OR_RETURN(c);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (buf == MAP_FAILED)
		return refused_m("map", "", strerror(errno), -errno, "map: mmap of %llu bytes",
				 (unsigned long long)len);
	if (file) {
		if (fill_from(c, file, buf, len)) {
			munmap(buf, len);
			return 1;
		}
	} else {
		memset(buf, p, len);
	}
	/* The buffer stays for the life of the process: it is pinned. */
	ret = pshim_map(fd, dom, buf, len, iova, flags);
	if (ret) {
		munmap(buf, len);
		return refused(c, ret, "map 0x%llx bytes at iova 0x%llx in domain %u",
			       (unsigned long long)len, (unsigned long long)iova, dom);
	}
	held_map_add(dom, iova, len, 1);
	if (json) {
		jbegin("map");
		jku("domain_id", dom);
		jku("iova", iova);
		jku("length", len);
		jkb("read", flags & PASID_SHIM_MAP_READ);
		jkb("write", flags & PASID_SHIM_MAP_WRITE);
		jend();
	} else {
		printf("mapped 0x%llx bytes at iova 0x%llx in domain %u\n",
		       (unsigned long long)len, (unsigned long long)iova, dom);
	}
	return 0;
}

static int do_unmap(struct call *c)
{
	uint64_t iova, len, done = 0;
	uint32_t dom;
	int ret;

	if (arg_u32(c, 0, &dom) || arg_num(c, 1, UINT64_MAX, &iova) ||
	    arg_num(c, 2, UINT64_MAX, &len))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_unmap(fd, dom, iova, len, &done);
	if (ret)
		return refused(c, ret, "unmap 0x%llx bytes at iova 0x%llx in domain %u",
			       (unsigned long long)len, (unsigned long long)iova, dom);
	held_unmap(dom, iova, len);
	if (json) {
		jbegin("unmap");
		jku("domain_id", dom);
		jku("iova", iova);
		jku("length", len);
		jku("unmapped", done);
		jend();
	} else {
		printf("unmapped 0x%llx bytes from domain %u\n", (unsigned long long)done, dom);
	}
	return 0;
}

static int do_attach(struct call *c)
{
	bool attach = !strcmp(c->cmd->name, "attach");
	uint32_t dev, pasid, dom, old = 0;
	int ret;

	if (arg_u32(c, 0, &dev) || arg_u32(c, 1, &pasid) || arg_u32(c, 2, &dom))
		return 2;
	OPEN_OR_RETURN(c);
	ret = attach ? pshim_attach(fd, dev, pasid, dom) : pshim_replace(fd, dev, pasid, dom, &old);
	if (ret)
		return refused(c, ret, "%s pasid %u on dev %u", c->cmd->name, pasid, dev);
	if (json) {
		jbegin(c->cmd->name);
		jku("dev_id", dev);
		jku("pasid", pasid);
		jku("domain_id", dom);
		if (!attach)
			jku("old_domain_id", old);
		jend();
	} else if (attach) {
		printf("pasid %u of dev %u -> domain %u\n", pasid, dev, dom);
	} else {
		printf("pasid %u of dev %u -> domain %u (was %u)\n", pasid, dev, dom, old);
	}
	return 0;
}

static int do_detach(struct call *c)
{
	uint32_t dev, pasid;
	int ret;

	if (arg_u32(c, 0, &dev) || arg_u32(c, 1, &pasid))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_detach(fd, dev, pasid);
	if (ret)
		return refused(c, ret, "detach pasid %u on dev %u", pasid, dev);
	if (json) {
		jbegin("detach");
		jku("dev_id", dev);
		jku("pasid", pasid);
		jend();
	} else {
		printf("pasid %u of dev %u detached\n", pasid, dev);
	}
	return 0;
}

/* LIST of one device: the entries (malloc'ed) and their count, or -errno. */
static int list_all(uint32_t dev, struct pasid_shim_entry **out, uint32_t *count)
{
	struct pasid_shim_entry *e = NULL, *n;
	uint32_t cap = 0;
	int ret;

	for (;;) {
		ret = pshim_list(fd, dev, e, cap, count);
		if (ret || *count <= cap)
			break;
		cap = *count + 16;	/* attachments may grow in between */
		n = realloc(e, cap * sizeof(*e));
		if (!n) {
			ret = -ENOMEM;
			break;
		}
		e = n;
	}
	if (ret) {
		free(e);
		return ret;
	}
	*out = e;
	return 0;
}

static void jentries(const char *key, const struct pasid_shim_entry *e, uint32_t n)
{
	uint32_t i;

	jopen(key, '[');
	for (i = 0; i < n; i++) {
		jopen(NULL, '{');
		jku("pasid", e[i].pasid);
		jku("domain_id", e[i].domain_id);
		jclose('}');
	}
	jclose(']');
}

/* "  pasid 5 -> domain 2", runs of PASIDs on one domain as one line. */
static void print_entries(const char *indent, const struct pasid_shim_entry *e, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && e[j].pasid == e[j - 1].pasid + 1 &&
		     e[j].domain_id == e[i].domain_id; j++)
			;
		if (j - i > 2)
			printf("%spasids %u..%u -> domain %u\n", indent, e[i].pasid, e[j - 1].pasid,
			       e[i].domain_id);
		else
			for (; i < j; i++)
				printf("%spasid %u -> domain %u\n", indent, e[i].pasid, e[i].domain_id);
	}
}

static int do_list(struct call *c)
{
	struct pasid_shim_entry *e = NULL;
	uint32_t dev, count = 0, i;
	int ret;

	if (arg_u32(c, 0, &dev))
		return 2;
	OPEN_OR_RETURN(c);
	ret = list_all(dev, &e, &count);
	if (ret)
		return refused(c, ret, "list dev %u", dev);
	if (json) {
		jbegin("list");
		jku("dev_id", dev);
		jentries("entries", e, count);
		jend();
	} else {
		printf("dev %u: %u attached\n", dev, count);
		for (i = 0; i < count; i++)
			printf("  pasid %u domain %u\n", e[i].pasid, e[i].domain_id);
	}
	free(e);
	return 0;
}

static int do_destroy(struct call *c)
{
	uint32_t id;
	int ret;

	if (arg_u32(c, 0, &id))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_destroy(fd, id);
	if (ret)
		return refused(c, ret, "destroy %u", id);
	held_destroy(id);
	if (json) {
		jbegin("destroy");
		jku("id", id);
		jend();
	} else {
		printf("destroyed %u\n", id);
	}
	return 0;
}

static int do_many(struct call *c)
{
	bool attach = !strcmp(c->cmd->name, "attach-many");
	struct pasid_shim_entry *e;
	uint32_t dev, first, count, dom = 0, done = 0, i;
	uint64_t v;
	int ret;

	if (arg_u32(c, 0, &dev) || arg_u32(c, 1, &first) || arg_num(c, 2, 1u << 20, &v) ||
	    (attach && arg_u32(c, 3, &dom)))
		return 2;
	count = v;
	if (!count)
		return bad(c->cmd, "COUNT 0: give at least one PASID");
	if (first + (uint64_t)count - 1 > UINT32_MAX)
		return bad(c->cmd, "FIRST %u + COUNT %u goes beyond PASID 0xffffffff", first, count);
	OPEN_OR_RETURN(c);
	e = calloc(count, sizeof(*e));
	if (!e)
		return refused(c, -ENOMEM, "%s: %u entries", c->cmd->name, count);
	for (i = 0; i < count; i++) {
		e[i].pasid = first + i;
		e[i].domain_id = dom;
	}
	ret = attach ? pshim_attach_many(fd, dev, e, count, &done) :
		       pshim_detach_many(fd, dev, e, count, &done);
	free(e);
	if (ret)
		return refused(c, ret, "%s on dev %u: pasid %u (after %u done)", c->cmd->name, dev,
			       first + done, done);
	if (json) {
		jbegin(c->cmd->name);
		jku("dev_id", dev);
		jku("first", first);
		jku("count", count);
		if (attach)
			jku("domain_id", dom);
		jku("done", done);
		jend();
	} else {
		printf("%s pasids %u..%u of dev %u\n", attach ? "attached" : "detached",
		       first, first + count - 1, dev);
	}
	return 0;
}

static int do_map_many(struct call *c)
{
	struct pasid_shim_map_entry *e;
	uint32_t dom, count, done = 0, i;
	uint64_t iova, size, v;
	unsigned char *buf;
	int ret;

	if (arg_u32(c, 0, &dom) || arg_num(c, 1, UINT64_MAX, &iova) ||
	    arg_num(c, 2, 1u << 20, &v) || arg_num(c, 3, 1ULL << 30, &size))
		return 2;
	count = v;
	if (!count || !size)
		return bad(c->cmd, "COUNT and SIZE must be at least 1");
	if ((uint64_t)count * size > LEN_MAX)
		return bad(c->cmd, "COUNT %u x SIZE %llu is above 1T in all", count,
			   (unsigned long long)size);
	OPEN_OR_RETURN(c);
	e = calloc(count, sizeof(*e));
	if (!e)
		return refused(c, -ENOMEM, "map-many: %u entries", count);
	buf = mmap(NULL, count * size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED) {
		ret = -errno;
		free(e);
		return refused_m("map-many", "", strerror(-ret), ret, "map-many: mmap of %llu bytes",
				 (unsigned long long)count * size);
	}
	memset(buf, 0xa5, count * size);
	for (i = 0; i < count; i++) {
		e[i].user_va = (uintptr_t)buf + (uint64_t)i * size;
		e[i].length = size;
		e[i].iova = iova + (uint64_t)i * size;
	}
	/* The buffers stay for the life of the process: they are pinned. */
	ret = pshim_map_many(fd, dom, PASID_SHIM_MAP_READ | PASID_SHIM_MAP_WRITE, e, count, &done);
	free(e);
	if (done)
		held_map_add(dom, iova, size, done);
	if (ret)
		return refused(c, ret, "map-many into domain %u: buffer %u (after %u done)",
			       dom, done, done);
	if (json) {
		jbegin("map-many");
		jku("domain_id", dom);
		jku("iova", iova);
		jku("count", count);
		jku("size", size);
		jku("done", done);
		jend();
	} else {
		printf("mapped %u buffers of 0x%llx bytes from iova 0x%llx in domain %u\n",
		       count, (unsigned long long)size, (unsigned long long)iova, dom);
	}
	return 0;
}

static int do_pasid_alloc(struct call *c)
{
	uint32_t dev, pasid;
	int ret;

	if (arg_u32(c, 0, &dev))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_pasid_alloc(fd, dev, &pasid);
	if (ret)
		return refused(c, ret, "pasid-alloc on dev %u", dev);
	hpasids = grow(hpasids, nhpasids, sizeof(*hpasids));
	hpasids[nhpasids++] = pasid;
	if (json) {
		jbegin("pasid-alloc");
		jku("dev_id", dev);
		jku("pasid", pasid);
		jend();
	} else {
		printf("pasid %u\n", pasid);
	}
	c->made = pasid;
	c->has_made = true;
	return 0;
}

static int do_pasid_free(struct call *c)
{
	uint32_t pasid;
	int ret, i;

	if (arg_u32(c, 0, &pasid))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_pasid_free(fd, pasid);
	if (ret)
		return refused(c, ret, "pasid-free %u", pasid);
	for (i = 0; i < nhpasids; i++)
		if (hpasids[i] == pasid)
			hpasids[i--] = hpasids[--nhpasids];
	if (json) {
		jbegin("pasid-free");
		jku("pasid", pasid);
		jend();
	} else {
		printf("pasid %u freed\n", pasid);
	}
	return 0;
}

/* ---- check ----------------------------------------------------------------- */

static const char *iommu_name(uint32_t i)
{
	switch (i) {
	case PASID_SHIM_IOMMU_NONE: return "none";
	case PASID_SHIM_IOMMU_INTEL_VTD: return "intel-vtd";
	case PASID_SHIM_IOMMU_AMD_VI: return "amd-vi";
	case PASID_SHIM_IOMMU_ARM_SMMUV3: return "arm-smmuv3";
	default: return "other";
	}
}

static const char *iommu_text(uint32_t i)
{
	switch (i) {
	case PASID_SHIM_IOMMU_NONE: return "none";
	case PASID_SHIM_IOMMU_INTEL_VTD: return "Intel VT-d";
	case PASID_SHIM_IOMMU_AMD_VI: return "AMD-Vi";
	case PASID_SHIM_IOMMU_ARM_SMMUV3: return "Arm SMMUv3";
	default: return "another IOMMU";
	}
}

/* The devices of its IOMMU group, from sysfs. */
static int group_list(const char *dev, char names[][32], int max)
{
	char path[160];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/devices", dev);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max)
		if (d->d_name[0] != '.')
			snprintf(names[n++], 32, "%.31s", d->d_name);
	closedir(dir);
	return n;
}

static const char *dma_owner(const struct pasid_shim_check *r, bool exclusive)
{
	if (r->out_missing & PASID_SHIM_MISSING_UNBOUND)
		return "pasid-shim (another open file)";
	if (r->out_have & PASID_SHIM_HAVE_DRIVER_MANAGED_DMA)
		return "its driver (VFIO or another user-space owner)";
	if (r->out_have & PASID_SHIM_HAVE_DRIVER)
		return "the kernel's DMA API, for its driver";
	return exclusive ? "none: free for an exclusive bind" : "none";
}

static int do_check(struct call *c)
{
	bool excl = optv(c, "--exclusive");
	const char *name = c->pos[0];
	struct pasid_shim_check r;
	char group[16][32];
	uint32_t bit, h;
	int ret, ng, i, berr = 0;
	bool ready;

	if (pci_name_arg(c, name))
		return 2;
	OPEN_OR_RETURN(c);
	ret = pshim_check(fd, name, excl ? PASID_SHIM_BIND_EXCLUSIVE : 0, &r);
	if (ret)
		return refused(c, ret, "check %s", name);
	h = r.out_have;
	ready = !r.out_missing;
	ng = group_list(name, group, 16);
	for (bit = 1; bit && !berr; bit <<= 1)
		if (r.out_missing & bit)
			pshim_check_missing(bit, NULL, &berr, NULL);
	if (json) {
		jbegin("check");
		jks("pci_name", name);
		jkb("exclusive", excl);
		jkb("ready", ready);
		jks("bind_error", berr ? strerrorname_np(-berr) : "");
		jks("iommu", iommu_name(r.out_iommu));
		jkb("iommu_usable", r.out_iommu != PASID_SHIM_IOMMU_NONE &&
		    !(r.out_missing & (PASID_SHIM_MISSING_IOMMU | PASID_SHIM_MISSING_PAGING_PASID |
				       PASID_SHIM_MISSING_GUARDED)));
		jkb("scalable", h & PASID_SHIM_HAVE_SCALABLE);
		jkb("pasid_cap", h & PASID_SHIM_HAVE_PASID_CAP);
		jkb("pasid_enabled", h & PASID_SHIM_HAVE_PASID_ENABLED);
		jkb("pasid_exec", h & PASID_SHIM_HAVE_PASID_EXEC);
		jkb("pasid_priv", h & PASID_SHIM_HAVE_PASID_PRIV);
		jku("dev_pasid_width", r.out_dev_pasid_width);
		jku("max_pasid_log2", r.out_max_pasid_log2);
		jkb("ats", h & PASID_SHIM_HAVE_ATS);
		jkb("pri", h & PASID_SHIM_HAVE_PRI);
		jkb("paging_pasid", h & PASID_SHIM_HAVE_PAGING_PASID);
		jku("group_devices", r.out_group_devices);
		jopen("group", '[');
		for (i = 0; i < ng; i++) {
			jkey(NULL);
			jstr(group[i]);
		}
		jclose(']');
		jks("driver", (char *)r.out_driver);
		jkb("driver_managed_dma", h & PASID_SHIM_HAVE_DRIVER_MANAGED_DMA);
		jks("dma_owner", dma_owner(&r, excl));
		jku("vtd_cap", r.out_vtd_cap);
		jku("vtd_ecap", r.out_vtd_ecap);
		jku("have", h);
		jku("missing", r.out_missing);
		jopen("missing_list", '[');
		for (bit = 1; bit; bit <<= 1) {
			const char *why, *bname, *fix;
			int err;

			if (!(r.out_missing & bit))
				continue;
			why = pshim_check_missing(bit, &bname, &err, &fix);
			jopen(NULL, '{');
			jks("name", why ? bname : "unknown");
			jku("bit", bit);
			jks("errno", err ? strerrorname_np(-err) : "");
			jks("why", why ? why : "a requirement this pasidctl does not know");
			jks("fix", why ? fix : "");
			jclose('}');
		}
		jclose(']');
		jend();
		return ready ? 0 : 1;
	}
	printf("%s: a%s bind %s\n", name, excl ? "n exclusive" : " shared",
	       ready ? "would succeed" : "would fail");
	if (berr)
		printf("  (with %s)\n", strerrorname_np(-berr));
	printf("  IOMMU             %s%s\n", iommu_text(r.out_iommu),
	       r.out_iommu == PASID_SHIM_IOMMU_NONE ? "" :
	       r.out_missing & (PASID_SHIM_MISSING_IOMMU | PASID_SHIM_MISSING_PAGING_PASID |
				PASID_SHIM_MISSING_GUARDED) ? ", not usable here" : ", usable here");
	if (r.out_iommu == PASID_SHIM_IOMMU_INTEL_VTD)
		printf("  scalable mode     %s\n", h & PASID_SHIM_HAVE_SCALABLE ? "yes" : "no");
	if (h & PASID_SHIM_HAVE_PASID_CAP)
		printf("  PASID capability  yes, %s, %u bits; EXEC %s, PRIV %s\n",
		       h & PASID_SHIM_HAVE_PASID_ENABLED ? "enabled" : "not enabled",
		       r.out_dev_pasid_width, h & PASID_SHIM_HAVE_PASID_EXEC ? "yes" : "no",
		       h & PASID_SHIM_HAVE_PASID_PRIV ? "yes" : "no");
	else
		printf("  PASID capability  no\n");
	if (r.out_max_pasid_log2)
		printf("  PASIDs given      %u bits: 1..%llu\n", r.out_max_pasid_log2,
		       (1ULL << r.out_max_pasid_log2) - 1);
	else
		printf("  PASIDs given      none\n");
	printf("  ATS, PRI          %s, %s\n", h & PASID_SHIM_HAVE_ATS ? "yes" : "no",
	       h & PASID_SHIM_HAVE_PRI ? "yes" : "no");
	printf("  IOMMU group       %u device%s%s", r.out_group_devices,
	       r.out_group_devices == 1 ? "" : "s", r.out_group_devices == 1 ? " (alone)" : "");
	for (i = 0; i < ng; i++)
		printf("%s%s", i ? ", " : ": ", group[i]);
	printf("\n  driver            %s%s\n", r.out_driver[0] ? (char *)r.out_driver : "none",
	       h & PASID_SHIM_HAVE_DRIVER_MANAGED_DMA ? " (manages DMA itself)" : "");
	printf("  DMA owner         %s\n", dma_owner(&r, excl));
	if (r.out_iommu == PASID_SHIM_IOMMU_INTEL_VTD)
		printf("  VT-d CAP, ECAP    0x%016llx, 0x%016llx\n",
		       (unsigned long long)r.out_vtd_cap, (unsigned long long)r.out_vtd_ecap);
	if (!ready)
		printf("missing:\n");
	for (bit = 1; bit; bit <<= 1) {
		const char *why, *bname, *fix;
		int err;

		if (!(r.out_missing & bit))
			continue;
		why = pshim_check_missing(bit, &bname, &err, &fix);
		if (!why) {
			printf("  bit 0x%x: a requirement this pasidctl does not know\n", bit);
			continue;
		}
		printf("  %s%s%s%s: %s\n", bname, err ? " (" : "", err ? strerrorname_np(-err) : "",
		       err ? ")" : "", why);
		if (*fix)
			printf("      fix: %s\n", fix);
		if (bit == PASID_SHIM_MISSING_GROUP_ALONE && ng > 1)
			printf("      the group: %d devices (above)\n", ng);
	}
	return ready ? 0 : 1;
}

/* ---- status ---------------------------------------------------------------- */

static int do_status(struct call *c)
{
	const char *stat_keys[] = { "devices", "domains", "attachments", "pinned_pages", "pasids" };
	long stats[5] = { 0 };
	struct pasid_shim_entry *e = NULL;
	char line[256], key[64];
	FILE *f, *sf;
	int ndev = 0, i;
	size_t ne = 0, cap = 0;
	long v;

	(void)c;
	if (access("/sys/module/pasid_shim", F_OK))
		return refused_m("status", "", "pasid_shim is not loaded (modprobe pasid_shim)",
				 -ENOENT, "status");
	sf = fopen(DEBUGFS "/stats", "r");
	if (!sf) {
		int err = errno;

		return refused_m("status", "", err == ENOENT ?
				 "debugfs is not mounted (mount -t debugfs none /sys/kernel/debug)" :
				 err == EACCES || err == EPERM ? "reading debugfs needs root" :
				 strerror(err), -err, "status: " DEBUGFS "/stats");
	}
	while (fscanf(sf, "%63s %ld", key, &v) == 2)
		for (i = 0; i < 5; i++)
			if (!strcmp(key, stat_keys[i]))
				stats[i] = v;
	fclose(sf);
	f = fopen(DEBUGFS "/devices", "r");
	if (!f)
		return refused_m("status", "", strerror(errno), -errno, "status: " DEBUGFS "/devices");
	if (json) {
		jbegin("status");
		jopen("stats", '{');
		for (i = 0; i < 5; i++)
			jku(stat_keys[i], stats[i]);
		jclose('}');
		jopen("devices", '[');
	} else {
		printf("%ld device%s bound, %ld domain%s, %ld PASID%s attached, %ld page%s pinned, "
		       "%ld PASID%s allocated\n", stats[0], stats[0] == 1 ? "" : "s", stats[1],
		       stats[1] == 1 ? "" : "s", stats[2], stats[2] == 1 ? "" : "s", stats[3],
		       stats[3] == 1 ? "" : "s", stats[4], stats[4] == 1 ? "" : "s");
	}
	/* "device NAME shared|exclusive live|dead", then its "pasid N domain ID" lines. */
	for (;;) {
		char dname[64] = "", mode[16] = "", state[16] = "";
		bool eof = !fgets(line, sizeof(line), f);
		unsigned int p, d;

		if (eof || sscanf(line, "device %63s %15s %15s", dname, mode, state) == 3) {
			if (ndev) {	/* the device before this one is complete */
				if (json) {
					jentries("attached", e, ne);
					jclose('}');
				} else {
					print_entries("  ", e, ne);
				}
			}
			if (eof)
				break;
			ne = 0;
			ndev++;
			if (json) {
				jopen(NULL, '{');
				jks("pci_name", dname);
				jks("mode", mode);
				jks("state", state);
			} else {
				printf("%s %s %s\n", dname, mode, state);
			}
		} else if (sscanf(line, "pasid %u domain %u", &p, &d) == 2) {
			if (ne == cap) {
				struct pasid_shim_entry *n = realloc(e, (cap * 2 + 64) * sizeof(*e));

				if (!n) {
					fprintf(stderr, "pasidctl: out of memory\n");
					exit(1);
				}
				e = n;
				cap = cap * 2 + 64;
			}
			e[ne++] = (struct pasid_shim_entry){ .pasid = p, .domain_id = d };
		}
	}
	fclose(f);
	free(e);
	if (json) {
		jclose(']');
		jend();
	} else if (!ndev) {
		printf("no device bound\n");
	} else {
		printf("(domain IDs are those of the open file that holds each device)\n");
	}
	return 0;
}

/* ---- hold ------------------------------------------------------------------ */

static void print_held(sigset_t *set)
{
	int i, j, sigs[] = { SIGINT, SIGTERM, SIGHUP };

	if (json) {
		jbegin("hold");
		jks("state", "holding");
		jku("pid", getpid());
		jopen("signals", '[');
		for (i = 0; i < 3; i++)
			if (sigismember(set, sigs[i])) {
				jkey(NULL);
				jstr(sigabbrev_np(sigs[i]));
			}
		jclose(']');
		jopen("devices", '[');
	} else {
		printf("holding until SIG");
		for (i = j = 0; i < 3; i++)
			if (sigismember(set, sigs[i]))
				printf("%s%s", j++ ? " or SIG" : "", sigabbrev_np(sigs[i]));
		printf(" (pid %d):\n", (int)getpid());
	}
	for (i = 0; i < nhdevs; i++) {
		struct held_dev *d = &hdevs[i];
		struct pasid_shim_entry *e = NULL;
		uint32_t n = 0;
		int ret = d->gone ? -ENOENT : list_all(d->id, &e, &n);

		if (d->gone)
			continue;
		if (json) {
			jopen(NULL, '{');
			jku("dev_id", d->id);
			jks("pci_name", d->name);
			jkb("exclusive", d->exclusive);
			jku("max_pasid", d->max);
			jks("state", ret ? "gone" : "live");
			if (*d->var)
				jks("name", d->var);
			jentries("attached", e, n);
			jclose('}');
		} else {
			printf("  dev %u%s%s%s: %s %s%s, %u PASID%s attached\n", d->id,
			       *d->var ? " ($" : "", d->var, *d->var ? ")" : "", d->name,
			       d->exclusive ? "exclusive" : "shared", ret ? ", gone" : "", n,
			       n == 1 ? "" : "s");
			print_entries("    ", e, n);
		}
		free(e);
	}
	if (json) {
		jclose(']');
		jopen("domains", '[');
	}
	for (i = 0; i < nhdoms; i++) {
		struct held_dom *m = &hdoms[i];

		if (json) {
			jopen(NULL, '{');
			jku("domain_id", m->id);
			jku("dev_id", m->dev);
			if (*m->var)
				jks("name", m->var);
			jopen("mappings", '[');
		} else {
			printf("  domain %u%s%s%s of dev %u\n", m->id, *m->var ? " ($" : "", m->var,
			       *m->var ? ")" : "", m->dev);
		}
		for (j = 0; j < nhmaps; j++) {
			struct held_map *h = &hmaps[j];

			if (h->dom != m->id || !h->count)
				continue;
			if (json) {
				jopen(NULL, '{');
				jku("iova", h->iova);
				jku("size", h->size);
				jku("count", h->count);
				jclose('}');
			} else if (h->count == 1) {
				printf("    0x%llx bytes at iova 0x%llx\n", (unsigned long long)h->size,
				       (unsigned long long)h->iova);
			} else {
				printf("    %u buffers of 0x%llx bytes from iova 0x%llx\n", h->count,
				       (unsigned long long)h->size, (unsigned long long)h->iova);
			}
		}
		if (json) {
			jclose(']');
			jclose('}');
		}
	}
	if (json) {
		jclose(']');
		jopen("pasids", '[');
		for (i = 0; i < nhpasids; i++)
			jku(NULL, hpasids[i]);
		jclose(']');
		jend();
	} else {
		for (i = 0; i < nhpasids; i++)
			printf("  pasid %u allocated\n", hpasids[i]);
	}
	fflush(stdout);
}

/*
 * Keep the file and everything it holds until SIGINT, SIGTERM or
 * SIGHUP (SIGHUP only if not ignored, as under nohup): waited for with
 * sigwaitinfo(), so a shell's SIG_IGN for SIGINT in background jobs
 * does not keep it from ending.
 */
static int hold_here(struct call *c)
{
	sigset_t set, old;
	struct sigaction sa;
	siginfo_t info;
	int sig;

	OPEN_OR_RETURN(c);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (!sigaction(SIGHUP, NULL, &sa) && sa.sa_handler != SIG_IGN)
		sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	print_held(&set);
	do {
		sig = sigwaitinfo(&set, &info);
	} while (sig < 0 && errno == EINTR);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (json) {
		jbegin("hold");
		jks("state", "released");
		jks("signal", sig > 0 ? sigabbrev_np(sig) : "?");
		jend();
	} else {
		printf("released on SIG%s\n", sig > 0 ? sigabbrev_np(sig) : "?");
		fflush(stdout);
	}
	return 0;
}

/* `hold [FILE]` on the command line: the script, then hold; in a script: hold. */
static int do_hold(struct call *c)
{
	if (!script_name) {
		const char *what = c->npos ? c->pos[0] : "-";
		FILE *in = stdin;
		int ret;

		if (strcmp(what, "-")) {
			in = fopen(what, "r");
			if (!in)
				return bad(c->cmd, "cannot open FILE '%s': %s", what, strerror(errno));
		}
		ret = run_script(in, strcmp(what, "-") ? what : "stdin");
		if (in != stdin)
			fclose(in);
		script_name = NULL;
		if (ret)
			return ret;
	} else if (c->npos) {
		return bad(c->cmd, "in a script, hold takes no FILE");
	}
	return hold_here(c);
}

static int do_script(struct call *c)
{
	const char *what = c->npos ? c->pos[0] : "-";
	FILE *in = stdin;
	int ret;

	if (script_name)
		return bad(c->cmd, "script cannot nest");
	if (strcmp(what, "-")) {
		in = fopen(what, "r");
		if (!in)
			return bad(c->cmd, "cannot open FILE '%s': %s", what, strerror(errno));
	}
	ret = run_script(in, strcmp(what, "-") ? what : "stdin");
	if (in != stdin)
		fclose(in);
	script_name = NULL;
	return ret;
}

/* ---- help, version, completion ------------------------------------------- */

static void print_overview(FILE *f)
{
	const struct cmd *c;
	char syn[256];

	fprintf(f, "usage: pasidctl [OPTIONS] COMMAND [ARGS]   (options anywhere on the line)\n"
		"options:\n"
		"  -j, --json          JSON: one object per command and per error on stdout,\n"
		"                      nothing else (docs/pasidctl-json.md)\n"
		"  -p, --pretty        indented JSON (implies --json)\n"
		"  -d, --device PATH   the node (default " PSHIM_DEVNODE ")\n"
		"  -h, --help          this; with a command, that command's help\n"
		"  -V, --version       versions of pasidctl, libpasidshim and the module\n"
		"commands:\n");
	for (c = cmds; c->name; c++) {
		synopsis(c, syn, sizeof(syn));
		if (strlen(syn + 9) <= 34)
			fprintf(f, "  %-34s %s\n", syn + 9, c->summary);
		else
			fprintf(f, "  %s\n  %-34s %s\n", syn + 9, "", c->summary);
	}
	fprintf(f, "Numbers take 0x and K/M/G/T suffixes. Objects die when pasidctl exits,\n"
		"so a sequence runs as a script; `hold` keeps them until a signal.\n"
		"Exit status: 0 done, 1 refused (errno and meaning printed), 2 bad usage.\n"
		"`pasidctl help COMMAND` and pasidctl(8) say more.\n");
}

static void print_cmd_help(const struct cmd *c)
{
	char syn[256];
	const struct opt *o;

	synopsis(c, syn, sizeof(syn));
	if (json) {
		jbegin("help");
		jks("command", c->name);
		jks("usage", syn);
		jks("summary", c->summary);
		jks("help", c->help);
		jopen("options", '[');
		for (o = c->opts; o->name; o++) {
			jopen(NULL, '{');
			jks("name", o->name);
			jks("arg", o->arg ? o->arg : "");
			jks("help", o->help);
			jclose('}');
		}
		jclose(']');
		jend();
		return;
	}
	printf("usage: %s\n%s\n\n%s\n", syn, c->summary, c->help);
	if (c->opts[0].name)
		printf("\noptions:\n");
	for (o = c->opts; o->name; o++) {
		char n[64];

		snprintf(n, sizeof(n), "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-18s %s\n", n, o->help);
	}
}

static int overview(void)
{
	const struct cmd *c;
	char syn[256];

	if (!json) {
		print_overview(stdout);
		return 0;
	}
	jbegin("help");
	jks("usage", "pasidctl [OPTIONS] COMMAND [ARGS]");
	jopen("commands", '[');
	for (c = cmds; c->name; c++) {
		synopsis(c, syn, sizeof(syn));
		jopen(NULL, '{');
		jks("name", c->name);
		jks("usage", syn);
		jks("summary", c->summary);
		jclose('}');
	}
	jclose(']');
	jend();
	return 0;
}

static int do_help(struct call *c)
{
	const struct cmd *h;

	if (!c->npos)
		return overview();
	h = find_cmd(c->pos[0]);
	if (!h)
		return bad(c->cmd, "COMMAND '%s' is no command of pasidctl", c->pos[0]);
	print_cmd_help(h);
	return 0;
}

static int version(void)
{
	char mod[32];

	module_version(mod, sizeof(mod));
	if (json) {
		jbegin("version");
		jks("pasidctl", PSHIM_VERSION);
		jks("library", pshim_version());
		jks("module", mod);
		jku("abi_version", PASID_SHIM_ABI_VERSION);
		jend();
		return 0;
	}
	printf("pasidctl %s (libpasidshim %s, uAPI ABI %d", PSHIM_VERSION, pshim_version(),
	       PASID_SHIM_ABI_VERSION);
	if (*mod)
		printf(", module %s loaded", mod);
	printf(")\n");
	return 0;
}

static int do_version(struct call *c)
{
	(void)c;
	return version();
}

/*
 * A bash completion script made from the table (installed as
 * bash-completion/completions/pasidctl): commands, options, and for
 * positionals PCI names, files or command names.
 */
static int do_completion(struct call *c)
{
	const struct cmd *k;
	const struct opt *o;

	if (c->npos && strcmp(c->pos[0], "bash"))
		return bad(c->cmd, "SHELL '%s': only bash", c->pos[0]);
	printf("# bash completion for pasidctl %s, made by `pasidctl completion bash`\n"
	       "# from its command table: do not edit.\n"
	       "_pasidctl()\n{\n"
	       "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	       "\tlocal globals='-j --json -p --pretty -d --device -h --help -V --version'\n"
	       "\tlocal cmds='", PSHIM_VERSION);
	for (k = cmds; k->name; k++)
		printf("%s%s", k == cmds ? "" : " ", k->name);
	printf("'\n\tlocal i w cmd= n=0 opts= kinds= valopts='-d --device");
	for (k = cmds; k->name; k++)
		for (o = k->opts; o->name; o++)
			if (o->arg)
				printf(" %s", o->name);
	printf("'\n"
	       "\tcase $prev in\n"
	       "\t-d|--device|--file) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	       "\t--pattern) return ;;\n"
	       "\tesac\n"
	       "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\tw=${COMP_WORDS[i]}\n"
	       "\t\tcase \" $valopts \" in *\" $w \"*) i=$((i + 1)); continue ;; esac\n"
	       "\t\tcase $w in -*) continue ;; esac\n"
	       "\t\tif [ -z \"$cmd\" ]; then cmd=$w; else n=$((n + 1)); fi\n"
	       "\tdone\n"
	       "\tif [ -z \"$cmd\" ]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$cmds $globals\" -- \"$cur\"))\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tcase $cmd in\n");
	for (k = cmds; k->name; k++) {
		printf("\t%s) opts='", k->name);
		for (o = k->opts; o->name; o++)
			printf("%s%s", o == k->opts ? "" : " ", o->name);
		printf("'; kinds='%s' ;;\n", k->kinds);
	}
	printf("\tesac\n"
	       "\tif [[ $cur == -* ]]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W \"$opts $globals\" -- \"$cur\"))\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tlocal kind=${kinds:n:1}\n"
	       "\tcase $kind in\n"
	       "\tp) COMPREPLY=($(compgen -W \"$(ls /sys/bus/pci/devices 2>/dev/null)\" -- \"$cur\")) ;;\n"
	       "\tf) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	       "\tc) COMPREPLY=($(compgen -W \"$cmds\" -- \"$cur\")) ;;\n"
	       "\tesac\n"
	       "}\n"
	       "complete -F _pasidctl pasidctl\n");
	return 0;
}

/* ---- the table -------------------------------------------------------------- */

static const struct cmd cmds[] = {
	{ "info", "", 0, 0, "", {}, C_OPEN, "ABI version and features of the module",
	  "Prints the module's ABI version, whether REPLACE is the kernel's atomic replace or\n"
	  "emulated by detach and attach, and whether pasid-alloc works on this kernel.",
	  do_info },
	{ "check", "PCI_NAME", 1, 1, "p",
	  { { "--exclusive", NULL, "judge an exclusive bind instead of a shared one" } }, C_OPEN,
	  "what a bind of the device would find, and what is missing",
	  "Reports the device without binding it (PASID_SHIM_CHECK): its IOMMU and whether it is\n"
	  "usable here, VT-d scalable mode, the PASID capability and its width, EXEC and PRIV,\n"
	  "ATS and PRI, the PASIDs the IOMMU gives it, its IOMMU group, its driver and DMA owner;\n"
	  "then each requirement of bind it does not meet, with the errno bind would fail with\n"
	  "and the fix. Exits 0 if a bind would succeed now, 1 if not.",
	  do_check },
	{ "bind", "PCI_NAME", 1, 1, "p",
	  { { "--exclusive", NULL, "take a driverless device's DMA ownership" } }, C_OPEN,
	  "bind a device, e.g. 0000:01:00.0",
	  "Binds the PCI device on this open file and prints its ID and PASID range. Shared (the\n"
	  "default): beside its kernel driver, whose DMA ownership keeps VFIO away; the binding\n"
	  "ends when that driver is unbound. --exclusive: the device must have no driver; the\n"
	  "module takes its DMA ownership and blocks its RID until the binding is destroyed.",
	  do_bind },
	{ "domain-alloc", "DEV", 1, 1, "-", {}, C_OPEN, "new paging domain of DEV's IOMMU",
	  "Allocates an empty paging domain of the bound device's IOMMU and prints its ID.",
	  do_domain_alloc },
	{ "map", "DOMAIN IOVA LENGTH", 3, 3, "---",
	  { { "--pattern", "BYTE", "fill the memory with BYTE (default 0xa5)" },
	    { "--file", "PATH", "fill it from a file (the rest stays zero)" },
	    { "--read", NULL, "device may read (default: read and write)" },
	    { "--write", NULL, "device may write" } }, C_OPEN, "pin and map memory at IOVA",
	  "Pins LENGTH bytes (at most 1T) of fresh memory, filled with a pattern or a file, and\n"
	  "maps them at IOVA of the domain. The pages are charged to RLIMIT_MEMLOCK unless the\n"
	  "caller has CAP_IPC_LOCK, and stay pinned until unmapped or pasidctl exits.",
	  do_map },
	{ "unmap", "DOMAIN IOVA LENGTH", 3, 3, "---", {}, C_OPEN,
	  "unmap whole mappings in the range",
	  "Unmaps every mapping wholly inside [IOVA, IOVA + LENGTH) and prints the bytes unmapped;\n"
	  "a mapping that straddles an edge is an error, and nothing is removed then.",
	  do_unmap },
	{ "attach", "DEV PASID DOMAIN", 3, 3, "---", {}, C_OPEN, "attach DOMAIN to PASID of DEV",
	  "Attaches the domain to the PASID of the bound device; the PASID must have no domain\n"
	  "(EBUSY otherwise: use replace).",
	  do_attach },
	{ "replace", "DEV PASID DOMAIN", 3, 3, "---", {}, C_OPEN, "swap the PASID's domain",
	  "Puts DOMAIN in place of the PASID's current domain and prints the old one; atomic where\n"
	  "the kernel has iommu_replace_device_pasid() (see info), else detach and attach.",
	  do_attach },
	{ "detach", "DEV PASID", 2, 2, "--", {}, C_OPEN, "detach the PASID",
	  "Detaches the PASID's domain (ENOENT if it has none).", do_detach },
	{ "attach-many", "DEV FIRST COUNT DOMAIN", 4, 4, "----", {}, C_OPEN,
	  "attach PASIDs FIRST..FIRST+COUNT-1 in one call",
	  "Attaches DOMAIN to COUNT (at most 1M) PASIDs from FIRST with one ATTACH_MANY; on a\n"
	  "refusal, says which PASID and how many were attached before it (they stay).",
	  do_many },
	{ "detach-many", "DEV FIRST COUNT", 3, 3, "---", {}, C_OPEN, "detach them in one call",
	  "Detaches COUNT PASIDs from FIRST with one DETACH_MANY.", do_many },
	{ "map-many", "DOMAIN IOVA COUNT SIZE", 4, 4, "----", {}, C_OPEN,
	  "COUNT buffers of SIZE bytes at IOVA, IOVA+SIZE...",
	  "Maps COUNT (at most 1M) fresh buffers of SIZE (at most 1G) bytes, 1T in all, at\n"
	  "IOVA, IOVA+SIZE, ... with one MAP_MANY.",
	  do_map_many },
	{ "list", "DEV", 1, 1, "-", {}, C_OPEN, "attached PASIDs in order",
	  "Lists the attached PASIDs of the bound device in order, with their domains.", do_list },
	{ "destroy", "ID", 1, 1, "-", {}, C_OPEN, "destroy a domain or a device",
	  "Destroys a domain (not while attached) or a bound device (its PASIDs are detached and\n"
	  "its exclusive ownership given back first).",
	  do_destroy },
	{ "pasid-alloc", "DEV", 1, 1, "-", {}, C_OPEN, "a PASID from the kernel's allocator",
	  "Gets a PASID from the kernel's global allocator (the one SVA uses), below the device's\n"
	  "PASID width, held until pasid-free or exit; a script can name it like an ID.",
	  do_pasid_alloc },
	{ "pasid-free", "PASID", 1, 1, "-", {}, C_OPEN, "give it back",
	  "Gives back a PASID from pasid-alloc; it must not be attached.", do_pasid_free },
	{ "status", "", 0, 0, "", {}, 0, "what is bound system-wide (root)",
	  "Lists every device bound by any open file, its mode and state and its attached PASIDs,\n"
	  "with the module's counts, from " DEBUGFS "/ (root, debugfs mounted). Domain IDs are\n"
	  "those of the file that holds each device.",
	  do_status },
	{ "hold", "[FILE]", 0, 1, "f", {}, 0,
	  "keep it all until SIGINT or SIGTERM",
	  "On the command line: runs FILE (or stdin, as script does), then keeps the open file and\n"
	  "everything it made, prints what is held and waits for SIGINT, SIGTERM or SIGHUP (unless\n"
	  "SIGHUP is ignored, as under nohup); on the signal everything is released and pasidctl\n"
	  "exits 0. As a line of a script: holds there, and the script goes on after the signal.\n"
	  "Meanwhile another program can run the device's DMA against what is attached.",
	  do_hold },
	{ "script", "[FILE]", 0, 1, "f", {}, C_TOP | C_SCRIPT,
	  "run commands from FILE (or stdin) on one open file",
	  "Runs one command per line from FILE or standard input on one open file. A line\n"
	  "'NAME = COMMAND ...' keeps the ID the command made and '$NAME' uses it; '#' starts a\n"
	  "comment. The script stops at the first command that fails, with its exit status.",
	  do_script },
	{ "echo", "[WORDS...]", 0, -1, "", {}, 0, "print WORDS (a marker in scripts)",
	  "Prints its words (in JSON, as {\"cmd\":\"echo\",\"text\":...}).", do_echo },
	{ "help", "[COMMAND]", 0, 1, "c", {}, 0, "this list, or one command's help",
	  "Prints the list of commands, or the help of one.", do_help },
	{ "version", "", 0, 0, "", {}, 0, "versions of pasidctl, libpasidshim and the module",
	  "The same as -V: pasidctl's version, the library's, the uAPI ABI and the loaded\n"
	  "module's version.", do_version },
	{ "completion", "[SHELL]", 0, 1, "", {}, C_TOP, "print the bash completion script",
	  "Prints a bash completion script made from this command table.", do_completion },
	{ NULL }
};

static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *c;

	for (c = cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* ---- parsing ---------------------------------------------------------------- */

/*
 * One command's words: the command, its options (anywhere) and its
 * positionals. top: from pasidctl's own command line, where the global
 * options (already taken out by main) were; in a script they are not.
 */
static int run_words(int argc, char **argv, bool top, struct call *c, bool want_help)
{
	bool dashdash = false;
	int i;

	memset(c, 0, sizeof(*c));
	c->cmd = find_cmd(argv[0]);
	if (!c->cmd)
		return bad(NULL, "'%s' is no command of pasidctl", argv[0]);
	if (!top && c->cmd->flags & C_TOP)
		return bad(c->cmd, "works on pasidctl's command line only");
	for (i = 1; i < argc; i++) {
		char *w = argv[i], *eq;
		int k;

		if (dashdash || w[0] != '-' || !w[1]) {
			if (c->npos == MAX_WORDS)
				return bad(c->cmd, "too many arguments");
			c->pos[c->npos++] = w;
			continue;
		}
		if (!strcmp(w, "--")) {
			dashdash = true;
			continue;
		}
		if (!strcmp(w, "-h") || !strcmp(w, "--help")) {
			want_help = true;
			continue;
		}
		eq = strchr(w, '=');
		if (eq)
			*eq = 0;
		k = opt_index(c->cmd, w);
		if (k < 0) {
			if (!top && (!strcmp(w, "-j") || !strcmp(w, "--json") || !strcmp(w, "-p") ||
				     !strcmp(w, "--pretty") || !strcmp(w, "-d") ||
				     !strcmp(w, "--device") || !strcmp(w, "-V") ||
				     !strcmp(w, "--version")))
				return bad(c->cmd, "%s goes on pasidctl's command line, not in a script",
					   w);
			return bad(c->cmd, "no option %s (pasidctl help %s lists them)", w,
				   c->cmd->name);
		}
		if (!c->cmd->opts[k].arg) {
			if (eq)
				return bad(c->cmd, "%s takes no value", w);
			c->opt[k] = "";
		} else if (eq) {
			c->opt[k] = eq + 1;
		} else if (i + 1 < argc) {
			c->opt[k] = argv[++i];
		} else {
			return bad(c->cmd, "%s needs a %s", w, c->cmd->opts[k].arg);
		}
	}
	if (want_help) {
		print_cmd_help(c->cmd);
		return 0;
	}
	if (c->npos < c->cmd->min) {
		char what[32];

		arg_name(c->cmd, c->npos, what, sizeof(what));
		return bad(c->cmd, "%s is missing", what);
	}
	if (c->cmd->max >= 0 && c->npos > c->cmd->max)
		return bad(c->cmd, "one argument too many: '%s'", c->pos[c->cmd->max]);
	return c->cmd->fn(c);
}

static int run_script(FILE *in, const char *what)
{
	char line[4096];

	script_name = what;
	script_line = 0;
	while (fgets(line, sizeof(line), in)) {
		char *argv[MAX_WORDS + 3], *tok, *save = NULL, *hash, *name = NULL;
		struct call c;
		int argc = 0, ret, i;

		script_line++;
		if (!strchr(line, '\n') && !feof(in))
			return bad(NULL, "line too long");
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		for (tok = strtok_r(line, " \t\r\n", &save); tok;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			if (argc == MAX_WORDS + 2)
				return bad(NULL, "too many words");
			argv[argc++] = tok;
		}
		if (!argc)
			continue;
		if (argc >= 2 && !strcmp(argv[1], "=")) {
			name = argv[0];
			if (argc == 2)
				return bad(NULL, "'%s =' needs a command after it", name);
			if (strlen(name) >= sizeof(vars[0].name) || !isalpha((unsigned char)*name))
				return bad(NULL, "bad name '%s' (a letter, then up to 30 more)", name);
			for (i = 1; name[i]; i++)
				if (!isalnum((unsigned char)name[i]) && name[i] != '_')
					return bad(NULL, "bad name '%s' (letters, digits, _)", name);
			memmove(argv, argv + 2, (argc - 2) * sizeof(*argv));
			argc -= 2;
		}
		argv[argc] = NULL;
		ret = run_words(argc, argv, false, &c, false);
		/* Line by line, so whoever feeds the script can follow it. */
		fflush(stdout);
		if (ret) {
			if (!json)
				fprintf(stderr, "pasidctl: stopped at %s:%d\n", what, script_line);
			return ret;
		}
		if (name) {
			if (!c.has_made)
				return bad(c.cmd, "'%s' makes no ID to name", c.cmd->name);
			for (i = 0; i < nvars && strcmp(vars[i].name, name); i++)
				;
			if (i == MAX_VARS)
				return bad(NULL, "too many names (%d)", MAX_VARS);
			snprintf(vars[i].name, sizeof(vars[i].name), "%s", name);
			vars[i].id = c.made;
			if (i == nvars)
				nvars++;
			/* hold shows the names */
			if (!strcmp(c.cmd->name, "bind"))
				snprintf(hdevs[nhdevs - 1].var, sizeof(hdevs->var), "%s", name);
			else if (!strcmp(c.cmd->name, "domain-alloc"))
				snprintf(hdoms[nhdoms - 1].var, sizeof(hdoms->var), "%s", name);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool help = false, ver = false, dashdash = false;
	char *words[MAX_WORDS + 1];
	int i, n = 0, ret;
	struct call c;

	/* The global options, anywhere on the line (up to "--"). */
	for (i = 1; i < argc; i++) {
		char *w = argv[i];

		if (dashdash || w[0] != '-' || !w[1]) {
			if (n == MAX_WORDS)
				return bad(NULL, "too many arguments");
			words[n++] = w;
		} else if (!strcmp(w, "--")) {
			dashdash = true;
			words[n++] = w;
		} else if (!strcmp(w, "--json")) {
			json = true;
		} else if (!strcmp(w, "--pretty")) {
			json = pretty = true;
		} else if (!strcmp(w, "--help")) {
			help = true;
		} else if (!strcmp(w, "--version")) {
			ver = true;
		} else if (!strcmp(w, "--device") || !strcmp(w, "-d") ||
			   !strncmp(w, "--device=", 9)) {
			if (w[2] == 'd' && w[8] == '=') {
				devnode = w + 9;
			} else if (i + 1 < argc) {
				devnode = argv[++i];
			} else {
				return bad(NULL, "%s needs a PATH", w);
			}
			if (!*devnode)
				return bad(NULL, "--device: the PATH is empty");
			devnode_given = true;
		} else if (w[1] != '-' && strspn(w + 1, "jphV") == strlen(w + 1)) {
			/* -j, -p, -h, -V, and bundles of them: -jp */
			json |= strchr(w, 'j') || strchr(w, 'p');
			pretty |= strchr(w, 'p') != NULL;
			help |= strchr(w, 'h') != NULL;
			ver |= strchr(w, 'V') != NULL;
		} else {
			if (n == MAX_WORDS)
				return bad(NULL, "too many arguments");
			words[n++] = w;	/* the command's own option */
		}
	}
	words[n] = NULL;
	if (ver)
		return version();
	/* The command is the first word that is no option: "--exclusive bind DEV". */
	for (i = 0; i < n && words[i][0] == '-' && words[i][1] && strcmp(words[i], "--"); i++)
		;
	if (i == n || !strcmp(words[i], "--")) {
		if (i < n && i + 1 < n) {
			/* "-- CMD ...": the command right after "--" */
			memmove(words + i, words + i + 1, (n - i - 1) * sizeof(*words));
			n--;
		} else {
			if (i < n)
				return bad(NULL, "no command after --");
			if (!i)
				return help ? overview() : bad(NULL, "no command");
			return bad(NULL, "no command, only options: %s", words[0]);
		}
	}
	if (i) {
		char *cmd = words[i];

		memmove(words + 1, words, i * sizeof(*words));
		words[0] = cmd;
	}
	ret = run_words(n, words, true, &c, help);
	return ret;
}
