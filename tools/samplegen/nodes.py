"""What the collector's GPU node step reads on a node: the kernel log tail and ``nvidia-smi -q``.

Kernel lines are ``(t_ns, message)`` pairs printed in the format of the command that read them:
``dmesg -T`` in a GPU Operator driver container (``[Mon Dec  7 10:17:52 2026] msg``, the node's
UTC clock), ``journalctl -k -o short-iso`` on the host from a debug pod
(``2026-12-07T10:17:52+0000 host kernel: msg``). Messages are the kernel's and the NVIDIA
driver's own (NVRM module load, AER, Xid, the crash-dump notice); ``nvidia-smi -q`` follows the
layout of the 535/550 driver branches (ECC SRAM parity/SEC-DED counters, remapped rows, GPU reset
status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from .clock import NS, Rng
from .logs import Lines

MS = 1_000_000

# the driver's build stamp as `NVRM: loading` prints it, per driver version
DRIVER_BUILT = {"550.127.05": ("Tue Oct  8 03:22:07 UTC 2024", "Tue Oct  8 03:03:27 UTC 2024")}


def _dt(t: int) -> datetime:
    return datetime.fromtimestamp(t // NS, tz=timezone.utc)


def dmesg_t(t: int) -> str:
    """``dmesg -T`` stamp: ctime with a space-padded day, no zone."""
    d = _dt(t)
    return f"[{d:%a %b} {d.day:2d} {d:%H:%M:%S %Y}]"


def short_iso(t: int) -> str:
    """``journalctl -o short-iso`` stamp (UTC offset without a colon, as systemd 249 prints it)."""
    return _dt(t).strftime("%Y-%m-%dT%H:%M:%S+0000")


def render_dmesg(lines: Lines) -> str:
    return "".join(f"{dmesg_t(t)} {msg}\n" for t, msg in sorted(lines, key=lambda x: x[0]))


def render_journal(lines: Lines, host: str) -> str:
    return "".join(f"{short_iso(t)} {host} kernel: {msg}\n" for t, msg in sorted(lines, key=lambda x: x[0]))


def driver_load(t: int, driver: str, gpus: int, rng: Rng) -> Lines:
    """The kernel lines of loading the NVIDIA modules (driver container start, or boot)."""
    built, modeset_built = DRIVER_BUILT[driver]
    out = [(t, "nvidia: module license 'NVIDIA' taints kernel."),
           (t + 1 * MS, "Disabling lock debugging due to kernel taint"),
           (t + 9 * MS, f"nvidia-nvlink: Nvlink Core is being initialized, major device number {rng.randint(505, 511)}")]
    out.append((t + 40 * MS + gpus * 3 * MS, f"NVRM: loading NVIDIA UNIX x86_64 Kernel Module  {driver}  {built}"))
    out.append((t + 90 * MS, f"nvidia-modeset: Loading NVIDIA Kernel Mode Setting Driver for UNIX platforms  {driver}  "
                             f"{modeset_built}"))
    out.append((t + 160 * MS, f"nvidia-uvm: Loaded the UVM driver, major device number {rng.randint(500, 504)}."))
    return out


def pod_network_noise(rng: Rng, t0: int, t_end: int, every_s: float) -> Lines:
    """What pods coming and going leave in a node's kernel log: veth links up, AppArmor profile loads."""
    out: Lines = []
    t = t0
    while True:
        t += int(rng.uniform(0.3, 1.7) * every_s * NS)
        if t >= t_end:
            return out
        eni = "eni" + rng.hex(11)
        out.append((t, f"IPv6: ADDRCONF(NETDEV_CHANGE): {eni}: link becomes ready"))
        if rng.random() < 0.5:
            stamp = t // NS
            out.append((t + 4 * MS, f'audit: type=1400 audit({stamp}.{rng.randint(100, 999)}:{rng.randint(200, 900)}): '
                                    'apparmor="STATUS" operation="profile_replace" info="same as current profile, skipping" '
                                    'profile="unconfined" name="cri-containerd.apparmor.d" '
                                    f'pid={rng.randint(100_000, 4_000_000)} comm="apparmor_parser"'))


def fell_off_bus(t: int, bus: str, root_port: str, uuid: str, serial: str, pid: int, proc: str) -> Lines:
    """A GPU that fell off the PCIe bus: the root port's AER report, then the driver's Xid 79."""
    short = bus[:-2].lower()  # NVRM prints domain:bus:device
    return [(t, f"pcieport {root_port}: AER: Uncorrected (Fatal) error received: {bus.lower()}"),
            (t + 1 * MS, f"nvidia {bus.lower()}: AER: PCIe Bus Error: severity=Uncorrected (Fatal), type=Inaccessible, "
                         "(Unregistered Agent ID)"),
            (t + 212 * MS, f"NVRM: GPU at PCI:{short}: {uuid}"),
            (t + 212 * MS + 20_000, f"NVRM: GPU Board Serial Number: {serial}"),
            (t + 212 * MS + 41_000, f"NVRM: Xid (PCI:{short}): 79, pid={pid}, name={proc}, GPU has fallen off the bus."),
            (t + 212 * MS + 62_000, f"NVRM: GPU {bus.lower()}: GPU has fallen off the bus."),
            (t + 231 * MS, "NVRM: A GPU crash dump has been created. If possible, please run"),
            (t + 231 * MS + 10_000, "NVRM: nvidia-bug-report.sh as root to collect this data before"),
            (t + 231 * MS + 20_000, "NVRM: the NVIDIA kernel module is unloaded.")]


@dataclass
class SmiGpu:
    """One GPU as ``nvidia-smi -q`` reports it."""

    bus: str                    # 0000:ab:00.0
    uuid: str
    name: str                   # NVIDIA H100 80GB HBM3
    minor: int
    serial: str
    mem_mib: int
    used_mib: int = 0
    util: int = 0
    temp: int = 30
    mem_temp: int | None = None
    power_w: float = 70.0
    processes: list[tuple[int, int]] = field(default_factory=list)   # (pid, MiB)
    dram_correctable_aggregate: int = 0
    remapped_correctable: int = 0


_ARCH = {"NVIDIA H100 80GB HBM3": ("Hopper", "96.00.99.00.01", "0x233010DE", "0x16C110DE", "692-2G520-0200-000",
                                   "2330-885-A1", "G520.0200.00.05", "7.16", 5, 700.0, 200.0, 2560, (92, 89, 87, 95),
                                   (1980, 1980, 2619, 1755), 579, 131072),
         "NVIDIA L40S": ("Ada Lovelace", "95.02.66.00.02", "0x26B910DE", "0x185110DE", "900-2G133-0080-000",
                         "26B9-896-A1", "G133.0242.00.03", "6.16", 4, 350.0, 100.0, 384, (94, 91, 89, 0),
                         (2520, 2520, 9001, 1965), 602, 65536)}


def nvidia_smi_q(now: int, driver: str, cuda: str, gpus: list[SmiGpu]) -> str:
    """``nvidia-smi -q`` of a healthy node (the layout of the 535/550 drivers)."""
    d = _dt(now)
    out = ["", "==============NVSMI LOG==============", "",
           f"{'Timestamp':<42}: {d:%a %b} {d.day:2d} {d:%H:%M:%S %Y}",
           f"{'Driver Version':<42}: {driver}", f"{'CUDA Version':<42}: {cuda}", "",
           f"{'Attached GPUs':<42}: {len(gpus)}"]
    for g in gpus:
        (arch, vbios, dev_id, sub_id, board_pn, gpu_pn, inforom, ecc_obj, pcie, pmax, pmin, banks, temps, clocks,
         reserved, bar1) = _ARCH[g.name]
        dom, bus, dev = g.bus.split(":")[0], g.bus.split(":")[1], g.bus.split(":")[2].split(".")[0]
        hopper = arch == "Hopper"
        free = g.mem_mib - reserved - g.used_mib

        def kv(key: str, value: object, indent: int = 4) -> str:
            return f"{' ' * indent}{key:<{38 - (indent - 4)}}: {value}"

        def head(title: str, indent: int = 4) -> str:
            return f"{' ' * indent}{title}"

        out.append(f"GPU 0000{dom.upper()}:{bus.upper()}:{dev.upper()}.0")
        out += [kv("Product Name", g.name), kv("Product Brand", "NVIDIA"), kv("Product Architecture", arch),
                kv("Display Mode", "Disabled"), kv("Display Active", "Disabled"), kv("Persistence Mode", "Enabled"),
                kv("Addressing Mode", "None"),
                head("MIG Mode"), kv("Current", "Disabled" if hopper else "N/A", 8), kv("Pending", "Disabled" if hopper else "N/A", 8),
                kv("Accounting Mode", "Disabled"), kv("Accounting Mode Buffer Size", 4000),
                head("Driver Model"), kv("Current", "N/A", 8), kv("Pending", "N/A", 8),
                kv("Serial Number", g.serial), kv("GPU UUID", g.uuid), kv("Minor Number", g.minor),
                kv("VBIOS Version", vbios), kv("MultiGPU Board", "No"), kv("Board ID", f"0x{int(bus, 16) << 8:x}"),
                kv("Board Part Number", board_pn), kv("GPU Part Number", gpu_pn), kv("FRU Part Number", "N/A"),
                kv("Module ID", g.minor + 1 if hopper else 1),
                head("Inforom Version"), kv("Image Version", inforom, 8), kv("OEM Object", "2.1", 8),
                kv("ECC Object", ecc_obj, 8), kv("Power Management Object", "N/A", 8),
                head("Inforom BBX Object Flush"), kv("Latest Timestamp", "N/A", 8), kv("Latest Duration", "N/A", 8),
                head("GPU Operation Mode"), kv("Current", "N/A", 8), kv("Pending", "N/A", 8),
                kv("GSP Firmware Version", driver),
                head("GPU Virtualization Mode"), kv("Virtualization Mode", "None", 8), kv("Host VGPU Mode", "N/A", 8),
                head("GPU Reset Status"), kv("Reset Required", "No", 8), kv("Drain and Reset Recommended", "No", 8),
                head("IBMNPU"), kv("Relaxed Ordering Mode", "N/A", 8),
                head("PCI"), kv("Bus", f"0x{bus.upper()}", 8), kv("Device", f"0x{dev.upper()}", 8),
                kv("Domain", f"0x{dom}", 8), kv("Device Id", dev_id, 8),
                kv("Bus Id", f"0000{dom.upper()}:{bus.upper()}:{dev.upper()}.0", 8), kv("Sub System Id", sub_id, 8),
                head("GPU Link Info", 8), head("PCIe Generation", 12), kv("Max", pcie, 16), kv("Current", pcie, 16),
                kv("Device Current", pcie, 16), kv("Device Max", pcie, 16), kv("Host Max", pcie, 16),
                head("Link Width", 12), kv("Max", "16x", 16), kv("Current", "16x", 16),
                head("Bridge Chip", 8), kv("Type", "N/A", 12), kv("Firmware", "N/A", 12),
                kv("Replays Since Reset", 0, 8), kv("Replay Number Rollovers", 0, 8),
                kv("Tx Throughput", f"{g.util * 1400} KB/s", 8), kv("Rx Throughput", f"{g.util * 900} KB/s", 8),
                kv("Atomic Caps Inbound", "N/A", 8), kv("Atomic Caps Outbound", "N/A", 8),
                kv("Fan Speed", "N/A"), kv("Performance State", "P0" if g.processes else "P8"),
                head("Clocks Event Reasons"), kv("Idle", "Not Active" if g.processes else "Active", 8),
                kv("Applications Clocks Setting", "Not Active", 8), kv("SW Power Cap", "Not Active", 8),
                kv("HW Slowdown", "Not Active", 8), kv("HW Thermal Slowdown", "Not Active", 12),
                kv("HW Power Brake Slowdown", "Not Active", 12), kv("Sync Boost", "Not Active", 8),
                kv("SW Thermal Slowdown", "Not Active", 8), kv("Display Clock Setting", "Not Active", 8),
                kv("Sparse Operation Mode", "N/A"),
                head("FB Memory Usage"), kv("Total", f"{g.mem_mib} MiB", 8), kv("Reserved", f"{reserved} MiB", 8),
                kv("Used", f"{g.used_mib} MiB", 8), kv("Free", f"{free} MiB", 8),
                head("BAR1 Memory Usage"), kv("Total", f"{bar1} MiB", 8), kv("Used", f"{2 + len(g.processes) * 34} MiB", 8),
                kv("Free", f"{bar1 - 2 - len(g.processes) * 34} MiB", 8),
                head("Conf Compute Protected Memory Usage"), kv("Total", "0 MiB", 8), kv("Used", "0 MiB", 8),
                kv("Free", "0 MiB", 8),
                kv("Compute Mode", "Default"),
                head("Utilization"), kv("Gpu", f"{g.util} %", 8), kv("Memory", f"{g.util // 3} %", 8),
                kv("Encoder", "0 %", 8), kv("Decoder", "0 %", 8), kv("JPEG", "0 %", 8), kv("OFA", "0 %", 8),
                head("Encoder Stats"), kv("Active Sessions", 0, 8), kv("Average FPS", 0, 8), kv("Average Latency", 0, 8),
                head("FBC Stats"), kv("Active Sessions", 0, 8), kv("Average FPS", 0, 8), kv("Average Latency", 0, 8),
                head("ECC Mode"), kv("Current", "Enabled", 8), kv("Pending", "Enabled", 8),
                head("ECC Errors"), head("Volatile", 8)]
        out += [kv(k, 0, 12) for k in ("SRAM Correctable", "SRAM Uncorrectable Parity", "SRAM Uncorrectable SEC-DED",
                                       "DRAM Correctable", "DRAM Uncorrectable")]
        out += [head("Aggregate", 8), kv("SRAM Correctable", 0, 12), kv("SRAM Uncorrectable Parity", 0, 12),
                kv("SRAM Uncorrectable SEC-DED", 0, 12), kv("DRAM Correctable", g.dram_correctable_aggregate, 12),
                kv("DRAM Uncorrectable", 0, 12), kv("SRAM Threshold Exceeded", "No", 12),
                head("Aggregate Uncorrectable SRAM Sources", 8)]
        out += [kv(k, 0, 12) for k in ("SRAM L2", "SRAM SM", "SRAM Microcontroller", "SRAM PCIE", "SRAM Other")]
        out += [head("Retired Pages"), kv("Single Bit ECC", "N/A", 8), kv("Double Bit ECC", "N/A", 8),
                kv("Pending Page Blacklist", "N/A", 8),
                head("Remapped Rows"), kv("Correctable Error", g.remapped_correctable, 8), kv("Uncorrectable Error", 0, 8),
                kv("Pending", "No", 8), kv("Remapping Failure Occurred", "No", 8),
                head("Bank Remap Availability Histogram", 8), kv("Max", f"{banks - g.remapped_correctable} bank(s)", 12),
                kv("High", f"{g.remapped_correctable} bank(s)", 12), kv("Partial", "0 bank(s)", 12),
                kv("Low", "0 bank(s)", 12), kv("None", "0 bank(s)", 12)]
        shutdown, slowdown, max_op, mem_max = temps
        out += [head("Temperature"), kv("GPU Current Temp", f"{g.temp} C", 8), kv("GPU T.Limit Temp", f"{max_op - g.temp} C", 8),
                kv("GPU Shutdown T.Limit Temp", f"{max_op - shutdown} C", 8),
                kv("GPU Slowdown T.Limit Temp", f"{max_op - slowdown} C", 8), kv("GPU Max Operating T.Limit Temp", "0 C", 8),
                kv("GPU Target Temperature", "N/A", 8),
                kv("Memory Current Temp", f"{g.mem_temp} C" if g.mem_temp is not None else "N/A", 8),
                kv("Memory Max Operating T.Limit Temp", f"{mem_max - (g.mem_temp or 0)} C" if mem_max else "N/A", 8),
                head("GPU Power Readings"), kv("Power Draw", f"{g.power_w:.2f} W", 8),
                kv("Current Power Limit", f"{pmax:.2f} W", 8), kv("Requested Power Limit", f"{pmax:.2f} W", 8),
                kv("Default Power Limit", f"{pmax:.2f} W", 8), kv("Min Power Limit", f"{pmin:.2f} W", 8),
                kv("Max Power Limit", f"{pmax:.2f} W", 8),
                head("Module Power Readings")] + [kv(k, "N/A", 8) for k in (
                    "Power Draw", "Current Power Limit", "Requested Power Limit", "Default Power Limit",
                    "Min Power Limit", "Max Power Limit")]
        gr, sm, memclk, video = clocks
        idle = not g.processes
        out += [head("Clocks"), kv("Graphics", f"{345 if idle else gr} MHz", 8), kv("SM", f"{345 if idle else sm} MHz", 8),
                kv("Memory", f"{memclk} MHz", 8), kv("Video", f"{765 if idle else video} MHz", 8),
                head("Applications Clocks"), kv("Graphics", f"{gr} MHz", 8), kv("Memory", f"{memclk} MHz", 8),
                head("Default Applications Clocks"), kv("Graphics", f"{gr} MHz", 8), kv("Memory", f"{memclk} MHz", 8),
                head("Deferred Clocks"), kv("Memory", "N/A", 8),
                head("Max Clocks"), kv("Graphics", f"{gr} MHz", 8), kv("SM", f"{sm} MHz", 8),
                kv("Memory", f"{memclk} MHz", 8), kv("Video", f"{video} MHz", 8),
                head("Max Customer Boost Clocks"), kv("Graphics", f"{gr} MHz", 8),
                head("Clock Policy"), kv("Auto Boost", "N/A", 8), kv("Auto Boost Default", "N/A", 8),
                head("Voltage"), kv("Graphics", f"{(670 if idle else 1010):.3f} mV", 8),
                head("Fabric"), kv("State", "Completed" if hopper else "N/A", 8), kv("Status", "Success" if hopper else "N/A", 8)]
        if not g.processes:
            out.append(kv("Processes", "None"))
        else:
            out.append(head("Processes"))
            for pid, mib in g.processes:
                out += [kv("GPU instance ID", "N/A", 8), kv("Compute instance ID", "N/A", 8), kv("Process ID", pid, 8),
                        kv("Type", "C", 12), kv("Name", "", 12), kv("Used GPU Memory", f"{mib} MiB", 12)]
        out.append("")
    return "\n".join(out) + "\n"
