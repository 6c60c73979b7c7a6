"""Batch scoring on Ray Data (``wildvision.engines.ray_scoring``): local mode, 2 actors,
results equal to ``Classifier.predict_batch`` on the same photos."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="needs the [ray] extra: pip install 'wildvision[ray]'")
pytest.importorskip("ray.data")

from wildvision import Classifier
from wildvision.engines.ray_scoring import RESULT_COLUMNS, score_dataset

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_ray():
    """A 2-CPU local Ray whose workers import this checkout's wildvision."""
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=256 * 1024**2,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(REPO)}},
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def model(wildlife_model) -> Path:
    """A tiny model that blocks, reviews and allows known photos (tests/conftest.py)."""
    return wildlife_model.path


@pytest.fixture(scope="module")
def photos(wildlife_model, tmp_path_factory) -> list[str]:
    """Real photos, some of each decision (block, review, allow), and one corrupt file."""
    chosen = [wildlife_model.photos(d, n) for d, n in (("block", 8), ("review", 4), ("allow", 4))]
    corrupt = tmp_path_factory.mktemp("corrupt") / "broken.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return [*(str(p) for group in chosen for p in group), str(corrupt)]


@pytest.fixture(scope="module")
def expected(model, photos) -> dict[str, object]:
    return dict(zip(photos, Classifier(model).predict_batch(photos, batch_size=8)))


def _check(rows: list[dict], expected: dict, key: str = "path") -> None:
    assert sorted(r[key] for r in rows) == sorted(expected)
    assert {r["decision"] for r in rows} == {"block", "review", "allow", "error"}
    for row in rows:
        want = expected[row[key]]
        assert row["decision"] == want.decision, row[key]
        if want.error:
            assert row["label"] is None and row["error"]
            assert row["score"] is None or math.isnan(row["score"])
        else:
            assert row["error"] is None
            assert row["label"] == want.label
            assert row["score"] == pytest.approx(want.score, abs=1e-5)


def test_workers_import_this_checkout(local_ray):
    @ray.remote
    def where() -> str:
        import wildvision

        return wildvision.__file__

    import wildvision

    assert ray.get(where.remote()) == wildvision.__file__


def test_paths_match_predict_batch(local_ray, model, photos, expected):
    ds = ray.data.from_items([{"path": p, "listing_id": i} for i, p in enumerate(photos)])
    with pytest.warns(RuntimeWarning, match="reserve 2 of the cluster's 2 CPUs"):
        scored = score_dataset(ds, model, batch_size=4, concurrency=2, label_scores=True)
    rows = scored.take_all()

    _check(rows, expected)
    assert {r["listing_id"] for r in rows} == set(range(len(photos)))
    assert set(RESULT_COLUMNS) <= set(rows[0])
    labels = Classifier(model).labels
    good = next(r for r in rows if r["error"] is None)
    for label in labels:
        want = expected[good["path"]].scores[label]
        assert good[f"score_{label}"] == pytest.approx(want, abs=1e-5)
    bad = next(r for r in rows if r["error"] is not None)
    assert bad["decision"] == "error" and "broken.jpg" in bad["path"]


def test_bytes_match_predict_batch(local_ray, model, photos, expected):
    items = [{"name": p, "image": Path(p).read_bytes()} for p in photos]
    items.append({"name": "missing", "image": None})
    scored = score_dataset(
        ray.data.from_items(items), model, bytes_column="image", batch_size=4, num_cpus=0.5
    )
    rows = scored.take_all()

    assert "image" not in rows[0]  # the photos are not carried into the results
    missing = [r for r in rows if r["name"] == "missing"]
    assert len(missing) == 1 and missing[0]["decision"] == "error"
    _check([r for r in rows if r["name"] != "missing"], expected, key="name")


def test_read_binary_files_feeds_two_actors(local_ray, model, photos, expected):
    """The README's object-storage pattern: a read stage, then 2 actors that leave it a CPU."""
    ds = ray.data.read_binary_files(photos, include_paths=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # 2 x 0.5 CPUs: no starvation warning
        scored = score_dataset(ds, model, bytes_column="bytes", concurrency=2, num_cpus=0.5)
    rows = scored.take_all()

    assert "bytes" not in rows[0]
    _check(rows, expected)


def test_refuses_wrong_columns(local_ray, model):
    ds = ray.data.from_items([{"image_path": "a.jpg", "label": "x"}])
    with pytest.raises(ValueError, match="path_column"):
        score_dataset(ds, model, concurrency=1)
    with pytest.raises(ValueError, match="already has result column"):
        score_dataset(ds, model, path_column="image_path", concurrency=1)
