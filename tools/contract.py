# SPDX-License-Identifier: GPL-2.0
"""The errno contract of /dev/pasid-shim: one row per command and condition.

This table is the one place the contract is written. tools/gen-contract
makes from it, and `make check` (tools/gen-contract --check) holds to it:

- tools/pshim_contract.h: the meaning of each (command, errno) that
  libpasidshim's pshim_strerror() and pasidctl print, and for each
  PASID_SHIM_MISSING_* bit of CHECK its errno, its cause and its fix;
- python/pasid_shim/_contract.py: the same for the Python module;
- the errno tables of docs/uapi.md and the ERRORS section of pasidctl(8),
  between their "contract" markers;
- tests/guest/pshim_contract.h: one CT_<COMMAND>_<ID> macro per row, the
  errno and the row's name, which the guest tests expect with t_row().
  Every row with an errno must be named by a guest test, or say in
  `untested` why no test can provoke it;
- and it checks the uAPI header against the table: each errno a
  command's kernel-doc names is one of that command's rows, each
  `header` phrase stands in the header, the errno of each
  PASID_SHIM_MISSING_* comment is its row's, and src/device.c refuses
  BIND with the same errno for each bit.

A row: `row(ID, ERRNO, CONDITION, ...)`. ERRNO is an errno name, "0"
(success), or free text for the docs ("its errno"); in a section of two
commands it is a pair. CONDITION and `mainline` are Markdown for
docs/uapi.md. `meaning` is the short plain text the library and the
Python module print for that errno of that command (several rows of one
errno are joined with "; "); rows without it add nothing there.
`missing` names the PASID_SHIM_MISSING_* bit CHECK reports for it (`why`
says it in plain words where `meaning` does not), `fix` what a user does
about it. `bold` marks a deliberate difference from
mainline.
"""


class Row:
    def __init__(self, rid, errno, cond, mainline=None, meaning=None, missing=None,
                 fix=None, untested=None, bold=False, header=None, applies=None, why=None):
        self.id = rid
        self.errno = errno if isinstance(errno, tuple) else (errno,)
        self.cond = cond
        self.mainline = mainline
        self.meaning = meaning
        self.missing = missing
        self.fix = fix
        self.untested = untested
        self.bold = bold
        self.header = header
        self.applies = applies
        self.why = why
        self.section = None


class Section:
    def __init__(self, key, cmds, title, rows, mainline_head="mainline", inherit=None):
        self.key = key
        self.cmds = cmds
        self.title = title
        self.rows = rows
        self.mainline_head = mainline_head
        self.inherit = inherit or {}
        for r in rows:
            r.section = self


row = Row

# Kernel command names (PASID_SHIM_<NAME>) and pasidctl's; "open" is open(2).
COMMANDS = {
    "open": "open", "GET_INFO": "info", "BIND": "bind", "CHECK": "check",
    "DOMAIN_ALLOC": "domain-alloc", "MAP": "map", "MAP_MANY": "map-many",
    "UNMAP": "unmap", "ATTACH": "attach", "REPLACE": "replace", "DETACH": "detach",
    "ATTACH_MANY": "attach-many", "DETACH_MANY": "detach-many", "LIST": "list",
    "DESTROY": "destroy", "PASID_ALLOC": "pasid-alloc", "PASID_FREE": "pasid-free",
}
IOCTLS = [c for c in COMMANDS if c != "open"]
# Commands that take an object ID, and those that reach a bound device.
WITH_ID = ["DOMAIN_ALLOC", "MAP", "MAP_MANY", "UNMAP", "ATTACH", "REPLACE", "DETACH",
           "ATTACH_MANY", "DETACH_MANY", "LIST", "DESTROY", "PASID_ALLOC"]
ON_DEVICE = ["DOMAIN_ALLOC", "ATTACH", "REPLACE", "DETACH", "ATTACH_MANY", "DETACH_MANY",
             "LIST", "PASID_ALLOC"]
SIGNAL = "a fatal signal: the process is dying, and no caller ever sees this return"

SECTIONS = [
    Section("open", ["open"], "open(2) of /dev/pasid-shim", mainline_head="mainline (/dev/iommu)",
            rows=[
        row("NONODE", "ENOENT", "no such node: the module is not loaded, or the path is wrong",
            mainline="ENOENT (iommufd not loaded)",
            meaning="no such device node: pasid_shim is not loaded (modprobe pasid_shim), "
                    "or the path is wrong",
            fix="`modprobe pasid_shim` (the module makes the node); check the path given to "
                "`--device`"),
        row("NOCAP", "EPERM", "the caller lacks CAP_SYS_RAWIO", bold=True,
            mainline="none: mode 0660, no capability",
            meaning="opening it needs CAP_SYS_RAWIO",
            fix="run as root, or give the program CAP_SYS_RAWIO (`setcap cap_sys_rawio+ep`, "
                "see docs/install.md)"),
        row("MODE", "EACCES", "the node's mode keeps the caller out (0600 root by default; "
            "with the example udev rule, 0660 and a group)", mainline="EACCES",
            meaning="the node's mode keeps this user out: root only by default, or, with "
                    "the udev rule, a user not in its group",
            fix="add the user to the node's group (the example udev rule's `pasid`) and log "
                "in again"),
    ]),
    Section("common", ["*"], "Common rules", rows=[
        row("CMD", "ENOTTY", "command not known (type, number, or encoding)", mainline="ENOTTY",
            meaning="command unknown to this module (older than this program?)",
            fix="load a module as new as the program (`modinfo -F version pasid_shim`)",
            applies=IOCTLS),
        row("SHORT", "EINVAL", "`size` below the struct's first version", mainline="EINVAL",
            applies=IOCTLS),
        row("LONG", "E2BIG", "`size` above the kernel's struct with a non-zero tail",
            mainline="E2BIG", meaning="struct larger than the kernel's, with a non-zero tail "
            "(a program newer than the module?)", applies=IOCTLS),
        row("HUGE", "E2BIG", "`size` above 4096, whatever the tail (no struct grows past a "
            "page; reading a huge tail for zeroes would hold the CPU)", bold=True,
            mainline="E2BIG only for a non-zero tail, after reading all of it",
            meaning="struct size above a page", applies=IOCTLS),
        row("FAULT", "EFAULT", "pointer to the struct not readable/writable", mainline="EFAULT",
            meaning="a pointer the kernel cannot read or write", applies=IOCTLS),
        row("FLAGS", "EOPNOTSUPP", "unknown bit in `flags`, non-zero `__reserved`",
            mainline="EOPNOTSUPP (iommufd), EINVAL (VFIO cdev)",
            meaning="unknown flag or non-zero reserved field", applies=IOCTLS),
        row("ID", "ENOENT", "ID unknown to this file, or an ID of the other kind",
            mainline="ENOENT (EINVAL for a wrong-kind `pt_id`)",
            meaning="no object with that ID in this file, or one of the wrong kind",
            applies=WITH_ID),
        row("GONE", "ENODEV", "the bound device went away (driver unbound, removed, "
            "hot-unplugged)", bold=True,
            mainline="none: VFIO blocks the unbind until userspace closes",
            meaning="the device is gone (its driver was unbound, or it was removed)",
            fix="DESTROY the device's ID and BIND it again once it is back",
            applies=ON_DEVICE),
        row("KILLED", "EINTR", "a fatal signal while the call waited for the file's lock",
            mainline="-", meaning="a fatal signal arrived", untested=SIGNAL, applies=IOCTLS),
    ]),
    Section("BIND", ["BIND"], "PASID_SHIM_BIND", rows=[
        row("NODEV", "ENODEV", "no PCI device of that name (or not a PCI device)",
            mainline="n/a (the VFIO cdev is opened by path); no IOMMU group: ENODEV",
            meaning="no such PCI device", fix="name it as `lspci -D` does: 0000:01:00.0"),
        row("REMOVING", "ENODEV", "the driver core is removing it", missing="PRESENT",
            mainline="n/a", meaning="the device is being removed",
            fix="bind it again once it is back", untested="a removal is over before BIND "
            "can be made to land inside it; t_regress races them, either answer is right"),
        row("SETTLING", "EBUSY", "a hot-added device the IOMMU core is still probing, or any "
            "PCI device being added (it may be about to join the group; retry)",
            missing="SETTLED", mainline="n/a",
            meaning="a PCI device is being added or probed (retry)", fix="retry in a moment",
            untested="the window of a hot-add is too short to land in; t_regress races "
            "BIND with it, either answer is right"),
        row("NOIOMMU", "EOPNOTSUPP", "no IOMMU translates the device", missing="IOMMU", bold=True,
            mainline="ENODEV", meaning="no IOMMU translates the device",
            fix="enable VT-d (or AMD-Vi) in the firmware and boot with `intel_iommu=on,sm_on`",
            untested="every device of the test guest is behind its emulated VT-d"),
        row("GROUP", "EXDEV", "the device shares its IOMMU group with another device",
            missing="GROUP_ALONE", bold=True,
            mainline="allowed; the PASID is programmed on every device of the group",
            meaning="the device shares its IOMMU group with another device",
            fix="a slot of its own behind a port with ACS; `pasidctl check` lists the "
                "group's devices"),
        row("NOPASIDS", "EOPNOTSUPP", "the IOMMU gives the device no PASIDs (one of the two "
            "causes below)", missing="PASIDS", bold=True,
            mainline="allowed (attach then fails)",
            meaning="the IOMMU gives the device no PASIDs (no PASID capability, or VT-d not "
                    "in scalable mode)",
            fix="see the two causes below"),
        row("NOPASIDCAP", "EOPNOTSUPP", "... because the device has no PCIe PASID capability",
            missing="PASID_CAP", mainline="allowed (attach then fails)",
            why="the device has no PCIe PASID capability",
            fix="a device with the PASID capability (`lspci -vvv` shows \"Process Address "
                "Space ID\"); none can be added by software"),
        row("NOTSCALABLE", "EOPNOTSUPP", "... because VT-d is not in scalable mode",
            missing="SCALABLE", mainline="allowed (attach then fails)",
            why="VT-d is not in scalable mode",
            fix="boot with `intel_iommu=on,sm_on`",
            untested="the test guest always boots with scalable mode on"),
        row("BRIDGE", "EXDEV", "the device is a bridge (devices hot-added below it may join "
            "its group)", missing="NOT_BRIDGE", bold=True,
            mainline="n/a (vfio-pci binds no bridge)", meaning="the device is a bridge",
            fix="bind the endpoint below it",
            untested="no bridge of the test guest has PASIDs, so BIND stops at NOPASIDS; "
            "t_check sees CHECK report the bit"),
        row("BOUND", "EBUSY", "already bound by an open file (this one or another)",
            missing="UNBOUND", mainline="EINVAL (VFIO device already bound)",
            meaning="bound by an open file already", fix="`pasidctl status` shows what is "
            "bound; close the other file"),
        row("NOPAGING", "EOPNOTSUPP", "the IOMMU driver's paging domains cannot go on a PASID "
            "(no `set_dev_pasid`: VT-d before 6.6), with one kernel log line",
            missing="PAGING_PASID", mainline="allowed (attach then fails, EOPNOTSUPP)",
            meaning="the IOMMU driver cannot attach paging domains to PASIDs on this kernel",
            fix="a kernel whose IOMMU driver can (VT-d: 6.6 or later)",
            untested="no tested kernel lacks it"),
        row("GUARDED", "EOPNOTSUPP", "(6.2-6.9) behind a VMD controller, or an IOMMU other "
            "than VT-d", missing="GUARDED", mainline="n/a",
            meaning="(6.2-6.9) an IOMMU other than VT-d, or behind VMD",
            fix="Linux 6.10 or later",
            untested="the test guest has VT-d and no VMD"),
        row("KDUMP", "EBUSY", "(6.2-6.9) a kdump kernel", missing="NOT_KDUMP", mainline="n/a",
            meaning="(6.2-6.9) a kdump kernel", fix="not in a kdump kernel",
            untested="the suite boots no kdump kernel"),
        row("HASDRIVER", "EBUSY", "exclusive: the device has a driver", missing="NO_DRIVER",
            mainline="EPERM (ownership held by the driver)",
            meaning="exclusive: a driver is bound to the device",
            fix="unbind it first: `echo DEV > /sys/bus/pci/devices/DEV/driver/unbind`"),
        row("NODRIVER", "ENXIO", "shared: the device has no driver", missing="DRIVER", bold=True,
            mainline="n/a", meaning="shared: no kernel driver is bound",
            fix="bind its driver, or bind it `--exclusive`"),
        row("DMADRIVER", "EBUSY", "shared: its driver manages DMA itself (vfio-pci, any "
            "`driver_managed_dma` driver)", missing="DMA_API_DRIVER",
            mainline="EPERM (ownership held)",
            meaning="shared: its driver manages DMA itself (vfio-pci)",
            fix="give it back to its own driver, or unbind it and bind `--exclusive`"),
        row("OWNED", "EBUSY", "exclusive: DMA ownership held by VFIO, iommufd or another "
            "owner", bold=True, mainline="EPERM; EBUSY when PASIDs are attached",
            meaning="exclusive: VFIO, iommufd or another owner holds its DMA",
            untested="VFIO owns a device only through vfio-pci, a driver, which "
            "HASDRIVER refuses first"),
        row("NAMEFAULT", "EFAULT", "bad `name_uptr`", mainline="EFAULT"),
        row("NAMELONG", "EINVAL", "name not NUL-terminated within `PASID_SHIM_NAME_MAX` "
            "(@NAME_MAX@) bytes", mainline="n/a",
            meaning="name longer than @NAME_LEN@ characters"),
        row("FLAG", "EOPNOTSUPP", "unknown flag", mainline="EINVAL"),
    ]),
    Section("CHECK", ["CHECK"], "PASID_SHIM_CHECK",
            mainline_head="mainline (IOMMU_GET_HW_INFO)", rows=[
        row("REPORT", "0", "the device is reported: `out_missing` 0 if a BIND with these "
            "`flags` would succeed now, else each requirement not met",
            mainline="0, for a device bound to iommufd only; no verdict"),
        row("NODEV", "ENODEV", "no PCI device of that name, or it is being removed",
            mainline="n/a", meaning="no such PCI device, or it is being removed"),
        row("NAMEFAULT", "EFAULT", "bad `name_uptr`", mainline="n/a"),
        row("NAMELONG", "EINVAL", "name not NUL-terminated within `PASID_SHIM_NAME_MAX` "
            "bytes", mainline="n/a", meaning="name longer than @NAME_LEN@ characters"),
        row("FLAG", "EOPNOTSUPP", "a flag other than `PASID_SHIM_BIND_EXCLUSIVE`",
            mainline="EOPNOTSUPP"),
        row("NOMEM", "ENOMEM", "no memory to read the IOMMU's registers", mainline="n/a",
            untested="only an allocation failure provokes it (the fail-nth sweep on the "
            "debug kernel, tests/guest/failnth.c, injects them)"),
        row("OLD", "ENOTTY", "a module older than 0.3.0", mainline="-",
            meaning="this module is older than 0.3.0 and has no CHECK",
            untested="the suite loads this tree's module"),
    ]),
    Section("DOMAIN_ALLOC", ["DOMAIN_ALLOC"], "PASID_SHIM_DOMAIN_ALLOC",
            mainline_head="mainline (IOMMU_HWPT_ALLOC)", rows=[
        row("NODEV", "ENOENT", "`dev_id` unknown or not a device", mainline="ENOENT"),
        row("QUOTA", "EDQUOT", "the file holds `max_domains_per_file` domains already "
            "(see [Limits](#limits))", bold=True, mainline="none (memory cgroup only)",
            meaning="this file holds max_domains_per_file domains already",
            fix="DESTROY domains, or raise /sys/module/pasid_shim/parameters/"
                "max_domains_per_file",
            header="max_domains_per_file domains (EDQUOT beyond)"),
        row("GONE", "ENODEV", "device gone", mainline="n/a"),
        row("DRIVER", "its errno", "the IOMMU driver cannot allocate one", mainline="its errno"),
    ]),
    Section("MAP", ["MAP"], "PASID_SHIM_MAP", mainline_head="mainline (IOMMU_IOAS_MAP)", rows=[
        row("NOACCESS", "EINVAL", "neither READ nor WRITE", mainline="EINVAL",
            meaning="neither read nor write asked for"),
        row("ALIGN", "EINVAL", "`user_va`, `iova` or `length` not page-aligned, or `length` 0",
            mainline="EINVAL", meaning="an address or length not page-aligned, or length 0"),
        row("WRAP", "EOVERFLOW", "`iova + length` or `user_va + length` wraps",
            mainline="EOVERFLOW", meaning="iova + length or address + length wraps"),
        row("OVERLAP", "EEXIST", "overlaps a mapping of the domain", mainline="EEXIST",
            meaning="overlaps a mapping of the domain"),
        row("RANGE", "ERANGE", "outside the domain's aperture, or beyond what the device's "
            "IOMMU translates (its address width)", bold=True, mainline="EINVAL",
            meaning="outside the domain's aperture, or beyond the IOMMU's address width"),
        row("NOPIN", "EFAULT", "memory that cannot be pinned (unmapped, PROT_NONE)",
            mainline="EFAULT", meaning="memory that cannot be pinned (unmapped or PROT_NONE)"),
        row("MEMLOCK", "ENOMEM", "over RLIMIT_MEMLOCK (nothing is pinned)", mainline="ENOMEM",
            meaning="over RLIMIT_MEMLOCK, or out of memory",
            fix="raise RLIMIT_MEMLOCK (`ulimit -l`, limits.conf), or map less"),
        row("PINMAX", "ENOMEM", "a page already pinned about a million times (its count "
            "would overflow in GUP)", bold=True, mainline="pinned: GUP WARNs at the overflow",
            meaning="a page pinned about a million times already"),
        row("INTR", "EINTR", "a fatal signal arrived (nothing stays pinned)", mainline="-",
            untested=SIGNAL),
    ]),
    Section("MAP_MANY", ["MAP_MANY"], "PASID_SHIM_MAP_MANY", inherit={"MAP_MANY": "MAP"}, rows=[
        row("NUM", "EINVAL", "`num` above 2^20", meaning="more than 2^20 entries"),
        row("ARRAY", "EFAULT", "`entries_uptr` unreadable (every whole entry before the first "
            "unreadable byte is mapped: `out_done` says how many)",
            meaning="the array cannot be read (out_done says how far it got)"),
        row("ENTRY", "that errno", "an entry as MAP would refuse it (`out_done` is its index)"),
        row("INTR", "EINTR", "a fatal signal arrived (checked between entries; `out_done` "
            "exact)", untested=SIGNAL),
    ]),
    Section("UNMAP", ["UNMAP"], "PASID_SHIM_UNMAP", mainline_head="mainline (IOMMU_IOAS_UNMAP)",
            rows=[
        row("STRADDLE", "EINVAL", "a mapping straddles an edge of the range (nothing is "
            "removed)", bold=True,
            mainline="ENOENT, and mappings before the straddling one are already gone",
            meaning="a mapping straddles the range's edge (nothing was removed)"),
        row("ZERO", "EINVAL", "`length` 0", mainline="EINVAL", meaning="length 0"),
        row("WRAP", "EOVERFLOW", "range wraps", mainline="EOVERFLOW", meaning="the range wraps"),
        row("EMPTY", "ENOENT", "nothing mapped in the range", mainline="ENOENT",
            meaning="nothing mapped in the range"),
        row("INTR", "EINTR", "a fatal signal arrived; what was unmapped stays unmapped, the "
            "rest stays mapped", mainline="-", untested=SIGNAL),
    ]),
    Section("ATTACH", ["ATTACH", "REPLACE"], "PASID_SHIM_ATTACH / PASID_SHIM_REPLACE", rows=[
        row("RANGE", ("EINVAL", "EINVAL"), "`pasid` 0 or `>= out_max_pasid`",
            mainline="core: EINVAL; VFIO cdev: no check (PASID 0 means the RID)",
            meaning="PASID 0 or beyond the device's range"),
        row("ATTACHED", ("EBUSY", "(replaces it)"), "PASID already has a domain (same or other)",
            mainline="core and `iommufd_device_attach()`: EBUSY; **the VFIO cdev turns ATTACH "
                     "into REPLACE**",
            meaning="the PASID has a domain already (REPLACE swaps it)",
            header="ATTACH fails with EBUSY when the PASID has a domain already"),
        row("INUSE", ("EBUSY", "-"), "PASID in use by another user of the device (SVA, a kernel "
            "driver)", mainline="core: EBUSY",
            meaning="another user of the device (SVA, a kernel driver) has that PASID",
            untested="no SVA user or PASID-using driver in the test guest"),
        row("UNATTACHED", ("(attaches)", "EINVAL"), "PASID has no domain",
            mainline="REPLACE: EINVAL", meaning="the PASID has no domain to replace",
            header="REPLACE needs one (EINVAL otherwise)"),
        row("SAME", ("EBUSY", "0"), "same domain as attached (REPLACE: nothing touched, "
            "`out_old_domain_id` = it)", mainline="REPLACE: 0, nothing touched"),
        row("FOREIGN", ("EINVAL", "EINVAL"), "domain of another IOMMU", mainline="core: EINVAL",
            meaning="a domain of another IOMMU",
            untested="the test guest has one VT-d unit"),
        row("REFUSED", ("its errno", "its errno; the old domain stays attached"),
            "the IOMMU refuses the domain", mainline="its errno; old stays"),
        row("DID", ("ENOSPC", "ENOSPC"), "the domain needs a domain ID of the VT-d unit and "
            "only the sixteenth kept for the kernel is left (REPLACE: the old one stays)",
            bold=True, mainline="the driver's ENOSPC once the last one is gone",
            meaning="the IOMMU's domain IDs are used up (the kernel's reserve is left)",
            fix="DESTROY domains attached nowhere, or attach fewer distinct domains"),
        row("GROWN", ("EXDEV", "EXDEV"), "(6.2-6.9) the IOMMU group has grown beyond the device",
            mainline="n/a", meaning="(6.2-6.9) the device's IOMMU group has grown",
            untested="a device added on the bus ends the binding first (ENODEV); the guard "
            "is the second line"),
    ]),
    Section("ATTACH_MANY", ["ATTACH_MANY", "DETACH_MANY"],
            "PASID_SHIM_ATTACH_MANY / PASID_SHIM_DETACH_MANY",
            inherit={"ATTACH_MANY": "ATTACH", "DETACH_MANY": "DETACH"}, rows=[
        row("NUM", ("EINVAL", "EINVAL"), "`num` above 2^20", meaning="more than 2^20 entries"),
        row("ARRAY", ("EFAULT", "EFAULT"), "`entries_uptr` unreadable (every whole element "
            "before the first unreadable byte is done: `out_done` says how many)",
            meaning="the array cannot be read (out_done says how far it got)"),
        row("ENTRY", ("that errno", "that errno"), "an element as ATTACH / DETACH would refuse "
            "it (`out_done` is its index)"),
        row("DOMAIN", ("ENOENT", "-"), "`domain_id` of an element unknown",
            meaning="an element names no domain of this file"),
        row("INTR", ("EINTR", "EINTR"), "a fatal signal arrived (checked between chunks of 32; "
            "`out_done` exact)", untested=SIGNAL),
    ]),
    Section("DETACH", ["DETACH"], "PASID_SHIM_DETACH", rows=[
        row("UNATTACHED", "ENOENT", "PASID has no domain", bold=True,
            mainline="0 (a silent no-op)", meaning="the PASID has no domain",
            header="an attached PASID (ENOENT otherwise"),
        row("RANGE", "EINVAL", "PASID 0 or out of range", mainline="0",
            meaning="PASID 0 or beyond the device's range"),
    ]),
    Section("LIST", ["LIST"], "PASID_SHIM_LIST", rows=[
        row("ENTRIES", "EFAULT", "bad `entries_uptr`", mainline="n/a"),
        row("INTR", "EINTR", "a fatal signal arrived", mainline="n/a", untested=SIGNAL),
    ]),
    Section("DESTROY", ["DESTROY"], "PASID_SHIM_DESTROY", mainline_head="mainline (IOMMU_DESTROY)",
            rows=[
        row("ATTACHED", "EBUSY", "a domain attached to any PASID", mainline="EBUSY",
            meaning="the domain is attached to a PASID",
            header="a domain (EBUSY while attached to any PASID)"),
        row("DOMAIN", "0", "a domain: otherwise unmaps everything and frees it", mainline="0"),
        row("DEVICE", "0", "a device (also one that went away): detaches all its PASIDs, "
            "releases exclusive ownership, unbinds",
            mainline="a device cannot be destroyed (EBUSY); closing the VFIO fd does this"),
        row("INTR", "EINTR", "a fatal signal arrived while unmapping or detaching; the object "
            "stays, with what is left (close() finishes the job)", mainline="-", untested=SIGNAL),
        row("UNKNOWN", "ENOENT", "unknown ID", mainline="ENOENT"),
    ]),
    Section("PASID_ALLOC", ["PASID_ALLOC"], "PASID_SHIM_PASID_ALLOC", rows=[
        row("QUOTA", "EDQUOT", "the file holds `max_pasids_per_file` PASIDs already (see "
            "[Limits](#limits))", meaning="this file holds max_pasids_per_file PASIDs already",
            fix="PASID_FREE some, or raise /sys/module/pasid_shim/parameters/"
                "max_pasids_per_file",
            header="max_pasids_per_file of them (EDQUOT beyond)"),
        row("FULL", "ENOSPC", "the kernel's PASID space (below the device's width) is used up",
            meaning="the kernel's PASID space is used up",
            untested="would need all 2^20 - 1 PASIDs of the guest"),
        row("OLD", "EOPNOTSUPP", "the kernel has no global allocator (before 6.6)",
            meaning="this kernel has no global PASID allocator (before 6.6)",
            fix="choose PASIDs yourself, or a 6.6 or later kernel",
            untested="no tested kernel is older than 6.6"),
        row("GONE", "ENODEV", "device gone"),
    ]),
    Section("PASID_FREE", ["PASID_FREE"], "PASID_SHIM_PASID_FREE", rows=[
        row("NOTMINE", "ENOENT", "not a PASID this file allocated",
            meaning="not a PASID this file allocated", header="PASID_SHIM_PASID_ALLOC (ENOENT"),
        row("ATTACHED", "EBUSY", "still attached to a device of this file",
            meaning="the PASID is still attached to a device of this file",
            header="attached to no device of the file (EBUSY otherwise)"),
    ]),
]
