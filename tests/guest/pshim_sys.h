/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side helpers that act on a PCI device the way root does from a
 * shell: driver unbind and bind, sysfs remove and rescan, QEMU hot-unplug
 * (through the host), and giving the device to VFIO (vfio-pci bound
 * through driver_override, its group set to a type1 container).
 */
#ifndef PSHIM_SYS_H
#define PSHIM_SYS_H

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <linux/vfio.h>

#include "pshim_test.h"

static inline int sys_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static inline int sys_devwrite(const char *dev, const char *file, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dev, file);
	return sys_write(path, val);
}

/* The name of dev's driver into drv ("" for none); 0, or -1 if no device. */
static inline int sys_driver(const char *dev, char *drv, size_t len)
{
	char path[160], link[PATH_MAX];
	struct stat st;
	ssize_t n;
	char *slash;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", dev);
	if (stat(path, &st))
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", dev);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	slash = strrchr(link, '/');
	snprintf(drv, len, "%s", slash ? slash + 1 : "");
	return 0;
}

/*
 * 0: absent; 1: fully probed (in an IOMMU group, bound to drv, or to no
 * driver with drv ""); -1: anything in between.
 */
static inline int sys_dev_is(const char *dev, const char *drv)
{
	char path[160], cur[64];
	struct stat st;

	if (sys_driver(dev, cur, sizeof(cur)))
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	if (stat(path, &st))
		return -1;
	return strcmp(cur, drv) ? -1 : 1;
}

static inline int sys_wait(const char *dev, const char *drv, int want, int seconds)
{
	int i;

	for (i = 0; i < seconds * 100; i++) {
		if (sys_dev_is(dev, drv) == want)
			return 1;
		usleep(10000);
	}
	return 0;
}

static inline int sys_unbind(const char *dev)
{
	char drv[64], path[160];

	if (sys_driver(dev, drv, sizeof(drv)))
		return -ENODEV;
	if (!*drv)
		return 0;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	return sys_write(path, dev);
}

static inline int sys_bind(const char *dev, const char *drv)
{
	char path[160];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	return sys_write(path, dev);
}

static inline int sys_remove(const char *dev)
{
	return sys_devwrite(dev, "remove", "1");
}

static inline int sys_rescan(void)
{
	return sys_write("/sys/bus/pci/rescan", "1");
}

/* QEMU device_del of the endpoint on rp0 (nvme0), and device_add back. */
static inline int sys_hot_unplug(const char *dev)
{
	if (!t_hw("\"check\":\"device_del\",\"id\":\"nvme0\""))
		return -1;
	/* The slot powers off some seconds after the attention button. */
	if (!sys_wait(dev, "", 0, 30))
		return -1;
	return t_hw("\"check\":\"device_deleted\",\"id\":\"nvme0\"") ? 0 : -1;
}

static inline int sys_hot_plug(const char *dev)
{
	if (!t_hw("\"check\":\"device_add\",\"id\":\"nvme0\""))
		return -1;
	return sys_wait(dev, "nvme", 1, 30) ? 0 : -1;
}

/* Whatever happened to dev, bring it back bound to nvme. */
static inline int sys_restore(const char *dev)
{
	char drv[64];

	if (sys_driver(dev, drv, sizeof(drv))) {
		sys_rescan();
		if (!sys_wait(dev, "nvme", 1, 10))
			return -1;
	}
	sys_driver(dev, drv, sizeof(drv));
	if (strcmp(drv, "nvme")) {
		sys_unbind(dev);
		sys_devwrite(dev, "driver_override", "\n");
		sys_bind(dev, "nvme");
	}
	return sys_wait(dev, "nvme", 1, 10) ? 0 : -1;
}

/* Hand dev to vfio-pci as an admin would: driver_override, then probe. */
static inline int sys_to_vfio(const char *dev)
{
	int ret = sys_unbind(dev);

	if (ret)
		return ret;
	ret = sys_devwrite(dev, "driver_override", "vfio-pci");
	if (ret)
		return ret;
	ret = sys_bind(dev, "vfio-pci");
	sys_devwrite(dev, "driver_override", "\n");
	return ret;
}

/* The IOMMU group number of dev, or -1. */
static inline int sys_group(const char *dev)
{
	char path[160], link[PATH_MAX];
	ssize_t n;
	char *slash;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return -1;
	link[n] = 0;
	slash = strrchr(link, '/');
	return slash ? atoi(slash + 1) : -1;
}

struct vfio_hold {
	int container, group;
};

/*
 * Open dev's VFIO group and put it in a type1 container: VFIO now owns
 * the group's DMA. 0, or -errno of the step that failed.
 */
static inline int sys_vfio_claim(const char *dev, struct vfio_hold *h)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int g = sys_group(dev), ret;

	h->container = h->group = -1;
	if (g < 0)
		return -ENODEV;
	h->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (h->container < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", g);
	h->group = open(path, O_RDWR | O_CLOEXEC);
	if (h->group < 0)
		return -errno;
	if (ioctl(h->group, VFIO_GROUP_GET_STATUS, &st))
		return -errno;
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EPERM;
	if (ioctl(h->group, VFIO_GROUP_SET_CONTAINER, &h->container))
		return -errno;
	ret = ioctl(h->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	return ret ? -errno : 0;
}

static inline void sys_vfio_release(struct vfio_hold *h)
{
	if (h->group >= 0)
		close(h->group);
	if (h->container >= 0)
		close(h->container);
	h->group = h->container = -1;
}

#endif /* PSHIM_SYS_H */
