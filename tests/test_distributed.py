"""Distributed training: the trainer under ``torchrun`` with 2 CPU processes (gloo) writes one
run, resumes after a kill, and learns as well as a single process on the same photos."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")

from tests.test_resume import _epochs_done  # noqa: E402
from wildvision import Classifier  # noqa: E402
from wildvision.errors import ConfigError  # noqa: E402
from wildvision.train.distributed import RankSlice, per_rank_batch  # noqa: E402
from wildvision.train.exporter import export_onnx  # noqa: E402
from wildvision.train.run import Run  # noqa: E402
from wildvision.train.torch_dataset import balanced_sampler  # noqa: E402

SETTINGS = {
    "epochs": 2,
    "head_epochs": 1,
    "batch_size": 4,  # the global batch: 2 photos a step on each of 2 processes
    "num_workers": 0,
    "val_fraction": 0.25,
    "test_fraction": 0.25,
    "seed": 0,
}


def _torchrun(*args: str) -> list[str]:
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    return [*launcher, "--nproc_per_node", "2", "-m", "wildvision", "train", *args]


def test_rank_slices_split_one_draw_evenly():
    base = balanced_sampler([0] * 7 + [1] * 4, seed=3)
    slices = [RankSlice(base, rank, 2) for rank in range(2)]
    drawn = []
    for part in slices:
        part.generator.manual_seed(5)  # seed_epoch seeds every rank's draw alike
        drawn.append(list(part))
    base.generator.manual_seed(5)
    whole = list(base)
    assert [len(d) for d in drawn] == [5, 5] == [len(s) for s in slices]
    assert drawn[0] == whole[0:10:2] and drawn[1] == whole[1:10:2]


def test_global_batch_must_split_over_the_processes():
    assert per_rank_batch(32, 8, mixing=False) == 4
    with pytest.raises(ConfigError, match="multiple of 4"):
        per_rank_batch(6, 4, mixing=False)
    with pytest.raises(ConfigError, match="multiple of 4"):
        per_rank_batch(6, 2, mixing=True)


def test_torchrun_two_processes_resume_and_match_a_single_process(
    photo_folder, tiny_run, tiny_model, tmp_path
):
    """``tiny_run`` (tests/conftest.py) is the single-process run of the same settings."""
    single = tiny_run
    config = tmp_path / "config.yaml"
    lines = [f"data: [{photo_folder}]", f"output_dir: {tmp_path / 'runs'}"]
    config.write_text("\n".join(lines + [f"{k}: {v}" for k, v in SETTINGS.items()]) + "\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        _torchrun("--config", str(config), "--name", "ddp"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # one process group: the launcher and its workers
    )
    run_dir = tmp_path / "runs" / "ddp"
    deadline = time.monotonic() + 300
    try:
        while _epochs_done(run_dir) != [1] and process.poll() is None:
            assert time.monotonic() < deadline, "distributed training made no progress"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # mid-way through epoch 2
        process.wait()
    assert not (run_dir / "test_metrics.json").exists(), "the run finished before the kill"

    resumed = subprocess.run(
        _torchrun("--resume", str(run_dir)), capture_output=True, text=True, timeout=300, env=env
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stdout.count("resuming") == 1  # rank 0 alone prints
    assert resumed.stdout.count("best checkpoint") == 1
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["ddp"]
    assert _epochs_done(run_dir) == [1, 2]  # rank 0 alone wrote each epoch once

    best = Run(run_dir).load_checkpoint("best")
    assert not any(name.startswith("module.") for name in best["model"])  # unwrapped weights
    assert best["val"]["macro_f1"] >= 0.8 and single.val_macro_f1 >= 0.8
    # 6 test photos are too few to compare two runs on: compare them on all 24 photos,
    # through their exported models; both must label (nearly) every photo right and agree
    photos = sorted(photo_folder.rglob("*.jpg"))
    truth = [p.parent.name for p in photos]
    ddp = [r.label for r in Classifier(export_onnx(run_dir)).predict_batch(photos)]
    one = [r.label for r in Classifier(tiny_model).predict_batch(photos)]
    assert _same(ddp, truth) >= 23 and _same(one, truth) >= 23 and _same(ddp, one) >= 23


def _same(a: list[str], b: list[str]) -> int:
    """In how many places two lists of labels agree."""
    return sum(x == y for x, y in zip(a, b))


@pytest.mark.parametrize("amp_dtype", [torch.bfloat16, torch.float16])
def test_mixed_precision_and_channels_last_steps_learn(amp_dtype):
    """The GPU code path (autocast, fp16 gradient scaling, channels-last) run on CPU, where
    torch supports it too: the loss must stay finite and fall on a batch it can memorise."""
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from wildvision.train.distributed import Runtime
    from wildvision.train.trainer import train_one_epoch

    torch.manual_seed(0)
    runtime = Runtime(device=torch.device("cpu"), amp_dtype=amp_dtype, channels_last=True)
    model = runtime.prepare(
        nn.Sequential(
            nn.Conv2d(3, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2)
        )
    )
    images, targets = torch.randn(8, 3, 16, 16), torch.tensor([0, 1] * 4)
    loader = DataLoader(TensorDataset(images, targets), batch_size=8)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    scaler = runtime.grad_scaler()
    assert scaler.is_enabled() == (amp_dtype == torch.float16)
    seen = []  # the conv's output dtype and layout in the training forward pass
    model[0].register_forward_hook(
        lambda _m, _i, out: seen.append(
            (out.dtype, out.is_contiguous(memory_format=torch.channels_last))
        )
    )

    losses = [
        train_one_epoch(
            model,
            loader,
            nn.CrossEntropyLoss(),
            optimizer,
            scheduler,
            runtime,
            "amp",
            scaler=scaler,
        )
        for _ in range(30)
    ]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.5 * losses[0]
    assert set(seen) == {(amp_dtype, True)}  # autocast ran, on channels-last tensors


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_a_single_gpu_run_gets_an_indexed_device(monkeypatch, device):
    """`torch.cuda.set_device` refuses a device without an index: on one GPU, with device
    auto or cuda and no torchrun, the runtime must pick cuda:LOCAL_RANK (0)."""
    from wildvision.train import distributed

    chosen = []

    def set_device(target):
        if isinstance(target, torch.device) and target.index is None:
            raise ValueError("Expected a torch.device with a specified index")
        chosen.append(target)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    monkeypatch.setattr(torch.cuda, "set_device", set_device)
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    runtime = distributed.start_runtime(device, amp="auto")
    assert chosen == [torch.device("cuda", 0)]
    assert runtime.device == torch.device("cuda", 0)
    assert runtime.amp_dtype == torch.bfloat16 and runtime.channels_last


def test_the_training_floor_turns_off_the_albumentations_update_check():
    import wildvision.train  # noqa: F401

    assert os.environ.get("NO_ALBUMENTATIONS_UPDATE") == "1"
