"""The notebooks in ``notebooks/`` run top to bottom on tiny data, and are committed clean.

Each is executed with nbclient in a ``python3`` kernel (ipykernel in the same environment
provides it), with environment variables pointing at tiny data and a temporary output
folder; nothing is written into the repository.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
NAMES = ["01_predict", "02_retrain_on_your_photos", "03_export_and_embed", "04_add_a_product"]


def test_notebooks_are_committed_without_outputs():
    for name in NAMES:
        notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [], f"{name}: strip the outputs before committing"
                assert cell["execution_count"] is None, f"{name}: strip the execution counts"


def run_notebook(name: str, monkeypatch, **env: str | Path):
    """Execute ``notebooks/NAME.ipynb`` with ``env`` set; returns the executed notebook."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    # The kernel must import the wildvision these tests import (a worktree's, say).
    package_root = str(Path(__import__("wildvision").__file__).resolve().parent.parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    )
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    return notebook


def outputs(notebook) -> tuple[str, list[str]]:
    """All printed text, and the MIME types of everything displayed."""
    text, kinds = [], []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream" and output["name"] == "stdout":
                text.append(output["text"])
            for kind, value in output.get("data", {}).items():
                kinds.append(kind)
                if kind == "text/plain":
                    text.append(value)
    return "".join(text), kinds


def stderr_text(notebook) -> str:
    """Everything the notebook's cells wrote to stderr."""
    return "".join(
        output["text"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output["output_type"] == "stream" and output["name"] == "stderr"
    )


def test_kernel_runs_this_interpreter():
    kernelspec = pytest.importorskip("jupyter_client.kernelspec")
    pytest.importorskip("ipykernel")
    spec = kernelspec.KernelSpecManager().get_kernel_spec("python3")
    # ipykernel's spec says "python", which jupyter_client replaces with sys.executable.
    assert spec.argv[0] in ("python", "python3", sys.executable)


def test_predict_notebook(monkeypatch):
    pytest.importorskip("skimage")
    notebook = run_notebook("01_predict", monkeypatch)
    text, kinds = outputs(notebook)
    assert "coffee.jpg" in text and "chelsea.png" in text
    coffee = next(line for line in text.splitlines() if line.startswith("coffee.jpg "))
    assert coffee.split()[-1] in ("allow", "review", "block")
    assert kinds.count("image/png") >= 3  # bar charts, heatmaps, the targeted overlay


def test_retrain_notebook(monkeypatch, photo_folder, tmp_path):
    pytest.importorskip("wildvision.train.trainer")
    notebook = run_notebook(
        "02_retrain_on_your_photos",
        monkeypatch,
        WILDVISION_NB_DATA=photo_folder,
        WILDVISION_NB_EPOCHS=1,
        WILDVISION_NB_BATCH=4,
        WILDVISION_NB_WORKERS=0,
        WILDVISION_NB_OUT=tmp_path,
    )
    text, kinds = outputs(notebook)
    run = tmp_path / "retrained"
    assert (run / "model.onnx").is_file() and (run / "metrics.csv").is_file()
    summary = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert set(summary) == {"clean", "shift", "card"}
    assert "clean  accuracy" in text and "shift  accuracy" in text
    assert kinds.count("image/png") >= 2 and "text/html" in kinds
    # training and evaluation draw progress bars on terminals only: none in a notebook, and
    # no TqdmWarning about a missing IProgress widget
    errors = stderr_text(notebook)
    assert "TqdmWarning" not in errors and "IProgress" not in errors
    assert not re.search(r"\d+%\||it/s|batch/s|img/s", errors), errors[:500]


def test_export_notebook(monkeypatch, tiny_run, tmp_path):
    pytest.importorskip("onnxruntime.quantization")
    notebook = run_notebook(
        "03_export_and_embed",
        monkeypatch,
        WILDVISION_NB_RUN=tiny_run.run_dir,
        WILDVISION_NB_OUT=tmp_path,
    )
    text, _ = outputs(notebook)
    assert (tmp_path / "model.onnx").is_file() and (tmp_path / "model.ingraph.onnx").is_file()
    parity = {line.split()[1]: line for line in text.splitlines() if line.startswith("parity ")}
    assert {"fp32", "ingraph"} <= set(parity)
    assert "max |Δprob| 0.0000" in parity["fp32"]
    same, total = parity["ingraph"].split("same label ")[1].split()[0].split("/")
    assert same == total  # the in-graph model's own export check bounds it as well
    assert float(parity["ingraph"].rsplit(" ", 1)[1]) <= 0.02
    # int8 is compared too when it passes its check against fp32; the two-epoch tiny run's
    # labels hang on logit margins so small that quantization flips one, and it is refused.
    if "int8" in parity:
        assert (tmp_path / "model.int8.onnx").is_file()
    else:
        assert "int8 refused: int8 model gives fp32's label on" in text
        assert not (tmp_path / "model.int8.onnx").exists()
    assert text.count("images/s") == len(parity)  # timings are printed, never asserted


def test_add_a_product_notebook(monkeypatch, tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("skimage")
    notebook = run_notebook("04_add_a_product", monkeypatch, WILDVISION_NB_OUT=tmp_path)
    text, kinds = outputs(notebook)
    pack = tmp_path / "demo_product.wvpack"
    assert pack.is_file() and "10 photos, 4096 negatives" in text
    assert "auroc" in text and "recall_at_review" in text
    held_out = [line for line in text.splitlines() if line.startswith(("00.jpg", "01.jpg"))]
    assert len(held_out) == 2 and all(" demo_product " in line for line in held_out)
    coffee = next(line for line in text.splitlines() if line.startswith("coffee.jpg"))
    assert coffee.split()[-1] == "allow"
    assert "image/png" in kinds and "[1280 floats]" in text


def test_the_readme_counts_every_notebook():
    count = len(list(NOTEBOOKS.glob("[0-9]*.ipynb")))
    word = {3: "three", 4: "four", 5: "five", 6: "six"}[count]
    readme = (NOTEBOOKS / "README.md").read_text()
    assert readme.startswith(f"# Notebooks\n\n{word.capitalize()} notebooks")
    assert f"executes all {word} top to bottom" in readme
