// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only helper: give emulated PCIe endpoints (one per root port: the
 * first function of a multi-function slot) a PCIe PASID extended
 * capability. No QEMU endpoint has
 * one, and the shim cannot be tested on real hardware tables without it.
 *
 * For each endpoint it replaces the config accessors of its bus (the
 * secondary bus of its root port) with wrappers that chain a
 * synthesized PASID capability (ID 0x1b, 20-bit width, control register shadowed) at the
 * end of the endpoint's extended capability list, then removes and
 * rescans the endpoint so the PCI core and the IOMMU driver enumerate it
 * again and see the capability. Every other access goes to the original
 * accessors untouched. On unload each endpoint is removed, the original
 * accessors restored, and the bus rescanned.
 *
 * Never load this outside a test guest.
 */
#include <linux/module.h>
#include <linux/pci.h>

static char *dev_name_param;
module_param_named(dev, dev_name_param, charp, 0444);
MODULE_PARM_DESC(dev, "PCI name of one endpoint (default: every QEMU NVMe, 1b36:0010)");

static unsigned int pasid_width = 20;
module_param(pasid_width, uint, 0444);
MODULE_PARM_DESC(pasid_width, "Max PASID Width advertised (1-20)");

/* One endpoint, alone on its bus (the secondary bus of a root port). */
struct helper_ep {
	struct pci_bus *bus;
	unsigned int devfn;
	int last_cap;		/* offset of the last real ext cap, 0 if none */
	int pasid_off;		/* where the synthesized capability sits */
	u16 pasid_ctrl;		/* shadow of the PASID Control register */
	struct pci_ops *orig_ops;
	struct pci_ops ops;
};

#define HELPER_MAX_EPS 6
static struct helper_ep eps[HELPER_MAX_EPS];
static int neps;

static struct helper_ep *helper_ep(struct pci_bus *bus)
{
	int i;

	for (i = 0; i < neps; i++)
		if (eps[i].bus == bus)
			return &eps[i];
	return NULL;
}

static u32 helper_dword(struct helper_ep *ep, int where)
{
	if (where == ep->pasid_off)
		return PCI_EXT_CAP_ID_PASID | (1 << 16);
	/* PASID Capability register in the low half, Control in the high */
	return ((pasid_width & 0x1f) << 8) | ((u32)ep->pasid_ctrl << 16);
}

static bool helper_mine(struct helper_ep *ep, unsigned int devfn, int where)
{
	return devfn == ep->devfn && where >= ep->pasid_off &&
	       where < ep->pasid_off + 8;
}

static int helper_read(struct pci_bus *bus, unsigned int devfn, int where,
		       int size, u32 *val)
{
	struct helper_ep *ep = helper_ep(bus);
	int ret, shift = (where & 3) * 8;
	u32 v;

	if (helper_mine(ep, devfn, where)) {
		v = helper_dword(ep, where & ~3) >> shift;
		*val = size == 4 ? v : v & ((1u << (size * 8)) - 1);
		return PCIBIOS_SUCCESSFUL;
	}
	ret = ep->orig_ops->read(bus, devfn, where, size, val);
	if (ret || devfn != ep->devfn || !ep->last_cap)
		return ret;
	/* Chain our capability after the last real one: bits 31:20. */
	if ((where & ~3) == ep->last_cap && shift + size * 8 > 20) {
		v = ep->orig_ops->read(bus, devfn, ep->last_cap, 4, &v) ? 0 : v;
		v = (v & 0x000fffff) | ((u32)ep->pasid_off << 20);
		v >>= shift;
		*val = size == 4 ? v : v & ((1u << (size * 8)) - 1);
	}
	return ret;
}

static int helper_write(struct pci_bus *bus, unsigned int devfn, int where,
			int size, u32 val)
{
	struct helper_ep *ep = helper_ep(bus);
	u16 mask = PCI_PASID_CTRL_ENABLE | PCI_PASID_CTRL_EXEC | PCI_PASID_CTRL_PRIV;

	if (!helper_mine(ep, devfn, where))
		return ep->orig_ops->write(bus, devfn, where, size, val);
	if (where == ep->pasid_off + 6 && size == 2)
		ep->pasid_ctrl = val & mask;
	else if (where == ep->pasid_off + 4 && size == 4)
		ep->pasid_ctrl = (val >> 16) & mask;
	return PCIBIOS_SUCCESSFUL;
}

/* Walk the real list with the original accessors; find its end. */
static int helper_layout(struct pci_dev *pdev, struct helper_ep *ep)
{
	int pos = PCI_CFG_SPACE_SIZE, ttl = 480;
	u32 header = 0;

	pci_read_config_dword(pdev, pos, &header);
	if (!header || header == ~0u) {
		ep->last_cap = 0;
		ep->pasid_off = PCI_CFG_SPACE_SIZE;
		return 0;
	}
	while (ttl-- > 0) {
		if (PCI_EXT_CAP_ID(header) == PCI_EXT_CAP_ID_PASID)
			return -EEXIST;
		ep->last_cap = pos;
		pos = PCI_EXT_CAP_NEXT(header);
		if (pos < PCI_CFG_SPACE_SIZE)
			break;
		if (pci_read_config_dword(pdev, pos, &header))
			return -EIO;
	}
	/* The last dword pair of config space, if nothing lives there. */
	ep->pasid_off = PCI_CFG_SPACE_EXP_SIZE - 8;
	pci_read_config_dword(pdev, ep->pasid_off, &header);
	if (header)
		return -ENOSPC;
	pci_read_config_dword(pdev, ep->pasid_off + 4, &header);
	return header ? -ENOSPC : 0;
}

/* Wrap pdev's bus and re-enumerate pdev; consumes the reference. */
static int helper_add(struct pci_dev *pdev)
{
	struct helper_ep *ep = &eps[neps];
	struct pci_bus *bus = pdev->bus;
	int ret;

	if (neps == HELPER_MAX_EPS || pci_is_root_bus(bus) || !pci_is_pcie(pdev) ||
	    pdev->cfg_size < PCI_CFG_SPACE_EXP_SIZE || helper_ep(bus)) {
		ret = -EINVAL;
		goto out_put;
	}
	ret = helper_layout(pdev, ep);
	if (ret)
		goto out_put;
	ep->bus = bus;
	ep->devfn = pdev->devfn;
	ep->ops = *bus->ops;
	ep->ops.read = helper_read;
	ep->ops.write = helper_write;
	ep->orig_ops = bus->ops;
	neps++;
	pci_bus_set_ops(bus, &ep->ops);

	pci_stop_and_remove_bus_device_locked(pdev);
	pci_dev_put(pdev);
	pci_lock_rescan_remove();
	pci_rescan_bus(bus);
	pci_unlock_rescan_remove();
	pr_info("pasid_cap_helper: PASID capability (width %u) at 0x%x on %04x:%02x:%02x.%x\n",
		pasid_width, ep->pasid_off, pci_domain_nr(bus), bus->number,
		PCI_SLOT(ep->devfn), PCI_FUNC(ep->devfn));
	return 0;

out_put:
	pci_dev_put(pdev);
	return ret;
}

static void helper_remove_all(void)
{
	struct pci_dev *pdev;

	while (neps) {
		struct helper_ep *ep = &eps[neps - 1];

		/*
		 * The endpoint stays in eps[] while it is removed: its driver
		 * still reads config space through our ops meanwhile.
		 */
		pdev = pci_get_slot(ep->bus, ep->devfn);
		if (pdev) {
			pci_stop_and_remove_bus_device_locked(pdev);
			pci_dev_put(pdev);
		}
		pci_bus_set_ops(ep->bus, ep->orig_ops);
		neps--;
		pci_lock_rescan_remove();
		pci_rescan_bus(ep->bus);
		pci_unlock_rescan_remove();
	}
}

static int __init helper_init(void)
{
	unsigned int dom, bus, slot, fn;
	struct pci_dev *pdev = NULL;
	int ret;

	if (pasid_width < 1 || pasid_width > 20)
		return -EINVAL;
	if (dev_name_param) {
		if (sscanf(dev_name_param, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
			return -EINVAL;
		pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
		return pdev ? helper_add(pdev) : -ENODEV;
	}
	/* Collect first: re-enumerating changes the device list. */
	{
		struct pci_dev *found[HELPER_MAX_EPS];
		int n = 0, i;

		while (n < HELPER_MAX_EPS) {
			pdev = pci_get_device(0x1b36, 0x0010, pdev);
			if (!pdev)
				break;
			found[n++] = pci_dev_get(pdev);
		}
		pci_dev_put(pdev);	/* the iterator's, if it stopped early */
		if (!n) {
			pr_err("pasid_cap_helper: no endpoint found\n");
			return -ENODEV;
		}
		for (i = 0; i < n; i++) {
			/* Another function of a slot already given one. */
			if (helper_ep(found[i]->bus)) {
				pci_dev_put(found[i]);
				continue;
			}
			ret = helper_add(found[i]);
			if (ret) {
				while (++i < n)
					pci_dev_put(found[i]);
				helper_remove_all();
				return ret;
			}
		}
	}
	return 0;
}

static void __exit helper_exit(void)
{
	helper_remove_all();
}

module_init(helper_init);
module_exit(helper_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only: synthesize a PCIe PASID capability on QEMU endpoints");
