"""Where a training run executes: one process or many under ``torchrun`` (DDP), on which
device, and at what precision.

Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) every process joins one process
group (NCCL on CUDA, gloo on CPU) and trains on its own slice of each epoch's draw. The
config's ``batch_size`` stays the *global* batch: each of N processes loads
``batch_size / N`` photos a step, so steps per epoch, the learning-rate schedule and the
recipe's hyperparameters are the same at any scale. Only rank 0 prints, creates the run
folder and writes files.

On CUDA the run can use mixed precision (``amp``: bf16 where supported, else fp16 with a
gradient scaler) and channels-last memory; on CPU both are off.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from . import _check  # noqa: F401  (first: the [train] extra's check, before torch)

# isort: split
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Sampler

from ..errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """This process's place in the run and how it computes."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    amp_dtype: torch.dtype | None = None  # None: full precision
    channels_last: bool = False
    owns_group: bool = False  # this call created the process group (and tears it down)

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def log(self, *args: Any) -> None:
        """Log a line of training progress (``logging``, level INFO) on rank 0 only."""
        if self.is_main:
            logger.info(" ".join(str(a) for a in args))

    def autocast(self) -> AbstractContextManager:
        """Mixed precision for the forward pass, or nothing."""
        if self.amp_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler, active only for fp16 (bf16 and fp32 need none)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)

    def prepare(self, model: nn.Module) -> nn.Module:
        """Move the model to the device (channels-last on CUDA). Every rank builds the same
        weights (same seed, or the same ``last.pt``), and each ``wrap`` broadcasts rank 0's
        anyway (DDP does at construction)."""
        model.to(self.device)
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return model

    def to_device(self, images: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            return images.to(self.device, memory_format=torch.channels_last, non_blocking=True)
        return images.to(self.device, non_blocking=True)

    def wrap(self, model: nn.Module) -> nn.Module:
        """DDP around the model for one training phase (call again after the set of trainable
        parameters changes); the model itself when running alone."""
        if not self.distributed:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def share(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank (any picklable object)."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def mean(self, value: float) -> float:
        """The mean of ``value`` over all ranks."""
        if not self.distributed:
            return value
        total = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(total)
        return total.item() / self.world_size

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


def env_rank() -> int:
    """This process's rank as ``torchrun`` sets it (0 when not launched by it)."""
    return int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    return env_rank() == 0


def start_runtime(
    device: str = "auto", amp: str = "auto", channels_last: bool | None = None
) -> Runtime:
    """The runtime of this process: joins the process group when launched by ``torchrun``.
    The arguments are a ``TrainConfig``'s, which has checked them."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = env_rank(), int(os.environ.get("LOCAL_RANK", "0"))
    target = resolve_device(device)
    if world_size > 1 and target.type == "cuda":
        if device not in ("auto", "cuda"):
            raise ConfigError(
                f"under torchrun each process uses the GPU of its LOCAL_RANK; set device "
                f"to 'auto' or 'cuda', not {device!r} (pick GPUs with CUDA_VISIBLE_DEVICES)."
            )
        target = torch.device("cuda", local_rank)
    if target.type == "cuda" and target.index is None:  # "auto"/"cuda": this process's GPU
        target = torch.device("cuda", local_rank)
    if target.type == "cuda":
        torch.cuda.set_device(target)
    owns = False
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if target.type == "cuda" else "gloo")
        owns = True
    on_cuda = target.type == "cuda"
    return Runtime(
        rank=rank,
        world_size=world_size,
        device=target,
        amp_dtype=_amp_dtype(amp) if on_cuda else None,
        channels_last=on_cuda if channels_last is None else channels_last and on_cuda,
        owns_group=owns,
    )


def resolve_device(name: str) -> torch.device:
    """``auto``: the GPU when there is one, else the CPU; any other name as torch reads it."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _amp_dtype(amp: str) -> torch.dtype | None:
    if amp == "off":
        return None
    if amp == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if amp == "bf16" else torch.float16


def per_rank_batch(batch_size: int, world_size: int, mixing: bool) -> int:
    """Each process's share of the global batch; refuses a batch that does not split evenly."""
    if batch_size % world_size:
        raise ConfigError(
            f"batch_size {batch_size} is the global batch and must split evenly over "
            f"{world_size} processes; use a multiple of {world_size}."
        )
    share = batch_size // world_size
    if mixing and share % 2:
        raise ConfigError(
            f"mixup/cutmix pair photos within each process's batch ({share}); make "
            f"batch_size a multiple of {2 * world_size}."
        )
    return share


class RankSlice(Sampler[int]):
    """One rank's share of another sampler's draw: every rank draws the same indices (the
    sampler's generator is seeded from (seed, epoch) alike on all ranks) and keeps every
    ``world_size``-th from ``rank``; the tail is cut so all ranks take the same step count."""

    def __init__(self, base: Sampler[int], rank: int, world_size: int) -> None:
        self.base, self.rank, self.world_size = base, rank, world_size

    @property
    def generator(self) -> torch.Generator | None:
        return getattr(self.base, "generator", None)

    def __len__(self) -> int:
        return len(self.base) // self.world_size

    def __iter__(self) -> Iterator[int]:
        drawn = list(self.base)[: len(self) * self.world_size]
        return iter(drawn[self.rank :: self.world_size])


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DDP wrapper (EMA, validation and checkpoints use it)."""
    return model.module if isinstance(model, DistributedDataParallel) else model
