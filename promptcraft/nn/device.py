"""Where a model computes: ``device="cpu"`` (the default) or ``"cuda"`` (``"cuda:N"``).

The engine creates every tensor of its own (KV caches, masks, positions, sampling noise) on
the model's device, so the device is chosen once, when the model loads
(:func:`promptcraft.nn.load_model`, ``LocalBackend.load``, ``pc.load_backend``).
Quantised weights (``int8``, ``int4``) multiply with torch's CPU kernels and stay on the CPU.
"""

from __future__ import annotations

import torch

from ..errors import DeviceError

__all__ = ["DEVICES", "resolve_device"]

#: The device kinds a model may compute on.
DEVICES = ("cpu", "cuda")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``device`` as a torch device (None: the CPU), checked to exist here;
    :class:`DeviceError` naming it otherwise."""
    if device is None:
        return torch.device("cpu")
    shown = str(device)
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(
            f"unknown device {shown!r}; use 'cpu' or 'cuda' (or 'cuda:N' for GPU N)", device=shown
        ) from None
    if parsed.type == "cpu":
        return torch.device("cpu")
    if parsed.type != "cuda":
        raise DeviceError(
            f"device {shown!r} is not supported; use 'cpu' or 'cuda' (or 'cuda:N')", device=shown
        )
    if not torch.cuda.is_available():
        why = (
            f"this torch build ({torch.__version__}) has no CUDA support"
            if torch.version.cuda is None
            else "no CUDA GPU is visible to this process (driver, CUDA_VISIBLE_DEVICES)"
        )
        raise DeviceError(f"device {shown!r} is not available: {why}; use 'cpu'", device=shown)
    count = torch.cuda.device_count()
    index = 0 if parsed.index is None else parsed.index
    if index >= count:
        raise DeviceError(
            f"device {shown!r} is not available: this machine has {count} CUDA GPU"
            f"{'s' if count != 1 else ''} (cuda:0 .. cuda:{count - 1})",
            device=shown,
        )
    return torch.device("cuda", index)
