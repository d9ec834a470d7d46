"""Is this machine a virtual machine or a container, and which kind?

The checks follow systemd-detect-virt (src/basic/virt.c): container markers first (a container
on a VM is reported as the container, since that is what the workload is), then the hypervisor's
own DMI strings, then the Xen hypervisor node, and last the CPUID "hypervisor" flag, which says
"some VM" without saying which.
"""

from __future__ import annotations

from pathlib import Path

from agent.facts._fsutil import read_text

# Substrings of DMI sys_vendor / product_name / bios_vendor / board_vendor, from
# systemd's dmi_vendor_table (virt.c) plus Hyper-V's "Virtual Machine" product. Order matters:
# KVM guests report sys_vendor "QEMU" and product "KVM"-less names, so "KVM" is checked first.
_DMI_VENDORS: tuple[tuple[str, str], ...] = (
    ("KVM", "kvm"),
    ("OpenStack", "kvm"),
    ("KubeVirt", "kvm"),
    ("Amazon EC2", "amazon"),
    ("QEMU", "qemu"),
    ("VMware", "vmware"),
    ("VMW", "vmware"),
    ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"),
    ("Xen", "xen"),
    ("Bochs", "bochs"),
    ("Parallels", "parallels"),
    ("BHYVE", "bhyve"),
    ("Hyper-V", "microsoft"),
    ("Apple Virtualization", "apple"),
    ("Google Compute Engine", "google"),
)

_DMI_FILES = ("product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version")

# /proc/1/cgroup path fragments written by container runtimes (cgroup v1 layout; under cgroup
# v2 with a private cgroup namespace the path is just "/", so the marker files come first).
_CGROUP_MARKERS: tuple[tuple[str, str], ...] = (
    ("kubepods", "kubernetes"),
    ("/docker/", "docker"),
    ("docker-", "docker"),
    ("/lxc/", "lxc"),
    ("/libpod", "podman"),
    ("/machine.slice/", "systemd-nspawn"),
)


def hypervisor_from_dmi(root: Path) -> str:
    """The hypervisor named by DMI strings under `root`, or "" for physical hardware."""
    dmi = root / "sys/class/dmi/id"
    values = [read_text(dmi / name) for name in _DMI_FILES]
    # Hyper-V: sys_vendor "Microsoft Corporation" with product "Virtual Machine"; Surface
    # laptops share the vendor, so the product decides.
    if values[1].startswith("Microsoft") and values[0] == "Virtual Machine":
        return "microsoft"
    for value in values:
        for needle, kind in _DMI_VENDORS:
            if needle in value:
                return kind
    return ""


def container_kind(root: Path) -> str:
    """The container runtime this root runs in, or ""."""
    # systemd writes the manager's $container value here (systemd.io/CONTAINER_INTERFACE).
    marker = read_text(root / "run/systemd/container")
    if marker:
        return marker
    if (root / ".dockerenv").exists():
        return "docker"
    if (root / "run/.containerenv").exists():
        return "podman"
    cgroup = read_text(root / "proc/1/cgroup")
    for needle, kind in _CGROUP_MARKERS:
        if needle in cgroup:
            return kind
    return ""


class VirtualizationCollector:
    """Names the container runtime or hypervisor; "" means bare metal (or undetectable)."""

    name = "virtualization"

    def is_present(self, root: Path) -> bool:
        """Always runs: absence of every marker is itself the answer ("")."""
        return True

    def collect(self, root: Path) -> str:
        """Apply the checks in systemd-detect-virt's order."""
        kind = container_kind(root) or hypervisor_from_dmi(root)
        if kind:
            return kind
        # Xen PV guests have no DMI; the hypervisor announces itself in sysfs.
        hv_type = read_text(root / "sys/hypervisor/type")
        if hv_type:
            return hv_type
        # CPUID leaf 1 ECX bit 31, shown as the "hypervisor" flag in /proc/cpuinfo.
        for line in read_text(root / "proc/cpuinfo").splitlines():
            if line.startswith("flags") and " hypervisor " in f" {line.partition(':')[2].strip()} ":
                return "vm"
        return ""
