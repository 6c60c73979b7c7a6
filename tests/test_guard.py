"""The open-set guard: distances, fitting, the decision cap, and agreement of the exported
graph (standard, in-graph, int8) with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from wildvision import ModelSpec
from wildvision.prediction import decide
from wildvision.spec import Guard, Thresholds

torch = pytest.importorskip("torch")

from wildvision.train.guard import (  # noqa: E402
    GuardDistance,
    fit_guard,
    knn_distance,
)


def unit_rows(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    rows = rng.normal(size=(n, d)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_knn_distance_is_the_kth_nearest_cosine_distance():
    bank = np.eye(4, dtype=np.float32)
    query = np.array([[0.8, 0.6, 0.0, 0.0]], dtype=np.float32)
    assert knn_distance(query, bank, 1) == pytest.approx([0.2])  # 1 - 0.8
    assert knn_distance(query, bank, 2) == pytest.approx([0.4])  # 1 - 0.6
    assert knn_distance(query, bank, 3) == pytest.approx([1.0])


def test_graph_module_matches_numpy():
    rng = np.random.default_rng(0)
    bank, queries = unit_rows(rng, 50), unit_rows(rng, 7)
    with torch.no_grad():
        graph = GuardDistance(bank, k=3)(torch.from_numpy(queries)).numpy()
    np.testing.assert_allclose(graph, knn_distance(queries, bank, 3), atol=1e-6)


def test_guard_needs_k_bank_rows():
    with pytest.raises(ValueError, match="at least k=5"):
        GuardDistance(np.eye(3, dtype=np.float32), k=5)


def test_fit_guard_keeps_the_asked_share_of_wildlife_photos():
    rng = np.random.default_rng(1)
    bank, held_out = unit_rows(rng, 200), unit_rows(rng, 400)
    guard = fit_guard(bank, held_out, k=5, block_keep=0.9, review_keep=0.99)
    distances = knn_distance(held_out, bank, 5)
    assert np.mean(distances <= guard.block_distance) == pytest.approx(0.9, abs=0.003)
    assert np.mean(distances <= guard.review_distance) == pytest.approx(0.99, abs=0.003)
    assert guard.block_distance <= guard.review_distance and guard.bank_size == 200


def test_fit_guard_refuses_bad_shares():
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError, match="block_keep <= review_keep"):
        fit_guard(unit_rows(rng, 10), unit_rows(rng, 10), k=2, block_keep=0.99, review_keep=0.9)


SPEC = ModelSpec(
    labels=("ivory", "other"),
    thresholds={"ivory": Thresholds(block=0.9, review=0.5)},
    guard=Guard(k=5, block_distance=0.3, review_distance=0.5, bank_size=100),
)


@pytest.mark.parametrize(
    ("probability", "distance", "expected"),
    [
        (0.99, 0.1, "block"),  # near the wildlife photos: as the thresholds say
        (0.99, 0.4, "review"),  # past block_distance: cannot be blocked
        (0.99, 0.6, "allow"),  # past review_distance: not even reviewed
        (0.7, 0.4, "review"),
        (0.7, 0.6, "allow"),
        (0.2, 0.0, "allow"),  # the guard never raises a decision
        (0.99, None, "block"),  # no distance (a model without the output): no cap
    ],
)
def test_the_guard_caps_decisions(probability, distance, expected):
    scores = {"ivory": probability, "other": 1 - probability}
    assert decide(scores, SPEC, distance) == expected


# --- the guard in a trained, exported model --------------------------------------------


@pytest.fixture(scope="module")
def guarded_models(wildlife_run, wildlife_folder, tmp_path_factory):
    """The wildlife run exported with thresholds at 0 (every photo would be blocked) and a
    guard whose block distance lies between an ivory training photo and a far-away one."""
    from wildvision import Classifier
    from wildvision.train.exporter import export_ingraph, export_onnx

    folder = tmp_path_factory.mktemp("guarded")
    photos = sorted(wildlife_folder.rglob("*.jpg"))[::4]
    probe = export_onnx(wildlife_run.run_dir, folder / "probe.onnx", images=photos)
    near, far = sorted((wildlife_folder / "ivory").glob("*.jpg"))[0], far_photo(folder)
    distances = [Classifier(probe).predict(p).guard_distance for p in (near, far)]
    assert distances[0] < distances[1]
    k = Classifier(probe).spec.guard.k
    updates = {
        "thresholds": {"ivory": Thresholds(block=0.0, review=0.0)},
        "guard": Guard(
            k=k,
            block_distance=sum(distances) / 2,
            review_distance=distances[1] + 0.01,
            bank_size=Classifier(probe).spec.guard.bank_size,
        ),
    }
    standard = export_onnx(
        wildlife_run.run_dir, folder / "m.onnx", images=photos, spec_updates=updates
    )
    ingraph = export_ingraph(
        wildlife_run.run_dir, folder / "m.ingraph.onnx", images=photos, spec_updates=updates
    )
    return standard, ingraph, near, far


def far_photo(folder):
    """A synthetic text card: nothing like the cat crops the tiny run calls ivory."""
    from wildvision.train.synthetic import render_graphic

    path = folder / "card.png"
    render_graphic("text_card", seed=3, size=(320, 240)).save(path)
    return path


def test_the_run_keeps_its_guard_and_bank(wildlife_run):
    spec, bank = wildlife_run.run.spec, wildlife_run.run.guard_bank()
    assert spec.guard is not None and spec.guard.k == 2
    assert spec.guard.bank_size == len(bank) == 6  # the ivory photos of the train split
    assert spec.budgets == {"review": 0.01, "block": 0.001}
    assert np.allclose(np.linalg.norm(bank.astype(np.float32), axis=1), 1, atol=1e-3)


def test_a_far_away_photo_cannot_be_blocked(guarded_models):
    from wildvision import Classifier

    standard, ingraph, near, far = guarded_models
    for model in (standard, ingraph):
        classifier = Classifier(model)
        assert classifier.predict(near).decision == "block"
        far_prediction = classifier.predict(far)
        assert far_prediction.guard_distance > classifier.spec.guard.block_distance
        assert far_prediction.decision == "review"  # thresholds at 0 would have blocked it


def test_python_and_the_in_graph_model_agree_on_the_guard(guarded_models, wildlife_run):
    from wildvision import Classifier

    standard, ingraph, near, far = guarded_models
    a, b = Classifier(standard), Classifier(ingraph)
    bank, k = wildlife_run.run.guard_bank(), a.spec.guard.k
    for photo in (near, far):
        embedding = a.embed([photo])
        assert embedding.shape == (1, a.spec.embedding_size)
        expected = knn_distance(embedding, bank, k)[0]  # numpy, from the graph's embedding
        assert a.predict(photo).guard_distance == pytest.approx(expected, abs=1e-4)
        assert b.predict(photo).guard_distance == pytest.approx(expected, abs=0.02)
        assert a.predict(photo).decision == b.predict(photo).decision


def test_int8_keeps_the_guard_in_float(guarded_models, wildlife_run, wildlife_folder, tmp_path):
    """The backbone is quantized (its embedding moves, on a tiny model a lot); the bank and
    the distance computation are not: int8's guard distance is the float k-NN distance of
    int8's own embedding, and the near photo stays nearer than the far one. (Where the two
    distances fall against a threshold fitted on fp32 depends on how far int8 moves them,
    which differs between CPUs, so the decisions are not asserted.)"""
    import onnx

    from wildvision import Classifier
    from wildvision.train.quantize import quantize_int8

    standard, _, near, far = guarded_models
    photos = sorted(wildlife_folder.rglob("*.jpg"))
    int8 = quantize_int8(standard, tmp_path / "m.int8.onnx", photos)
    graph = onnx.load(int8).graph
    banks = [t for t in graph.initializer if list(t.dims) == [1280, 6]]  # the bank, transposed
    assert [t.data_type for t in banks] == [onnx.TensorProto.FLOAT]  # not int8
    quantized = Classifier(int8)
    bank, k = wildlife_run.run.guard_bank(), quantized.spec.guard.k
    distances = []
    for photo in (near, far):
        expected = knn_distance(quantized.embed([photo]), bank, k)[0]
        distances.append(quantized.predict(photo).guard_distance)
        assert distances[-1] == pytest.approx(expected, abs=0.01)  # QDQ at the pooled features
    assert distances[0] < distances[1]
