// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpasidshim: one function per pasid_shim ioctl (libpasidshim.h says
 * what each does); the meanings of errnos come from the contract table
 * through the generated pshim_contract.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libpasidshim.h"

static int call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int pshim_open(const char *path)
{
	int fd = open(path ? path : PSHIM_DEVNODE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int pshim_get_info(int fd, uint32_t *abi, uint32_t *features)
{
	struct pasid_shim_info c = { .size = sizeof(c) };
	int ret = call(fd, PASID_SHIM_GET_INFO, &c);

	if (!ret) {
		*abi = c.out_abi_version;
		*features = c.out_features;
	}
	return ret;
}

int pshim_bind(int fd, const char *pci_name, uint32_t *dev_id, uint32_t *max_pasid)
{
	return pshim_bind_flags(fd, pci_name, 0, dev_id, max_pasid);
}

int pshim_bind_flags(int fd, const char *pci_name, uint32_t flags,
		     uint32_t *dev_id, uint32_t *max_pasid)
{
	struct pasid_shim_bind c = {
		.size = sizeof(c), .flags = flags, .name_uptr = (uintptr_t)pci_name,
	};
	int ret = call(fd, PASID_SHIM_BIND, &c);

	if (!ret) {
		*dev_id = c.out_dev_id;
		*max_pasid = c.out_max_pasid;
	}
	return ret;
}

int pshim_domain_alloc(int fd, uint32_t dev_id, uint32_t *domain_id)
{
	struct pasid_shim_domain_alloc c = { .size = sizeof(c), .dev_id = dev_id };
	int ret = call(fd, PASID_SHIM_DOMAIN_ALLOC, &c);

	if (!ret)
		*domain_id = c.out_domain_id;
	return ret;
}

int pshim_map(int fd, uint32_t domain_id, const void *va, uint64_t length,
	      uint64_t iova, uint32_t flags)
{
	struct pasid_shim_map c = {
		.size = sizeof(c), .flags = flags, .domain_id = domain_id,
		.user_va = (uintptr_t)va, .length = length, .iova = iova,
	};

	return call(fd, PASID_SHIM_MAP, &c);
}

int pshim_unmap(int fd, uint32_t domain_id, uint64_t iova, uint64_t length,
		uint64_t *unmapped)
{
	struct pasid_shim_unmap c = {
		.size = sizeof(c), .domain_id = domain_id, .iova = iova,
		.length = length,
	};
	int ret = call(fd, PASID_SHIM_UNMAP, &c);

	if (!ret && unmapped)
		*unmapped = c.out_unmapped;
	return ret;
}

static int attach_cmd(int fd, unsigned long cmd, uint32_t dev_id, uint32_t pasid,
		      uint32_t domain_id, uint32_t *old)
{
	struct pasid_shim_attach c = {
		.size = sizeof(c), .dev_id = dev_id, .pasid = pasid,
		.domain_id = domain_id,
	};
	int ret = call(fd, cmd, &c);

	if (!ret && old)
		*old = c.out_old_domain_id;
	return ret;
}

int pshim_attach(int fd, uint32_t dev_id, uint32_t pasid, uint32_t domain_id)
{
	return attach_cmd(fd, PASID_SHIM_ATTACH, dev_id, pasid, domain_id, NULL);
}

int pshim_replace(int fd, uint32_t dev_id, uint32_t pasid, uint32_t domain_id,
		  uint32_t *old_domain_id)
{
	return attach_cmd(fd, PASID_SHIM_REPLACE, dev_id, pasid, domain_id,
			  old_domain_id);
}

int pshim_detach(int fd, uint32_t dev_id, uint32_t pasid)
{
	struct pasid_shim_detach c = {
		.size = sizeof(c), .dev_id = dev_id, .pasid = pasid,
	};

	return call(fd, PASID_SHIM_DETACH, &c);
}

int pshim_list(int fd, uint32_t dev_id, struct pasid_shim_entry *entries,
	       uint32_t capacity, uint32_t *count)
{
	struct pasid_shim_list c = {
		.size = sizeof(c), .dev_id = dev_id, .num_entries = capacity,
		.entries_uptr = (uintptr_t)entries,
	};
	int ret = call(fd, PASID_SHIM_LIST, &c);

	if (!ret)
		*count = c.num_entries;
	return ret;
}

int pshim_destroy(int fd, uint32_t id)
{
	struct pasid_shim_destroy c = { .size = sizeof(c), .id = id };

	return call(fd, PASID_SHIM_DESTROY, &c);
}

int pshim_pasid_alloc(int fd, uint32_t dev_id, uint32_t *pasid)
{
	struct pasid_shim_pasid_alloc c = { .size = sizeof(c), .dev_id = dev_id };
	int ret = call(fd, PASID_SHIM_PASID_ALLOC, &c);

	if (!ret)
		*pasid = c.out_pasid;
	return ret;
}

int pshim_pasid_free(int fd, uint32_t pasid)
{
	struct pasid_shim_pasid_free c = { .size = sizeof(c), .pasid = pasid };

	return call(fd, PASID_SHIM_PASID_FREE, &c);
}

static int many(int fd, unsigned long cmd, uint32_t dev_id,
		const struct pasid_shim_entry *entries, uint32_t n, uint32_t *done)
{
	struct pasid_shim_batch c = {
		.size = sizeof(c), .dev_id = dev_id, .num = n,
		.entries_uptr = (uintptr_t)entries,
	};
	int ret = call(fd, cmd, &c);

	if (done)
		*done = c.out_done;
	return ret;
}

int pshim_attach_many(int fd, uint32_t dev_id, const struct pasid_shim_entry *entries,
		      uint32_t n, uint32_t *done)
{
	return many(fd, PASID_SHIM_ATTACH_MANY, dev_id, entries, n, done);
}

int pshim_detach_many(int fd, uint32_t dev_id, const struct pasid_shim_entry *entries,
		      uint32_t n, uint32_t *done)
{
	return many(fd, PASID_SHIM_DETACH_MANY, dev_id, entries, n, done);
}

int pshim_map_many(int fd, uint32_t domain_id, uint32_t flags,
		   const struct pasid_shim_map_entry *entries, uint32_t n, uint32_t *done)
{
	struct pasid_shim_map_many c = {
		.size = sizeof(c), .flags = flags, .domain_id = domain_id, .num = n,
		.entries_uptr = (uintptr_t)entries,
	};
	int ret = call(fd, PASID_SHIM_MAP_MANY, &c);

	if (done)
		*done = c.out_done;
	return ret;
}

#include "pshim_contract.h"

const char *pshim_version(void)
{
	return PSHIM_VERSION_STRING;
}

int pshim_check(int fd, const char *pci_name, uint32_t flags,
		struct pasid_shim_check *report)
{
	struct pasid_shim_check c = {
		.size = sizeof(c), .flags = flags, .name_uptr = (uintptr_t)pci_name,
	};
	int ret = call(fd, PASID_SHIM_CHECK, &c);

	if (!ret)
		*report = c;
	return ret;
}

const char *pshim_check_missing(uint32_t bit, const char **name, int *err, const char **fix)
{
	size_t i;

	for (i = 0; i < sizeof(pshim_missing_rows) / sizeof(pshim_missing_rows[0]); i++) {
		const struct pshim_missing *m = &pshim_missing_rows[i];

		if (m->bit != bit)
			continue;
		if (name)
			*name = m->name;
		if (err)
			*err = bit < PASID_SHIM_MISSING_PASID_CAP ? -m->err : 0;
		if (fix)
			*fix = m->fix;
		return m->why;
	}
	return NULL;
}

/* pasidctl's name of a command from any spelling: ATTACH_MANY, get_info. */
static void cmd_name(const char *cmd, char *out, size_t len)
{
	size_t i;

	for (i = 0; cmd[i] && i + 1 < len; i++)
		out[i] = cmd[i] == '_' ? '-' : (cmd[i] >= 'A' && cmd[i] <= 'Z') ? cmd[i] + 32 : cmd[i];
	out[i] = 0;
	if (!strcmp(out, "get-info"))
		strcpy(out, "info");
}

const char *pshim_strerror(const char *cmd, int err)
{
	char name[32] = "";
	size_t i;

	if (err < 0)
		err = -err;
	if (cmd)
		cmd_name(cmd, name, sizeof(name));
	for (i = 0; i < sizeof(pshim_meanings) / sizeof(pshim_meanings[0]); i++)
		if (pshim_meanings[i].err == err && !strcmp(name, pshim_meanings[i].cmd))
			return pshim_meanings[i].text;
	return strerror(err);
}
