// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only helper: give one emulated PCIe endpoint a PCIe PASID
 * extended capability. No QEMU endpoint has one, and the shim cannot be
 * tested on real hardware tables without it.
 *
 * It replaces the config accessors of the endpoint's bus (the secondary
 * bus of its root port) with wrappers that chain a synthesized PASID
 * capability (ID 0x1b, 20-bit width, control register shadowed) at the
 * end of the endpoint's extended capability list, then removes and
 * rescans the endpoint so the PCI core and the IOMMU driver enumerate it
 * again and see the capability. Every other access goes to the original
 * accessors untouched. On unload the endpoint is removed, the original
 * accessors restored, and the bus rescanned.
 *
 * Never load this outside a test guest.
 */
#include <linux/module.h>
#include <linux/pci.h>

static char *dev_name_param;
module_param_named(dev, dev_name_param, charp, 0444);
MODULE_PARM_DESC(dev, "PCI name of the endpoint (default: first QEMU NVMe, 1b36:0010)");

static unsigned int pasid_width = 20;
module_param(pasid_width, uint, 0444);
MODULE_PARM_DESC(pasid_width, "Max PASID Width advertised (1-20)");

static struct pci_bus *helper_bus;
static struct pci_ops *orig_ops;
static struct pci_ops helper_ops;
static unsigned int helper_devfn;
static int last_cap;	/* offset of the last real ext cap, 0 if none */
static int pasid_off;	/* where the synthesized capability sits */
static u16 pasid_ctrl;	/* shadow of the PASID Control register */

static u32 helper_dword(int where)
{
	if (where == pasid_off)
		return PCI_EXT_CAP_ID_PASID | (1 << 16);
	/* PASID Capability register in the low half, Control in the high */
	return ((pasid_width & 0x1f) << 8) | ((u32)pasid_ctrl << 16);
}

static bool helper_mine(struct pci_bus *bus, unsigned int devfn, int where)
{
	return bus == helper_bus && devfn == helper_devfn &&
	       where >= pasid_off && where < pasid_off + 8;
}

static int helper_read(struct pci_bus *bus, unsigned int devfn, int where,
		       int size, u32 *val)
{
	int ret, shift = (where & 3) * 8;
	u32 v;

	if (helper_mine(bus, devfn, where)) {
		v = helper_dword(where & ~3) >> shift;
		*val = size == 4 ? v : v & ((1u << (size * 8)) - 1);
		return PCIBIOS_SUCCESSFUL;
	}
	ret = orig_ops->read(bus, devfn, where, size, val);
	if (ret || bus != helper_bus || devfn != helper_devfn || !last_cap)
		return ret;
	/* Chain our capability after the last real one: bits 31:20. */
	if ((where & ~3) == last_cap && shift + size * 8 > 20) {
		v = orig_ops->read(bus, devfn, last_cap, 4, &v) ? 0 : v;
		v = (v & 0x000fffff) | ((u32)pasid_off << 20);
		v >>= shift;
		*val = size == 4 ? v : v & ((1u << (size * 8)) - 1);
	}
	return ret;
}

static int helper_write(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 val)
{
	if (!helper_mine(bus, devfn, where))
		return orig_ops->write(bus, devfn, where, size, val);
	if (where == pasid_off + 6 && size == 2)
		pasid_ctrl = val & (PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC |
				    PCI_PASID_CTRL_PRIV);
	else if (where == pasid_off + 4 && size == 4)
		pasid_ctrl = (val >> 16) & (PCI_PASID_CTRL_ENABLE |
					    PCI_PASID_CTRL_EXEC |
					    PCI_PASID_CTRL_PRIV);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_dev *helper_find_dev(void)
{
	unsigned int dom, bus, slot, fn;

	if (!dev_name_param)
		return pci_get_device(0x1b36, 0x0010, NULL);
	if (sscanf(dev_name_param, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return NULL;
	return pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
}

/* Walk the real list with the original accessors; find its end. */
static int helper_layout(struct pci_dev *pdev)
{
	int pos = PCI_CFG_SPACE_SIZE, ttl = 480;
	u32 header = 0;

	pci_read_config_dword(pdev, pos, &header);
	if (!header || header == ~0u) {
		last_cap = 0;
		pasid_off = PCI_CFG_SPACE_SIZE;
		return 0;
	}
	while (ttl-- > 0) {
		if (PCI_EXT_CAP_ID(header) == PCI_EXT_CAP_ID_PASID)
			return -EEXIST;
		last_cap = pos;
		pos = PCI_EXT_CAP_NEXT(header);
		if (pos < PCI_CFG_SPACE_SIZE)
			break;
		if (pci_read_config_dword(pdev, pos, &header))
			return -EIO;
	}
	/* The last dword pair of config space, if nothing lives there. */
	pasid_off = PCI_CFG_SPACE_EXP_SIZE - 8;
	pci_read_config_dword(pdev, pasid_off, &header);
	if (header)
		return -ENOSPC;
	pci_read_config_dword(pdev, pasid_off + 4, &header);
	return header ? -ENOSPC : 0;
}

static int __init helper_init(void)
{
	struct pci_dev *pdev = helper_find_dev();
	struct pci_bus *bus;
	int ret;

	if (!pdev) {
		pr_err("pasid_cap_helper: no endpoint found\n");
		return -ENODEV;
	}
	if (pasid_width < 1 || pasid_width > 20 || pci_is_root_bus(pdev->bus) ||
	    !pci_is_pcie(pdev) || pdev->cfg_size < PCI_CFG_SPACE_EXP_SIZE) {
		pci_dev_put(pdev);
		return -EINVAL;
	}
	ret = helper_layout(pdev);
	if (ret) {
		pci_dev_put(pdev);
		return ret;
	}
	bus = pdev->bus;
	helper_devfn = pdev->devfn;
	helper_bus = bus;
	helper_ops = *bus->ops;
	helper_ops.read = helper_read;
	helper_ops.write = helper_write;
	orig_ops = pci_bus_set_ops(bus, &helper_ops);

	pci_stop_and_remove_bus_device_locked(pdev);
	pci_dev_put(pdev);
	pci_lock_rescan_remove();
	pci_rescan_bus(bus);
	pci_unlock_rescan_remove();
	pr_info("pasid_cap_helper: PASID capability (width %u) at 0x%x on %04x:%02x:%02x.%x\n",
		pasid_width, pasid_off, pci_domain_nr(bus), bus->number,
		PCI_SLOT(helper_devfn), PCI_FUNC(helper_devfn));
	return 0;
}

static void __exit helper_exit(void)
{
	struct pci_dev *pdev;

	pdev = pci_get_slot(helper_bus, helper_devfn);
	if (pdev) {
		pci_stop_and_remove_bus_device_locked(pdev);
		pci_dev_put(pdev);
	}
	pci_bus_set_ops(helper_bus, orig_ops);
	pci_lock_rescan_remove();
	pci_rescan_bus(helper_bus);
	pci_unlock_rescan_remove();
}

module_init(helper_init);
module_exit(helper_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only: synthesize a PCIe PASID capability on one endpoint");
