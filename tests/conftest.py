"""Shared fixtures: real photos from scikit-image, the shared datasets when present, and a
tiny trained run that several tests reuse."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SAMPLE_PHOTO = REPO / "examples" / "images" / "coffee.jpg"
SHARED_DATASETS = Path(os.environ.get("WILDVISION_DATASETS", REPO.parent / "shared" / "datasets"))


def skimage_photo(name: str) -> Path:
    """Path of a real photo shipped inside scikit-image (CC0 / public domain)."""
    skimage = pytest.importorskip("skimage")
    path = Path(skimage.__file__).parent / "data" / name
    if not path.is_file():
        pytest.skip(f"scikit-image sample {name} is missing")
    return path


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``../shared/datasets`` — skips the test on a clone without it."""
    if not (SHARED_DATASETS / "museum-ivory" / "manifest.csv").is_file():
        pytest.skip("../shared/datasets is not present (it is only on the project's machines)")
    return SHARED_DATASETS


@pytest.fixture(scope="session")
def photo_folder(tmp_path_factory) -> Path:
    """An image-folder dataset of real photos: random crops of scikit-image samples.

    ``drink/`` holds crops of the coffee photo, ``animal/`` crops of the cat photo.
    """
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for label, name in (("drink", "coffee.png"), ("animal", "chelsea.png")):
        image = Image.open(skimage_photo(name)).convert("RGB")
        (root / label).mkdir()
        for i in range(12):
            w, h = image.size
            cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
            x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
            image.crop((x, y, x + cw, y + ch)).save(root / label / f"{i:02d}.jpg", quality=90)
    return root


def train_tiny(data: Path, output: Path, name: str, **overrides):
    """Six short epochs on a photo folder (three of the head alone at a raised rate), batch
    4 (three steps an epoch), half the photos held out for validation and test.

    Long enough that the two classes are far apart (the top probability leads the next by
    0.7 or more on every photo of ``photo_folder``): tests that compare fp32 with int8,
    in-graph or Node must not hang on a margin that one CPU's rounding can cross. Two epochs
    left margins of 0.04, and the suite flipped between machines."""
    trainer = pytest.importorskip("wildvision.train.trainer")
    settings = {
        "epochs": 6,
        "head_epochs": 3,
        "head_lr": 0.01,
        "batch_size": 4,
        "num_workers": 0,
        "seed": 0,
    }
    return trainer.train(
        None,
        data=[str(data)],
        output_dir=str(output),
        name=name,
        val_fraction=0.25,
        test_fraction=0.25,
        **{**settings, **overrides},
    )


@pytest.fixture(scope="session")
def tiny_run(photo_folder, tmp_path_factory):
    """A tiny training run on ``photo_folder`` (about fifteen seconds on two cores)."""
    return train_tiny(photo_folder, tmp_path_factory.mktemp("runs"), "tiny")


@pytest.fixture(scope="session")
def tiny_model(tiny_run) -> Path:
    """The tiny run exported to ONNX (verified against PyTorch on its test photos)."""
    from wildvision.train.exporter import export_onnx

    return export_onnx(tiny_run.run_dir)


@pytest.fixture(scope="session")
def wildlife_folder(photo_folder, tmp_path_factory) -> Path:
    """``photo_folder`` relabelled so a model can block: the cat crops are ``ivory`` (a
    wildlife label), the coffee crops ``other``."""
    import shutil

    root = tmp_path_factory.mktemp("wildlife")
    shutil.copytree(photo_folder / "animal", root / "ivory")
    shutil.copytree(photo_folder / "drink", root / "other")
    return root


@pytest.fixture(scope="session")
def wildlife_run(wildlife_folder, tmp_path_factory):
    """A tiny run with a wildlife label, calibrated by false-flag budget, with its guard."""
    return train_tiny(wildlife_folder, tmp_path_factory.mktemp("runs"), "wildlife", guard_k=2)


@dataclass(frozen=True)
class DecidingModel:
    """An exported model and the decision it gives each photo of ``wildlife_folder``."""

    path: Path
    decisions: dict[Path, str]

    def photos(self, decision: str, count: int | None = None) -> list[Path]:
        """The photos (sorted) whose decision is ``decision``: at most ``count`` of them."""
        return sorted(p for p, d in self.decisions.items() if d == decision)[:count]


@pytest.fixture(scope="session")
def wildlife_model(wildlife_run, wildlife_folder, tmp_path_factory) -> DecidingModel:
    """``wildlife_run`` exported so that known photos get each decision: every ``ivory``
    photo is blocked (block threshold 0.5; the guard's distances opened up so it caps
    nothing), and the ``other`` photos that look most like ivory go to review.

    The review threshold lies in the widest gap (on a log scale) between the ivory
    probabilities of the ``other`` photos, leaving at least three on each side, so a small
    numerical change cannot move a photo across it.
    """
    from wildvision import Classifier
    from wildvision.spec import Thresholds
    from wildvision.train.exporter import export_onnx

    folder = tmp_path_factory.mktemp("deciding")
    photos = sorted(wildlife_folder.rglob("*.jpg"))
    probe = Classifier(export_onnx(wildlife_run.run_dir, folder / "probe.onnx"))
    scores = {p: r.scores["ivory"] for p, r in zip(photos, probe.predict_batch(photos))}
    ivory = [scores[p] for p in photos if p.parent.name == "ivory"]
    other = np.log(np.clip(sorted(scores[p] for p in photos if p.parent.name == "other"), 1e-12, 1))
    cut = 2 + int(np.argmax(np.diff(other)[2:-2]))  # at least three photos on each side
    review = float(np.exp((other[cut] + other[cut + 1]) / 2))
    assert min(ivory) >= 0.5 > np.exp(other.max()), "the tiny run no longer tells the photos apart"
    updates = {
        "thresholds": {"ivory": Thresholds(block=0.5, review=review)},
        "guard": replace(probe.spec.guard, block_distance=2.0, review_distance=2.0),
    }
    path = export_onnx(wildlife_run.run_dir, folder / "m.onnx", spec_updates=updates)
    decisions = {
        p: "block" if s >= 0.5 else "review" if s >= review else "allow" for p, s in scores.items()
    }
    return DecidingModel(path, decisions)


@pytest.fixture
def photo_server():
    """A local HTTP server of photos and failure modes (see ``tests/photo_server.py``)."""
    from tests.photo_server import PhotoServer

    with PhotoServer() as server:
        yield server


class _Terminal(io.StringIO):
    """A text stream that says it is an interactive terminal."""

    def isatty(self) -> bool:
        return True


@contextlib.contextmanager
def terminal_stderr() -> Iterator[io.StringIO]:
    """Inside, ``sys.stderr`` is a stream that claims to be a terminal, where progress bars
    are drawn; read what was written with ``.getvalue()``. (Entered in the test's body:
    pytest's capture sets ``sys.stderr`` again between a fixture's set-up and the test.)"""
    stream, before = _Terminal(), sys.stderr
    sys.stderr = stream
    try:
        yield stream
    finally:
        sys.stderr = before
