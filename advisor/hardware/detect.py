"""What this machine offers for training: GPUs, CPU bfloat16 support, memory, workers.

`detect_hardware()` is cheap: it reads /proc/cpuinfo, the TF_CONFIG environment
variable and sysconf, and asks TensorFlow about GPUs only when TensorFlow is
already imported or a GPU device node exists (importing TensorFlow costs
seconds; the CLI must stay fast on CPU-only hosts).
"""
from __future__ import annotations

import dataclasses
import functools
import glob
import json
import os
import sys
from typing import Any

from advisor.errors import AdvisorError
from advisor.findings import Finding

# float16 tensor cores (and loss-scaled mixed_float16 speedups) start at
# compute capability 7.0 (Volta) [docs/references.md#knowledge-6].
GPU_FP16_MIN_COMPUTE_CAPABILITY = (7, 0)
# CPU flags that make bfloat16 matmuls fast in oneDNN [docs/references.md#knowledge-6].
CPU_BF16_FLAGS = ("amx_bf16", "amx_tile", "avx512_bf16")
# Device nodes whose presence means TensorFlow might see an accelerator.
_ACCELERATOR_NODES = ("/dev/nvidia[0-9]*", "/dev/kfd")


@dataclasses.dataclass
class HardwareProfile:
    """The training hardware of this host (and cluster, via TF_CONFIG).

    Args:
        gpus: number of GPUs TensorFlow sees.
        gpu_names: their device names.
        gpu_compute_capabilities: [major, minor] per GPU ([] when unknown).
        cpu_amx: the CPU has AMX tiles with bfloat16 (amx_tile + amx_bf16).
        cpu_avx512_bf16: the CPU has AVX512-BF16.
        cpu_count: logical CPUs.
        memory_bytes: total physical memory.
        device_count: accelerators training would replicate over (= gpus).
        workers: hosts named in TF_CONFIG ("chief" + "worker"); 1 without it.

    Example:
        >>> hw = detect_hardware()
        >>> hw.gpus >= 0 and isinstance(hw.cpu_bf16, bool)
        True
    """

    gpus: int = 0
    gpu_names: list[str] = dataclasses.field(default_factory=list)
    gpu_compute_capabilities: list[list[int]] = dataclasses.field(default_factory=list)
    cpu_amx: bool = False
    cpu_avx512_bf16: bool = False
    cpu_count: int = 1
    memory_bytes: int = 0
    device_count: int = 0
    workers: int = 1

    @property
    def cpu_bf16(self) -> bool:
        """The CPU runs bfloat16 math natively (AMX or AVX512-BF16)."""
        return self.cpu_amx or self.cpu_avx512_bf16

    def mixed_policies(self) -> list[str]:
        """Mixed-precision policies worth timing here, best candidate first."""
        fp16_min = GPU_FP16_MIN_COMPUTE_CAPABILITY
        if self.gpus and any(cc and tuple(cc) >= fp16_min for cc in self.gpu_compute_capabilities):
            return ["mixed_float16"]
        if not self.gpus and self.cpu_bf16:
            return ["mixed_bfloat16"]
        return []

    def to_dict(self) -> dict[str, Any]:
        return dict(dataclasses.asdict(self), cpu_bf16=self.cpu_bf16)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "HardwareProfile":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in fields})


def detect_hardware() -> HardwareProfile:
    """Describe this host. Cheap; TensorFlow is consulted only if a GPU may exist."""
    flags = _cpu_flags()
    names, capabilities = _gpu_details()
    return HardwareProfile(
        gpus=len(names),
        gpu_names=list(names),
        gpu_compute_capabilities=[list(cc) for cc in capabilities],
        cpu_amx={"amx_tile", "amx_bf16"} <= flags,
        cpu_avx512_bf16="avx512_bf16" in flags,
        cpu_count=os.cpu_count() or 1,
        memory_bytes=_total_memory(),
        device_count=len(names),
        workers=tf_config_workers(os.environ.get("TF_CONFIG")),
    )


def tf_config_workers(tf_config: str | None) -> int:
    """Number of hosts ("chief" + "worker" tasks) a TF_CONFIG JSON string names."""
    if not tf_config:
        return 1
    try:
        cluster = json.loads(tf_config).get("cluster", {})
    except (json.JSONDecodeError, AttributeError) as e:
        raise AdvisorError(f"TF_CONFIG is not a JSON object with a 'cluster' key: {tf_config!r} ({e}); "
                           "fix or unset the TF_CONFIG environment variable") from e
    return max(1, sum(len(cluster.get(role, [])) for role in ("chief", "worker")))


def hardware_findings(hw: HardwareProfile | None, precision: dict | None = None) -> list[Finding]:
    """The hardware findings of the catalog, from a profile and a `time_policies` result."""
    found = []
    if precision and precision.get("faster", "float32") != "float32":
        times = precision["times"]
        found.append(Finding(
            "mixed_precision_faster", "medium", "hardware",
            f"a train step took {times[precision['faster']]*1e3:.1f} ms under {precision['faster']} "
            f"vs {times['float32']*1e3:.1f} ms under float32 ({precision['speedup']:.2f}x)",
            values=dict(precision)))
    if hw is not None and hw.gpus > 1:
        found.append(Finding("multiple_gpus", "medium", "hardware",
                             f"{hw.gpus} GPUs visible ({', '.join(hw.gpu_names)})",
                             values={"gpus": hw.gpus}))
    if hw is not None and hw.workers > 1:
        found.append(Finding("multi_worker", "medium", "hardware",
                             f"TF_CONFIG names {hw.workers} workers", values={"workers": hw.workers}))
    return found


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:  # not Linux: no flags, so no bf16 claim
        pass
    return set()


def _total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


@functools.lru_cache(maxsize=1)
def _gpu_details() -> tuple[tuple[str, ...], tuple[tuple[int, ...], ...]]:
    # Importing TensorFlow only to learn there is no GPU would cost seconds.
    if "tensorflow" not in sys.modules and not any(glob.glob(p) for p in _ACCELERATOR_NODES):
        return (), ()
    import tensorflow as tf

    names, capabilities = [], []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        cc = details.get("compute_capability")
        names.append(details.get("device_name", device.name))
        capabilities.append(tuple(cc) if cc else ())
    return tuple(names), tuple(capabilities)
