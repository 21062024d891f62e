"""One place that decides where and in which precision the model runs."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from lccode.errors import LccodeError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placement:
    device: "object"          # torch.device
    autocast: "object | None"  # torch.dtype for autocast, or None for full fp32

    def describe(self) -> str:
        prec = str(self.autocast).replace("torch.", "") + " autocast" if self.autocast is not None else "fp32"
        name = str(self.device)
        if self.device.type == "cuda":
            import torch

            name += f" ({torch.cuda.get_device_name(self.device)})"
        return f"{name}, {prec}"


def cpu_has_fast_bf16() -> bool:
    """AMX or AVX512-BF16 make bf16 matmuls several times faster than fp32 on the CPU."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f in flags for f in (" amx_bf16", " avx512_bf16"))


_DEVICE = re.compile(r"auto|cpu|cuda(?::\d+)?")
DEVICES = "auto | cpu | cuda | cuda:N"


def check_device(spec: str) -> str:
    """The form of a --device value, checked without torch, so a typo stops a command before its slow work."""
    if not isinstance(spec, str) or not _DEVICE.fullmatch(spec):
        raise LccodeError(f"unknown device '{spec}'", field="--device", expected=DEVICES,
                          fix="use --device auto (a GPU when there is one, else the CPU), cpu, or cuda:0 for the first GPU")
    return spec


def resolve_device(spec: str = "auto", precision: str = "auto") -> Placement:
    """`auto` takes CUDA when present, else the CPU; precision `auto` picks bf16/fp16 autocast where it is fast.

    Setting LCCODE_PRECISION=fp32 turns autocast off everywhere (for exact reproduction).
    """
    import torch

    check_device(spec)
    precision = os.environ.get("LCCODE_PRECISION", precision)
    if precision not in ("auto", "fp32", "bf16", "fp16"):
        raise LccodeError(f"unknown precision '{precision}'", expected="auto | fp32 | bf16 | fp16")
    if spec == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            device = torch.device(spec)
        except RuntimeError:
            raise LccodeError(f"unknown device '{spec}'", expected="auto, cpu, cuda or cuda:N") from None
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise LccodeError(f"device '{spec}' was asked for, but this machine has no usable CUDA GPU",
                                  fix="use --device cpu (or auto), or install a CUDA build of torch on a GPU machine")
            if device.index is not None and device.index >= torch.cuda.device_count():
                raise LccodeError(f"device '{spec}' does not exist; this machine has {torch.cuda.device_count()} GPU(s)",
                                  fix="use cuda:0 .. cuda:%d" % (torch.cuda.device_count() - 1))
        elif device.type != "cpu":
            raise LccodeError(f"unsupported device '{spec}'", expected="auto, cpu, cuda or cuda:N")
    if precision == "fp32":
        dtype = None
    elif precision in ("bf16", "fp16"):
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    elif device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dtype = torch.bfloat16 if cpu_has_fast_bf16() else None
    return Placement(device, dtype)


def autocast(placement: Placement):
    import contextlib

    import torch

    if placement.autocast is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=placement.device.type, dtype=placement.autocast)


def set_threads():
    """Use every core the process may run on (torch's default can be lower inside containers)."""
    import torch

    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        n = os.cpu_count() or 1
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
