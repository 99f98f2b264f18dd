// SPDX-License-Identifier: LGPL-2.1-or-later
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

struct meaning {
	const char *cmd;	/* NULL: any command */
	int err;
	const char *text;
};

static const struct meaning meanings[] = {
	{ "open", ENOENT, "pasid_shim is not loaded (modprobe pasid_shim)" },
	{ "open", EACCES, "the device node is root-only (0600)" },
	{ "bind", ENODEV, "no such PCI device" },
	{ "bind", EOPNOTSUPP, "no IOMMU, or the IOMMU gives the device no PASIDs" },
	{ "bind", EBUSY, "bound by an open file already, owned by VFIO/iommufd (or its driver manages DMA itself), or (exclusive) a driver is bound" },
	{ "bind", ENXIO, "no kernel driver bound: bind it --exclusive instead" },
	{ "bind", EXDEV, "the device shares its IOMMU group with another device" },
	{ "bind", EINVAL, "name longer than 31 characters" },
	{ "attach", EINVAL, "PASID 0 or beyond the device's range, or a domain of another IOMMU" },
	{ "attach", EBUSY, "PASID already attached (here, or by another user of the device such as SVA)" },
	{ "pasid-alloc", ENOSPC, "the kernel's PASID space is used up" },
	{ "pasid-alloc", EOPNOTSUPP, "this kernel has no global PASID allocator (before 6.6)" },
	{ "pasid-free", ENOENT, "not a PASID this file allocated" },
	{ "attach-many", EBUSY, "a PASID already attached (here, or by another user of the device)" },
	{ "attach-many", EINVAL, "a PASID 0 or beyond the device's range, a domain of another IOMMU, or more than 2^20 entries" },
	{ "detach-many", ENOENT, "a PASID not attached" },
	{ "detach-many", EINVAL, "a PASID 0 or beyond the device's range, or more than 2^20 entries" },
	{ "pasid-free", EBUSY, "PASID still attached to a device of this file" },
	{ "replace", EINVAL, "PASID not attached, out of range, or the IOMMU refused the domain (the old one stays)" },
	{ "detach", ENOENT, "PASID not attached" },
	{ "detach", EINVAL, "PASID 0 or beyond the device's range" },
	{ "map", EINVAL, "unaligned address or length, zero length, or neither read nor write" },
	{ "map", EEXIST, "overlaps an existing mapping" },
	{ "map", ERANGE, "outside the domain's aperture" },
	{ "map", EOVERFLOW, "iova + length wraps" },
	{ "map", ENOMEM, "over RLIMIT_MEMLOCK, or out of memory" },
	{ "map", EFAULT, "memory that cannot be pinned" },
	{ "unmap", EINVAL, "a mapping straddles the range's edge, or zero length" },
	{ "unmap", ENOENT, "nothing mapped in the range" },
	{ "destroy", EBUSY, "domain still attached to a PASID" },
	{ NULL, ENOENT, "no object with that ID, or one of the wrong kind" },
	{ NULL, ENODEV, "the device is gone (driver unbound or device removed)" },
	{ NULL, EPERM, "opening it needs CAP_SYS_RAWIO" },
	{ NULL, EACCES, "the device node is root-only" },
	{ NULL, ENOTTY, "command unknown to this module (too old?)" },
	{ NULL, EOPNOTSUPP, "unknown flag or non-zero reserved field" },
	{ NULL, E2BIG, "struct larger than the kernel's, with a non-zero tail" },
};

const char *pshim_strerror(const char *cmd, int err)
{
	size_t i;

	if (err < 0)
		err = -err;
	for (i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if ((!meanings[i].cmd || (cmd && !strcmp(cmd, meanings[i].cmd))) &&
		    meanings[i].err == err)
			return meanings[i].text;
	return strerror(err);
}
