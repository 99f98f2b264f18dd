/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpasidshim: one function per pasid_shim ioctl. Every function
 * returns 0 or a negative errno exactly as the kernel gave it; this is
 * the only place that knows the ioctl numbers and struct layouts.
 */
#ifndef LIBPASIDSHIM_H
#define LIBPASIDSHIM_H

#include <stdint.h>
#include <linux/pasid_shim.h>

#define PSHIM_DEVNODE "/dev/pasid-shim"

int pshim_open(const char *path);	/* fd, or -errno */
int pshim_get_info(int fd, uint32_t *abi, uint32_t *features);
/* Shared binding (flags 0); pshim_bind_flags() for PASID_SHIM_BIND_EXCLUSIVE. */
int pshim_bind(int fd, const char *pci_name, uint32_t *dev_id, uint32_t *max_pasid);
int pshim_bind_flags(int fd, const char *pci_name, uint32_t flags,
		     uint32_t *dev_id, uint32_t *max_pasid);
int pshim_domain_alloc(int fd, uint32_t dev_id, uint32_t *domain_id);
int pshim_map(int fd, uint32_t domain_id, const void *va, uint64_t length,
	      uint64_t iova, uint32_t flags);
int pshim_unmap(int fd, uint32_t domain_id, uint64_t iova, uint64_t length,
		uint64_t *unmapped);
int pshim_attach(int fd, uint32_t dev_id, uint32_t pasid, uint32_t domain_id);
int pshim_replace(int fd, uint32_t dev_id, uint32_t pasid, uint32_t domain_id,
		  uint32_t *old_domain_id);
int pshim_detach(int fd, uint32_t dev_id, uint32_t pasid);
/* Fills up to capacity entries in PASID order; *count gets how many are attached. */
int pshim_list(int fd, uint32_t dev_id, struct pasid_shim_entry *entries,
	       uint32_t capacity, uint32_t *count);
int pshim_destroy(int fd, uint32_t id);
/*
 * Batches: in order, stopping at the first element that fails; *done
 * (if not NULL) gets how many were done, so entries[*done] failed.
 * detach_many ignores the domain_id of each entry.
 */
int pshim_attach_many(int fd, uint32_t dev_id, const struct pasid_shim_entry *entries,
		      uint32_t n, uint32_t *done);
int pshim_detach_many(int fd, uint32_t dev_id, const struct pasid_shim_entry *entries,
		      uint32_t n, uint32_t *done);
int pshim_map_many(int fd, uint32_t domain_id, uint32_t flags,
		   const struct pasid_shim_map_entry *entries, uint32_t n, uint32_t *done);
/* A PASID from the kernel's global allocator, held by this open file. */
int pshim_pasid_alloc(int fd, uint32_t dev_id, uint32_t *pasid);
int pshim_pasid_free(int fd, uint32_t pasid);

/* What an errno means for a command in the pasid_shim contract. */
const char *pshim_strerror(const char *cmd, int err);

#endif
