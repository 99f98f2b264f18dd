/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pasid-shim: per-PASID IOMMU domain management from userspace.
 *
 * Every command takes a pointer to a struct whose first __u32 is its
 * size, so the struct can grow: the kernel accepts a shorter struct
 * down to the size it had when the command was introduced, and a longer
 * one whose unknown tail is zero (E2BIG otherwise). Unknown flags and
 * non-zero __reserved fields are rejected with EOPNOTSUPP, an unknown
 * command with ENOTTY, an unknown ID or an ID of the wrong kind with
 * ENOENT. IDs name objects of the open file and die with it.
 *
 * ioctl type 0xBC: not listed in
 * Documentation/userspace-api/ioctl/ioctl-number.rst; commands 0x80-0x8f
 * (CHECK, 0x8f, is new in 0.3.0: ENOTTY from older modules).
 *
 * The _MANY commands take an array and work through it in order; they
 * stop at the first element that fails, report how many were done in
 * out_done (so the failing element is entries[out_done]) and return
 * that element's errno, as the single command would. The elements
 * before it stay done; nothing after it is tried. With no failure,
 * out_done equals num.
 *
 * A command that waits for the file's lock, or works through a long
 * list (MAP, UNMAP, DESTROY, LIST, the _MANY commands), stops with EINTR
 * when a fatal signal arrives; what it did stays done.
 *
 * Every errno of every command, with mainline's answer beside it, is in
 * docs/uapi.md, generated from the contract table tools/contract.py,
 * which `make check` holds these comments to.
 */
#ifndef _UAPI_LINUX_PASID_SHIM_H
#define _UAPI_LINUX_PASID_SHIM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PASID_SHIM_TYPE		0xBC
#define PASID_SHIM_ABI_VERSION	2
/* Longest PCI device name BIND takes, with its NUL. */
#define PASID_SHIM_NAME_MAX	32

enum {
	PASID_SHIM_CMD_BASE = 0x80,
	PASID_SHIM_CMD_GET_INFO = PASID_SHIM_CMD_BASE,
	PASID_SHIM_CMD_BIND,
	PASID_SHIM_CMD_DOMAIN_ALLOC,
	PASID_SHIM_CMD_MAP,
	PASID_SHIM_CMD_UNMAP,
	PASID_SHIM_CMD_ATTACH,
	PASID_SHIM_CMD_REPLACE,
	PASID_SHIM_CMD_DETACH,
	PASID_SHIM_CMD_LIST,
	PASID_SHIM_CMD_DESTROY,
	PASID_SHIM_CMD_PASID_ALLOC,
	PASID_SHIM_CMD_PASID_FREE,
	PASID_SHIM_CMD_ATTACH_MANY,
	PASID_SHIM_CMD_DETACH_MANY,
	PASID_SHIM_CMD_MAP_MANY,
	PASID_SHIM_CMD_CHECK,
};

/* out_features of PASID_SHIM_GET_INFO */
enum pasid_shim_features {
	/* REPLACE uses the kernel's atomic iommu_replace_device_pasid() */
	PASID_SHIM_FEAT_ATOMIC_REPLACE = 1 << 0,
	/* PASID_SHIM_PASID_ALLOC works (the kernel has a global allocator) */
	PASID_SHIM_FEAT_PASID_ALLOC = 1 << 1,
};

/**
 * struct pasid_shim_info - ioctl(PASID_SHIM_GET_INFO)
 * @size: sizeof(struct pasid_shim_info)
 * @flags: must be 0
 * @out_abi_version: PASID_SHIM_ABI_VERSION
 * @out_features: PASID_SHIM_FEAT_* available on this kernel
 */
struct pasid_shim_info {
	__u32 size;
	__u32 flags;
	__u32 out_abi_version;
	__u32 out_features;
};

#define PASID_SHIM_GET_INFO _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_GET_INFO)

/* flags of PASID_SHIM_BIND */
enum pasid_shim_bind_flags {
	/*
	 * Take the device's DMA ownership, as VFIO and iommufd do: the
	 * device must have no driver; while bound, its RID is blocked, no
	 * kernel driver can bind to it and nobody else can claim it.
	 */
	PASID_SHIM_BIND_EXCLUSIVE = 1 << 0,
};

/**
 * struct pasid_shim_bind - ioctl(PASID_SHIM_BIND)
 * @size: sizeof(struct pasid_shim_bind)
 * @flags: 0 (shared) or PASID_SHIM_BIND_EXCLUSIVE
 * @name_uptr: NUL-terminated PCI device name, "0000:01:00.0", at most
 *	PASID_SHIM_NAME_MAX bytes with the NUL
 * @out_dev_id: ID of the bound device
 * @out_max_pasid: the PASID limit, not the largest PASID: valid PASIDs
 *	are 1 .. out_max_pasid - 1 (the kernel's dev->iommu->max_pasids)
 *
 * Shared (flags 0): beside the kernel driver bound to the device, whose
 * DMA ownership keeps VFIO and iommufd away; the binding ends (ENODEV)
 * when that driver is unbound. Exclusive: see PASID_SHIM_BIND_EXCLUSIVE.
 * Either way the device must be alone in its IOMMU group, and a device
 * is bound by at most one open file at a time (EBUSY).
 */
struct pasid_shim_bind {
	__u32 size;
	__u32 flags;
	__aligned_u64 name_uptr;
	__u32 out_dev_id;
	__u32 out_max_pasid;
};

#define PASID_SHIM_BIND _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_BIND)

/**
 * struct pasid_shim_domain_alloc - ioctl(PASID_SHIM_DOMAIN_ALLOC)
 * @size: sizeof(struct pasid_shim_domain_alloc)
 * @flags: must be 0
 * @dev_id: a bound device; the domain belongs to its IOMMU
 * @out_domain_id: ID of the new, empty paging domain
 *
 * A file holds at most the module parameter max_domains_per_file
 * domains (EDQUOT beyond).
 */
struct pasid_shim_domain_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 out_domain_id;
};

#define PASID_SHIM_DOMAIN_ALLOC _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_DOMAIN_ALLOC)

#define PASID_SHIM_MAP_READ	(1 << 0)
#define PASID_SHIM_MAP_WRITE	(1 << 1)

/**
 * struct pasid_shim_map - ioctl(PASID_SHIM_MAP)
 * @size: sizeof(struct pasid_shim_map)
 * @flags: PASID_SHIM_MAP_READ and/or PASID_SHIM_MAP_WRITE (device access)
 * @domain_id: the domain to map into
 * @__reserved: must be 0
 * @user_va: page-aligned start of the caller's memory
 * @length: page-aligned, non-zero length
 * @iova: page-aligned I/O virtual address to map at
 *
 * The pages are pinned (long-term) and charged to the caller's
 * RLIMIT_MEMLOCK until unmapped or the file is closed.
 */
struct pasid_shim_map {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define PASID_SHIM_MAP _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_MAP)

/**
 * struct pasid_shim_unmap - ioctl(PASID_SHIM_UNMAP)
 * @size: sizeof(struct pasid_shim_unmap)
 * @flags: must be 0
 * @domain_id: the domain to unmap from
 * @__reserved: must be 0
 * @iova: start of the range
 * @length: length of the range
 * @out_unmapped: bytes unmapped: every mapping wholly inside the range
 */
struct pasid_shim_unmap {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_unmapped;
};

#define PASID_SHIM_UNMAP _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_UNMAP)

/**
 * struct pasid_shim_attach - ioctl(PASID_SHIM_ATTACH), ioctl(PASID_SHIM_REPLACE)
 * @size: sizeof(struct pasid_shim_attach)
 * @flags: must be 0
 * @dev_id: a bound device
 * @pasid: 1 .. out_max_pasid - 1 of PASID_SHIM_BIND
 * @domain_id: the domain to attach
 * @out_old_domain_id: REPLACE: the domain attached before; ATTACH
 *	writes nothing back
 *
 * ATTACH fails with EBUSY when the PASID has a domain already, the same
 * one included, as the IOMMU core and iommufd_device_attach() answer;
 * REPLACE needs one (EINVAL otherwise) and leaves it attached if it
 * fails.
 */
struct pasid_shim_attach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 domain_id;
	__u32 out_old_domain_id;
};

#define PASID_SHIM_ATTACH _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_ATTACH)
#define PASID_SHIM_REPLACE _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_REPLACE)

/**
 * struct pasid_shim_detach - ioctl(PASID_SHIM_DETACH)
 * @size: sizeof(struct pasid_shim_detach)
 * @flags: must be 0
 * @dev_id: a bound device
 * @pasid: an attached PASID (ENOENT otherwise, unlike mainline's no-op)
 */
struct pasid_shim_detach {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
};

#define PASID_SHIM_DETACH _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_DETACH)

/**
 * struct pasid_shim_entry - one attachment reported by PASID_SHIM_LIST
 * @pasid: the PASID
 * @domain_id: the domain attached to it
 */
struct pasid_shim_entry {
	__u32 pasid;
	__u32 domain_id;
};

/**
 * struct pasid_shim_list - ioctl(PASID_SHIM_LIST)
 * @size: sizeof(struct pasid_shim_list)
 * @flags: must be 0
 * @dev_id: a bound device
 * @num_entries: in: capacity of @entries_uptr; out: PASIDs attached
 * @entries_uptr: array of struct pasid_shim_entry, filled in PASID order
 *	up to the capacity; a capacity of 0 only counts
 */
struct pasid_shim_list {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 num_entries;
	__aligned_u64 entries_uptr;
};

#define PASID_SHIM_LIST _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_LIST)

/**
 * struct pasid_shim_destroy - ioctl(PASID_SHIM_DESTROY)
 * @size: sizeof(struct pasid_shim_destroy)
 * @flags: must be 0
 * @id: a domain (EBUSY while attached to any PASID) or a bound device
 *	(its PASIDs are detached, then it is unbound)
 * @__reserved: must be 0
 */
struct pasid_shim_destroy {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 __reserved;
};

#define PASID_SHIM_DESTROY _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_DESTROY)

/**
 * struct pasid_shim_pasid_alloc - ioctl(PASID_SHIM_PASID_ALLOC)
 * @size: sizeof(struct pasid_shim_pasid_alloc)
 * @flags: must be 0
 * @dev_id: a bound device: the PASID is below its out_max_pasid
 * @out_pasid: a PASID from the kernel's global allocator (the one SVA
 *	and kernel drivers allocate from), so nobody who allocates there
 *	gets it too; a user that attaches a PASID number it chose itself,
 *	without allocating it, is not kept out
 *
 * The PASID belongs to the open file until PASID_SHIM_PASID_FREE or
 * close; attach it to any device of the file. A file holds at most the
 * module parameter max_pasids_per_file of them (EDQUOT beyond).
 */
struct pasid_shim_pasid_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 out_pasid;
};

#define PASID_SHIM_PASID_ALLOC _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_PASID_ALLOC)

/**
 * struct pasid_shim_pasid_free - ioctl(PASID_SHIM_PASID_FREE)
 * @size: sizeof(struct pasid_shim_pasid_free)
 * @flags: must be 0
 * @pasid: a PASID this file got from PASID_SHIM_PASID_ALLOC (ENOENT
 *	otherwise), attached to no device of the file (EBUSY otherwise)
 * @__reserved: must be 0
 */
struct pasid_shim_pasid_free {
	__u32 size;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

#define PASID_SHIM_PASID_FREE _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_PASID_FREE)

/**
 * struct pasid_shim_batch - ioctl(PASID_SHIM_ATTACH_MANY), ioctl(PASID_SHIM_DETACH_MANY)
 * @size: sizeof(struct pasid_shim_batch)
 * @flags: must be 0
 * @dev_id: a bound device
 * @num: elements at @entries_uptr (up to 1 << 20)
 * @entries_uptr: array of struct pasid_shim_entry: ATTACH_MANY attaches
 *	each domain_id to its pasid; DETACH_MANY detaches each pasid and
 *	ignores domain_id
 * @out_done: elements done (see the _MANY rule at the top)
 * @__reserved: must be 0
 */
struct pasid_shim_batch {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 num;
	__aligned_u64 entries_uptr;
	__u32 out_done;
	__u32 __reserved;
};

#define PASID_SHIM_ATTACH_MANY _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_ATTACH_MANY)
#define PASID_SHIM_DETACH_MANY _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_DETACH_MANY)

/**
 * struct pasid_shim_map_entry - one buffer of PASID_SHIM_MAP_MANY
 * @user_va: page-aligned start of the caller's memory
 * @length: page-aligned, non-zero length
 * @iova: page-aligned I/O virtual address to map at
 */
struct pasid_shim_map_entry {
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

/**
 * struct pasid_shim_map_many - ioctl(PASID_SHIM_MAP_MANY)
 * @size: sizeof(struct pasid_shim_map_many)
 * @flags: PASID_SHIM_MAP_READ and/or PASID_SHIM_MAP_WRITE, for every buffer
 * @domain_id: the domain to map into
 * @num: elements at @entries_uptr (up to 1 << 20)
 * @entries_uptr: array of struct pasid_shim_map_entry, each a MAP of its own
 * @out_done: buffers mapped (see the _MANY rule at the top)
 * @__reserved: must be 0
 */
struct pasid_shim_map_many {
	__u32 size;
	__u32 flags;
	__u32 domain_id;
	__u32 num;
	__aligned_u64 entries_uptr;
	__u32 out_done;
	__u32 __reserved;
};

#define PASID_SHIM_MAP_MANY _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_MAP_MANY)

/* out_iommu of PASID_SHIM_CHECK: the IOMMU that translates the device */
enum pasid_shim_iommu {
	PASID_SHIM_IOMMU_NONE = 0,
	PASID_SHIM_IOMMU_INTEL_VTD = 1,
	PASID_SHIM_IOMMU_AMD_VI = 2,
	PASID_SHIM_IOMMU_ARM_SMMUV3 = 3,
	PASID_SHIM_IOMMU_OTHER = 4,
};

/* out_have of PASID_SHIM_CHECK: what the device and its IOMMU have */
enum pasid_shim_check_have {
	/* VT-d: the unit's root table is in scalable mode (RTADDR_REG.TTM) */
	PASID_SHIM_HAVE_SCALABLE = 1 << 0,
	/* the device has a PCIe PASID capability ... */
	PASID_SHIM_HAVE_PASID_CAP = 1 << 1,
	/* ... the kernel enabled it (PASID Control: Enable) ... */
	PASID_SHIM_HAVE_PASID_ENABLED = 1 << 2,
	/* ... and it supports Execute and Privileged requests */
	PASID_SHIM_HAVE_PASID_EXEC = 1 << 3,
	PASID_SHIM_HAVE_PASID_PRIV = 1 << 4,
	/* ATS and PRI capabilities */
	PASID_SHIM_HAVE_ATS = 1 << 5,
	PASID_SHIM_HAVE_PRI = 1 << 6,
	/* a driver is bound (out_driver), and it manages DMA itself (vfio-pci) */
	PASID_SHIM_HAVE_DRIVER = 1 << 7,
	PASID_SHIM_HAVE_DRIVER_MANAGED_DMA = 1 << 8,
	/* the IOMMU driver can attach paging domains to PASIDs */
	PASID_SHIM_HAVE_PAGING_PASID = 1 << 9,
};

/*
 * out_missing of PASID_SHIM_CHECK: each requirement of PASID_SHIM_BIND
 * the device does not meet now, in the order BIND checks them; BIND
 * fails with the errno of the lowest bit set.
 */
enum pasid_shim_check_missing {
	/* ENODEV: the driver core is removing the device */
	PASID_SHIM_MISSING_PRESENT = 1 << 0,
	/* EBUSY: a PCI device is being added, or the IOMMU core is still probing it */
	PASID_SHIM_MISSING_SETTLED = 1 << 1,
	/* EOPNOTSUPP: no IOMMU translates the device */
	PASID_SHIM_MISSING_IOMMU = 1 << 2,
	/* EXDEV: the device shares its IOMMU group (out_group_devices) */
	PASID_SHIM_MISSING_GROUP_ALONE = 1 << 3,
	/* EOPNOTSUPP: the IOMMU gives the device no PASIDs (see the causes below) */
	PASID_SHIM_MISSING_PASIDS = 1 << 4,
	/* EXDEV: the device is a bridge */
	PASID_SHIM_MISSING_NOT_BRIDGE = 1 << 5,
	/* EBUSY: an open file of pasid-shim has the device bound */
	PASID_SHIM_MISSING_UNBOUND = 1 << 6,
	/* EOPNOTSUPP: the IOMMU driver cannot attach paging domains to PASIDs */
	PASID_SHIM_MISSING_PAGING_PASID = 1 << 7,
	/* EOPNOTSUPP: (6.2-6.9) an IOMMU other than VT-d, or behind VMD */
	PASID_SHIM_MISSING_GUARDED = 1 << 8,
	/* EBUSY: (6.2-6.9) a kdump kernel */
	PASID_SHIM_MISSING_NOT_KDUMP = 1 << 9,
	/* EBUSY: exclusive: the device has a driver */
	PASID_SHIM_MISSING_NO_DRIVER = 1 << 10,
	/* ENXIO: shared: the device has no driver */
	PASID_SHIM_MISSING_DRIVER = 1 << 11,
	/* EBUSY: shared: its driver manages DMA itself (vfio-pci) */
	PASID_SHIM_MISSING_DMA_API_DRIVER = 1 << 12,
	/* causes of PASID_SHIM_MISSING_PASIDS, reported with it: */
	/* the device has no PASID capability */
	PASID_SHIM_MISSING_PASID_CAP = 1 << 16,
	/* VT-d: not in scalable mode (boot with intel_iommu=on,sm_on) */
	PASID_SHIM_MISSING_SCALABLE = 1 << 17,
};

/**
 * struct pasid_shim_check - ioctl(PASID_SHIM_CHECK)
 * @size: sizeof(struct pasid_shim_check)
 * @flags: 0 to judge a shared BIND, PASID_SHIM_BIND_EXCLUSIVE an exclusive one
 * @name_uptr: NUL-terminated PCI device name, as for BIND
 * @out_iommu: enum pasid_shim_iommu
 * @out_have: PASID_SHIM_HAVE_*
 * @out_missing: PASID_SHIM_MISSING_*; 0: BIND with @flags would succeed now
 * @out_max_pasid_log2: bits of PASID the IOMMU gives the device (0: none;
 *	BIND's out_max_pasid is 1 << this), as mainline's IOMMU_GET_HW_INFO
 * @out_dev_pasid_width: the Max PASID Width of the device's PASID capability
 * @out_group_devices: devices in the device's IOMMU group (0: none yet)
 * @out_vtd_cap: VT-d: the unit's Capability Register (0 otherwise)
 * @out_vtd_ecap: VT-d: the unit's Extended Capability Register
 * @out_driver: the bound driver's name, NUL-terminated ("" for none)
 *
 * Reports the device without binding it or changing anything: what
 * BIND would find, for a user to see what is missing and why.
 */
struct pasid_shim_check {
	__u32 size;
	__u32 flags;
	__aligned_u64 name_uptr;
	__u32 out_iommu;
	__u32 out_have;
	__u32 out_missing;
	__u32 out_max_pasid_log2;
	__u32 out_dev_pasid_width;
	__u32 out_group_devices;
	__aligned_u64 out_vtd_cap;
	__aligned_u64 out_vtd_ecap;
	__u8 out_driver[PASID_SHIM_NAME_MAX];
};

#define PASID_SHIM_CHECK _IO(PASID_SHIM_TYPE, PASID_SHIM_CMD_CHECK)

#endif /* _UAPI_LINUX_PASID_SHIM_H */
