/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpasidshim: one function per ioctl of /dev/pasid-shim, and what each
 * errno means for each command.
 *
 * Errors: every function that talks to the kernel returns 0 (or a
 * descriptor) on success and a negative errno exactly as the kernel gave
 * it; it never touches the global errno's meaning for you and never
 * prints. pshim_strerror() says what an errno means for a command; the
 * errnos of each command are in docs/uapi.md and pasidctl(8), generated
 * from the one contract table (tools/contract.py).
 *
 * Thread safety: the library keeps no state. Every function may be
 * called from any thread at any time. Calls on one descriptor are
 * serialized by the kernel (a per-file lock): a long MAP or DESTROY
 * delays a LIST from another thread on the same descriptor, not one on
 * another descriptor. Objects (bound devices, domains, PASIDs) belong to
 * the open file and die when its last descriptor is closed.
 *
 * The ioctl numbers and struct layouts are <linux/pasid_shim.h>'s; the
 * Python module (python/pasid_shim) is the other user that spells them
 * out, and tests/host/py_abi.sh checks it against the header.
 */
#ifndef LIBPASIDSHIM_H
#define LIBPASIDSHIM_H

#include <stdint.h>
#include <linux/pasid_shim.h>

#define PSHIM_DEVNODE "/dev/pasid-shim"

/**
 * pshim_version() - the version of this library
 *
 * The release the library was built from ("0.3.0"): the top-level
 * VERSION file of pasid-shim, as are the module's MODULE_VERSION
 * (modinfo -F version pasid_shim) and pasidctl --version.
 *
 * Return: a static string. Since LIBPASIDSHIM_0.3.
 */
const char *pshim_version(void);

/**
 * pshim_open() - open the pasid-shim device
 * @path: the node, or NULL for PSHIM_DEVNODE (/dev/pasid-shim)
 *
 * Opens it read-write with O_CLOEXEC. The kernel checks CAP_SYS_RAWIO
 * here and nowhere else: the descriptor keeps working in a process that
 * drops the capability or receives it over a socket.
 *
 * Return: the descriptor; -ENOENT (module not loaded, or no such path),
 * -EPERM (no CAP_SYS_RAWIO), -EACCES (the node's mode), or open(2)'s.
 */
int pshim_open(const char *path);

/**
 * pshim_get_info() - PASID_SHIM_GET_INFO
 * @fd: from pshim_open()
 * @abi: gets PASID_SHIM_ABI_VERSION of the module
 * @features: gets PASID_SHIM_FEAT_* of this kernel
 *
 * Return: 0, or a negative errno (pshim_strerror("info", err)).
 */
int pshim_get_info(int fd, uint32_t *abi, uint32_t *features);

/**
 * pshim_bind() - PASID_SHIM_BIND, shared: beside the device's driver
 * @fd: from pshim_open()
 * @pci_name: "0000:01:00.0", fewer than PASID_SHIM_NAME_MAX characters
 * @dev_id: gets the device's ID in this file
 * @max_pasid: gets the PASID limit: valid PASIDs are 1 .. *max_pasid - 1
 *
 * The same as pshim_bind_flags() with flags 0.
 *
 * Return: 0, or a negative errno (pshim_strerror("bind", err));
 * pshim_check() says which requirement a refusal came from.
 */
int pshim_bind(int fd, const char *pci_name, uint32_t *dev_id, uint32_t *max_pasid);

/**
 * pshim_bind_flags() - PASID_SHIM_BIND with flags
 * @fd: from pshim_open()
 * @pci_name: "0000:01:00.0", fewer than PASID_SHIM_NAME_MAX characters
 * @flags: 0 (shared) or PASID_SHIM_BIND_EXCLUSIVE (a driverless device
 *	whose DMA ownership the module takes)
 * @dev_id: gets the device's ID in this file
 * @max_pasid: gets the PASID limit: valid PASIDs are 1 .. *max_pasid - 1
 *
 * Return: 0, or a negative errno (pshim_strerror("bind", err)).
 */
int pshim_bind_flags(int fd, const char *pci_name, uint32_t flags,
		     uint32_t *dev_id, uint32_t *max_pasid);

/**
 * pshim_check() - PASID_SHIM_CHECK: a device reported without binding it
 * @fd: from pshim_open()
 * @pci_name: "0000:01:00.0", fewer than PASID_SHIM_NAME_MAX characters
 * @flags: as for pshim_bind_flags(): which kind of binding to judge
 * @report: gets the report: the IOMMU, what the device has
 *	(PASID_SHIM_HAVE_*), what a BIND with @flags would miss now
 *	(PASID_SHIM_MISSING_*, 0 if nothing), PASID widths, the group's size,
 *	the VT-d registers and the bound driver's name
 *
 * Nothing is bound or changed. pshim_check_missing() explains each bit.
 *
 * Return: 0, or a negative errno (pshim_strerror("check", err)):
 * -ENODEV for no such device, -ENOTTY from a module older than 0.3.0.
 * Since LIBPASIDSHIM_0.3.
 */
int pshim_check(int fd, const char *pci_name, uint32_t flags,
		struct pasid_shim_check *report);

/**
 * pshim_check_missing() - what one PASID_SHIM_MISSING_* bit means
 * @bit: a single PASID_SHIM_MISSING_* bit
 * @name: if not NULL, gets a short name of the bit ("driver", "scalable")
 * @err: if not NULL, gets the negative errno BIND fails with for it
 *	(0 for the two causes reported with PASID_SHIM_MISSING_PASIDS)
 * @fix: if not NULL, gets what to do about it ("" when nothing can be)
 *
 * Return: what is missing, in a few words, or NULL for an unknown bit.
 * Static strings. Since LIBPASIDSHIM_0.3.
 */
const char *pshim_check_missing(uint32_t bit, const char **name, int *err, const char **fix);

/**
 * pshim_domain_alloc() - PASID_SHIM_DOMAIN_ALLOC
 * @fd: from pshim_open()
 * @dev_id: a bound device; the domain belongs to its IOMMU
 * @domain_id: gets the new, empty domain's ID
 *
 * Return: 0, or a negative errno (pshim_strerror("domain-alloc", err));
 * -EDQUOT beyond the module's max_domains_per_file.
 */
int pshim_domain_alloc(int fd, uint32_t dev_id, uint32_t *domain_id);

/**
 * pshim_map() - PASID_SHIM_MAP: pin memory and map it into a domain
 * @fd: from pshim_open()
 * @domain_id: the domain
 * @va: page-aligned start of the caller's memory
 * @length: page-aligned, non-zero
 * @iova: page-aligned I/O virtual address
 * @flags: PASID_SHIM_MAP_READ and/or PASID_SHIM_MAP_WRITE (device
 *	access); 0 is EINVAL
 *
 * The pages stay pinned, and charged to the caller's RLIMIT_MEMLOCK
 * unless it has CAP_IPC_LOCK, until unmapped or the file is closed: the
 * memory must stay mapped in the process as long. The kernel memory the
 * call uses does not grow with @length.
 *
 * Return: 0, or a negative errno (pshim_strerror("map", err)).
 */
int pshim_map(int fd, uint32_t domain_id, const void *va, uint64_t length,
	      uint64_t iova, uint32_t flags);

/**
 * pshim_unmap() - PASID_SHIM_UNMAP: every mapping wholly inside a range
 * @fd: from pshim_open()
 * @domain_id: the domain
 * @iova: start of the range
 * @length: its length
 * @unmapped: if not NULL, gets the bytes unmapped
 *
 * Return: 0, or a negative errno (pshim_strerror("unmap", err)): -EINVAL
 * (nothing removed) when a mapping straddles an edge of the range.
 */
int pshim_unmap(int fd, uint32_t domain_id, uint64_t iova, uint64_t length,
		uint64_t *unmapped);

/**
 * pshim_attach() - PASID_SHIM_ATTACH: a domain on a PASID that has none
 * @fd: from pshim_open()
 * @dev_id: a bound device
 * @pasid: 1 .. max_pasid - 1 of the binding
 * @domain_id: a domain of the device's IOMMU
 *
 * Return: 0, or a negative errno (pshim_strerror("attach", err)): -EBUSY
 * when the PASID has a domain already (use pshim_replace()).
 */
int pshim_attach(int fd, uint32_t dev_id, uint32_t pasid, uint32_t domain_id);

/**
 * pshim_replace() - PASID_SHIM_REPLACE: swap the domain of an attached PASID
 * @fd: from pshim_open()
 * @dev_id: a bound device
 * @pasid: an attached PASID
 * @domain_id: the new domain
 * @old_domain_id: if not NULL, gets the domain attached before
 *
 * Atomic where the kernel has iommu_replace_device_pasid()
 * (PASID_SHIM_FEAT_ATOMIC_REPLACE), else detach and attach. On failure
 * the old domain stays attached.
 *
 * Return: 0, or a negative errno (pshim_strerror("replace", err)).
 */
int pshim_replace(int fd, uint32_t dev_id, uint32_t pasid, uint32_t domain_id,
		  uint32_t *old_domain_id);

/**
 * pshim_detach() - PASID_SHIM_DETACH
 * @fd: from pshim_open()
 * @dev_id: a bound device
 * @pasid: an attached PASID
 *
 * Return: 0, or a negative errno (pshim_strerror("detach", err)):
 * -ENOENT when the PASID has no domain.
 */
int pshim_detach(int fd, uint32_t dev_id, uint32_t pasid);

/**
 * pshim_list() - PASID_SHIM_LIST: the attached PASIDs of a device, in order
 * @fd: from pshim_open()
 * @dev_id: a bound device
 * @entries: room for @capacity entries, or NULL with @capacity 0
 * @capacity: how many @entries holds; 0 only counts
 * @count: gets how many PASIDs are attached (may exceed @capacity)
 *
 * Return: 0, or a negative errno (pshim_strerror("list", err)).
 */
int pshim_list(int fd, uint32_t dev_id, struct pasid_shim_entry *entries,
	       uint32_t capacity, uint32_t *count);

/**
 * pshim_destroy() - PASID_SHIM_DESTROY: a domain or a bound device
 * @fd: from pshim_open()
 * @id: a domain (-EBUSY while attached) or a device (its PASIDs are
 *	detached, its exclusive ownership given back, then it is unbound)
 *
 * Return: 0, or a negative errno (pshim_strerror("destroy", err)).
 */
int pshim_destroy(int fd, uint32_t id);

/**
 * pshim_attach_many() - PASID_SHIM_ATTACH_MANY
 * @fd: from pshim_open()
 * @dev_id: a bound device
 * @entries: @n (pasid, domain_id) pairs, attached in order
 * @n: up to 1 << 20
 * @done: if not NULL, gets how many were attached: on failure
 *	entries[*done] is the one refused and nothing after it was tried
 *
 * Return: 0, or the refused element's negative errno
 * (pshim_strerror("attach-many", err)).
 */
int pshim_attach_many(int fd, uint32_t dev_id, const struct pasid_shim_entry *entries,
		      uint32_t n, uint32_t *done);

/**
 * pshim_detach_many() - PASID_SHIM_DETACH_MANY
 * @fd: from pshim_open()
 * @dev_id: a bound device
 * @entries: @n entries whose pasid is detached, in order (domain_id is
 *	ignored)
 * @n: up to 1 << 20
 * @done: if not NULL, gets how many were detached (as attach_many)
 *
 * Return: 0, or the refused element's negative errno
 * (pshim_strerror("detach-many", err)).
 */
int pshim_detach_many(int fd, uint32_t dev_id, const struct pasid_shim_entry *entries,
		      uint32_t n, uint32_t *done);

/**
 * pshim_map_many() - PASID_SHIM_MAP_MANY: many buffers, one call
 * @fd: from pshim_open()
 * @domain_id: the domain
 * @flags: PASID_SHIM_MAP_READ and/or PASID_SHIM_MAP_WRITE, for each buffer
 * @entries: @n buffers, each a pshim_map() of its own, in order
 * @n: up to 1 << 20
 * @done: if not NULL, gets how many were mapped (as attach_many)
 *
 * Return: 0, or the refused buffer's negative errno
 * (pshim_strerror("map-many", err)).
 */
int pshim_map_many(int fd, uint32_t domain_id, uint32_t flags,
		   const struct pasid_shim_map_entry *entries, uint32_t n, uint32_t *done);

/**
 * pshim_pasid_alloc() - PASID_SHIM_PASID_ALLOC: a PASID from the kernel's allocator
 * @fd: from pshim_open()
 * @dev_id: a bound device: the PASID is below its limit
 * @pasid: gets the PASID, held by this file until pshim_pasid_free() or close
 *
 * Return: 0, or a negative errno (pshim_strerror("pasid-alloc", err)):
 * -EOPNOTSUPP before Linux 6.6, -EDQUOT beyond max_pasids_per_file.
 */
int pshim_pasid_alloc(int fd, uint32_t dev_id, uint32_t *pasid);

/**
 * pshim_pasid_free() - PASID_SHIM_PASID_FREE
 * @fd: from pshim_open()
 * @pasid: a PASID this file allocated, attached to none of its devices
 *
 * Return: 0, or a negative errno (pshim_strerror("pasid-free", err)).
 */
int pshim_pasid_free(int fd, uint32_t pasid);

/**
 * pshim_strerror() - what an errno means for a command
 * @cmd: the command: pasidctl's name ("attach-many"), the ioctl's
 *	("ATTACH_MANY"), "open" for pshim_open(), or NULL
 * @err: the errno, negative (as returned) or positive
 *
 * The meanings of the contract table, e.g. for ("attach", -EBUSY) "the
 * PASID has a domain already (REPLACE swaps it); another user of the
 * device (SVA, a kernel driver) has that PASID".
 *
 * Return: a static string: the meaning, or strerror()'s text for an
 * errno the contract does not give the command (strerror()'s buffer
 * rules apply to that one).
 */
const char *pshim_strerror(const char *cmd, int err);

#endif
