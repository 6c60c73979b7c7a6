"""A self-contained HTML evaluation report: tables, PR curves, confusion matrix, reliability
diagram and the worst errors as thumbnails, all embedded as base64 (one file to share)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .._atomic import atomic_write_text
from .._extras import require_extra
from ..imaging import load_image
from . import REQUIRED

require_extra("eval", REQUIRED, "wildvision evaluation")  # before matplotlib
from matplotlib.figure import Figure  # noqa: E402  (the object API: no pyplot state)


def reliability(probabilities: np.ndarray, targets: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Top-label confidence vs accuracy per bin, and the expected calibration error."""
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == targets
    edges = np.linspace(0, 1, bins + 1)
    rows, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (confidence > lo) & (confidence <= hi)
        if inside.any():
            acc, conf = float(correct[inside].mean()), float(confidence[inside].mean())
            ece += inside.mean() * abs(acc - conf)
            rows.append(
                {
                    "low": float(lo),
                    "high": float(hi),
                    "count": int(inside.sum()),
                    "accuracy": acc,
                    "confidence": conf,
                }
            )
    return {"bins": rows, "ece": float(ece)}


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _thumbnail(source: Any, size: int = 112) -> str:
    try:
        image = source if isinstance(source, Image.Image) else load_image(source)
    except Exception:  # noqa: BLE001 - a missing photo must not break the report
        return ""
    image = image.copy()
    image.thumbnail((size, size))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def pr_curve_plot(results: dict[str, dict[str, Any]], labels: Sequence[str]) -> str:
    figure = Figure(figsize=(5 * len(results), 4))
    axes = figure.subplots(1, len(results), squeeze=False)
    for axis, (name, result) in zip(axes[0], results.items()):
        targets, probs = result["targets"], result["probabilities"]
        for i, label in enumerate(labels):
            positive = targets == i
            if not positive.any():
                continue
            order = np.argsort(-probs[:, i], kind="mergesort")
            hits = np.cumsum(positive[order])
            axis.plot(hits / positive.sum(), hits / np.arange(1, len(order) + 1), label=label)
        axis.set(
            title=f"precision-recall ({name})",
            xlabel="recall",
            ylabel="precision",
            xlim=(0, 1),
            ylim=(0, 1.02),
        )
        axis.legend(loc="lower left", fontsize=8)
    return _png(figure)


def confusion_plot(results: dict[str, dict[str, Any]], labels: Sequence[str]) -> str:
    figure = Figure(figsize=(4.5 * len(results), 4))
    axes = figure.subplots(1, len(results), squeeze=False)
    for axis, (name, result) in zip(axes[0], results.items()):
        matrix = np.array(result["metrics"]["confusion_matrix"])
        axis.imshow(matrix, cmap="Blues")
        for (r, c), value in np.ndenumerate(matrix):
            axis.text(
                c,
                r,
                str(value),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if value > matrix.max() / 2 else "black",
            )
        axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        axis.set_yticks(range(len(labels)), labels)
        axis.set(title=f"confusion ({name})", xlabel="predicted", ylabel="true")
    return _png(figure)


def reliability_plot(results: dict[str, dict[str, Any]]) -> str:
    figure = Figure(figsize=(4.5, 4))
    axis = figure.subplots()
    axis.plot([0, 1], [0, 1], "k--", linewidth=1)
    for name, result in results.items():
        rows = result["metrics"]["reliability"]["bins"]
        ece = result["metrics"]["reliability"]["ece"]
        axis.plot(
            [r["confidence"] for r in rows],
            [r["accuracy"] for r in rows],
            "o-",
            label=f"{name} (ECE {ece:.3f})",
        )
    axis.set(title="reliability", xlabel="confidence", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1))
    axis.legend(loc="upper left", fontsize=8)
    return _png(figure)


def worst_errors(result: dict[str, Any], labels: Sequence[str], count: int = 16) -> list[dict]:
    """The most confident mistakes: (source, true label, predicted label, score)."""
    targets, probs = result["targets"], result["probabilities"]
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != targets)
    wrong = wrong[np.argsort(-probs[wrong, predicted[wrong]], kind="mergesort")][:count]
    return [
        {
            "index": int(i),
            "source": result["sources"][i],
            "true": labels[targets[i]],
            "predicted": labels[predicted[i]],
            "score": float(probs[i, predicted[i]]),
        }
        for i in wrong
    ]


def _number(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(metrics: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td><td>{_number(r['precision'])}</td>"
        f"<td>{_number(r['recall'])}</td><td>{_number(r['f1'])}</td>"
        f"<td>{_number(r['auroc'], 4)}</td><td>{_number(r['recall_at_precision_0.9'])}</td>"
        f"<td>{r['support']}</td></tr>"
        for label, r in metrics["per_class"].items()
    )
    return (
        "<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>AUROC</th>"
        f"<th>recall@P0.9</th><th>n</th></tr>{rows}</table>"
    )


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _false_flag_section(metrics: dict[str, Any], limit: int = 30) -> str:
    """Recall at 1% / 0.1% false flags, expected precision at a prevalence, and the false
    flags on ``other`` per source and per category (whatever of these ``metrics`` hold)."""
    parts = []
    suffix = "_recall_at_false_flags"
    for key, rates in metrics.items():
        if key.endswith(suffix) and isinstance(rates, dict):
            cells = " · ".join(
                f"{_percent(r)} at {float(rate):.1%} false flags" for rate, r in rates.items()
            )
            parts.append(f"<p>{html.escape(key[: -len(suffix)])} recall: {cells}</p>")
    expected = metrics.get("expected_precision") or {}
    for label, row in expected.items():
        if label != "prevalence":
            parts.append(
                f"<p>{html.escape(label)} expected precision at "
                f"{expected['prevalence']:.2%} prevalence: flagged {_percent(row['flagged'])}"
                f" · blocked {_percent(row['blocked'])}</p>"
            )
    for title, key in (
        ("source", "false_flags_by_source"),
        ("category", "false_flags_by_category"),
    ):
        table = metrics.get(key) or {}
        if not table:
            continue
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{r['photos']}</td>"
            f"<td>{_percent(r['flagged'])}</td><td>{_percent(r['blocked'])}</td></tr>"
            for name, r in list(table.items())[:limit]
        )
        more = f"<p>{len(table) - limit} more in metrics.json</p>" if len(table) > limit else ""
        parts.append(
            f"<h3>false flags on other by {title}</h3><table><tr><th>{title}</th>"
            f"<th>photos</th><th>flagged</th><th>blocked</th></tr>{rows}</table>{more}"
        )
    return "".join(parts)


def _error_image(render_error: Any, condition: str, error: dict[str, Any]) -> Any:
    if render_error is None:
        return error["source"]
    return render_error(condition, error["index"])


def write_report(
    path: str | Path,
    results: dict[str, dict[str, Any]],
    labels: Sequence[str],
    title: str,
    render_error: Any = None,
) -> Path:
    """Write the HTML report for ``results`` ({condition: {metrics, targets, probabilities,
    sources}}); ``render_error(condition, index)`` returns the image to show for an error."""
    sections = []
    for name, result in results.items():
        m = result["metrics"]
        flag = m.get("other_false_flag_rate")
        errors = "".join(
            f"<figure><img src='{_thumbnail(_error_image(render_error, name, e))}'"
            f" alt='error'><figcaption>{html.escape(e['true'])} → {html.escape(e['predicted'])} "
            f"{e['score']:.2f}<br><small>{html.escape(Path(str(e['source'])).name)}</small>"
            "</figcaption></figure>"
            for e in worst_errors(result, labels)
        )
        sections.append(
            f"<h2>{html.escape(name)}: {m['count']} photos</h2>"
            f"<p>accuracy {m['accuracy']:.4f} · macro-F1 {m['macro_f1']:.4f} · ECE "
            f"{m['reliability']['ece']:.4f} · false flags on other "
            f"{'n/a' if flag is None else f'{flag:.2%}'}</p>{_table(m)}{_false_flag_section(m)}"
            f"<h3>worst errors</h3><div class='errors'>{errors or '<p>none</p>'}</div>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}
.errors{{display:flex;flex-wrap:wrap;gap:8px}}figure{{margin:0;width:120px;font-size:11px}}
img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1>
<img alt="precision-recall curves" src="{pr_curve_plot(results, labels)}">
<img alt="confusion matrices" src="{confusion_plot(results, labels)}">
<img alt="reliability diagram" src="{reliability_plot(results)}">
{"".join(sections)}
</body></html>
"""
    path = Path(path)
    atomic_write_text(path, page)
    return path
