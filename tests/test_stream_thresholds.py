"""Thresholds from an unlabelled sample's scores: the budget holds by the decision rule
itself, with several labels, packs, the guard and tied scores."""

from __future__ import annotations

import numpy as np
import pytest

from wildvision.errors import ConfigError, ModelError
from wildvision.onnx_metadata import read_metadata, with_metadata
from wildvision.packs import Pack
from wildvision.spec import Guard, ModelSpec, Thresholds
from wildvision.stream_thresholds import (
    SampleScores,
    decision_shares,
    fit_stream_thresholds,
    photos_needed,
)

SPEC = ModelSpec(
    labels=("ivory", "rhino_horn", "other"),
    guard=Guard(k=1, block_distance=0.5, review_distance=0.8),
)


def sample(n: int, seed: int, labels=("ivory", "rhino_horn")) -> SampleScores:
    rng = np.random.default_rng(seed)
    scores = rng.beta(0.5, 8, size=(n, len(labels)))
    return SampleScores(labels, scores, rng.uniform(0, 1, n), tuple(f"{i:064x}" for i in range(n)))


@pytest.mark.parametrize(("review", "block"), [(0.01, 0.001), (0.05, 0.01), (0.2, 0.0)])
def test_several_labels_share_the_budget_by_the_decision_rule(review, block):
    scored = sample(4000, 0)
    fit = fit_stream_thresholds(scored, SPEC, review_budget=review, block_budget=block)
    spec = SPEC.with_updates(thresholds=fit.thresholds)
    shares = decision_shares(scored, spec)
    assert shares == {"flagged": fit.flagged, "blocked": fit.blocked}
    assert shares["flagged"] <= review and shares["blocked"] <= block
    assert shares["flagged"] >= review - 0.005  # the budget is used: both labels flag
    for t in fit.thresholds.values():
        assert 0 <= t.review <= t.block <= 1


def test_the_guard_keeps_capped_photos_out_of_the_count():
    scored = sample(2000, 1)
    fit = fit_stream_thresholds(scored, SPEC, review_budget=0.02, block_budget=0.005)
    no_guard = SPEC.with_updates(guard=None)
    blind = fit_stream_thresholds(scored, no_guard, review_budget=0.02, block_budget=0.005)
    # a fifth of the photos are past review_distance: the guard lets lower thresholds in
    assert fit.thresholds["ivory"].review < blind.thresholds["ivory"].review
    assert fit.flagged <= 0.02 and blind.flagged <= 0.02


def test_a_pack_is_fitted_with_the_model_and_never_capped():
    scored = sample(3000, 2, labels=("ivory", "rhino_horn", "coral"))
    pack = Pack("coral", np.ones(4), 0.0, Thresholds(0.99, 0.9), model_sha256="a" * 64)
    fit = fit_stream_thresholds(scored, SPEC, [pack], review_budget=0.01, block_budget=0.002)
    packs = [Pack("coral", np.ones(4), 0.0, fit.pack_thresholds["coral"], model_sha256="a" * 64)]
    shares = decision_shares(scored, SPEC.with_updates(thresholds=fit.thresholds), packs)
    assert shares["flagged"] <= 0.01 and shares["blocked"] <= 0.002
    coral = scored.scores[:, 2] >= fit.pack_thresholds["coral"].review
    assert coral.sum() > 0 and (scored.guard[coral] > 0.8).any()  # far photos flagged too


def test_tied_scores_fall_together():
    scores = np.array([[0.9]] * 5 + [[0.5]] * 95)
    scored = SampleScores(("ivory",), scores, np.zeros(100))
    spec = ModelSpec(labels=("ivory", "other"))
    fit = fit_stream_thresholds(scored, spec, review_budget=0.03, block_budget=0.0)
    assert fit.flagged == 0.0  # five tied at the top do not fit in three
    assert 0.9 < fit.thresholds["ivory"].review <= 1.0
    fit = fit_stream_thresholds(scored, spec, review_budget=0.05, block_budget=0.0)
    assert fit.flagged == 0.05 and fit.thresholds["ivory"].review == pytest.approx(0.7)


def test_budgets_and_labels_are_checked():
    scored = sample(100, 3)
    with pytest.raises(ConfigError, match="review in"):
        fit_stream_thresholds(scored, SPEC, review_budget=1.0, block_budget=0.0)
    with pytest.raises(ConfigError, match="score it again"):
        fit_stream_thresholds(
            scored.subset([0, 1]),
            ModelSpec(labels=("ivory", "other")),
            review_budget=0.01,
            block_budget=0.001,
        )
    assert photos_needed(0.01, 0.001) == 10_000 and photos_needed(0.01, 0.0) == 1_000


def test_sample_hash_ignores_order_and_subsets_keep_rows():
    scored = sample(50, 4)
    backwards = scored.subset(np.arange(50)[::-1])
    assert (
        backwards.sha256 == scored.sha256
        and backwards.scores[0].tolist() == scored.scores[-1].tolist()
    )
    assert scored.subset(np.arange(50) < 49).sha256 != scored.sha256


def test_metadata_of_a_file_that_is_not_onnx_is_refused():
    with pytest.raises(ModelError, match="not an ONNX model"):
        read_metadata(b"\xff\xff\xff\xff not protobuf", "x.onnx")
    data = with_metadata(b"", {"a": "1"})
    assert read_metadata(with_metadata(data, {"b": "2", "a": "3"})) == {"a": "3", "b": "2"}
