"""Recipe options of the trainer: layer-wise LR decay, EMA, mixup/cutmix, train subsampling."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("timm")

from wildvision.errors import ConfigError  # noqa: E402
from wildvision.train.config import load_config  # noqa: E402
from wildvision.train.model_factory import create_model  # noqa: E402
from wildvision.train.optim import build_optimizer  # noqa: E402
from wildvision.train.trainer import build_mixing, gather_splits, train  # noqa: E402


def _lr_of(optimizer, parameter) -> float:
    return next(g["lr"] for g in optimizer.param_groups if any(p is parameter for p in g["params"]))


def test_layer_decay_gives_the_stem_the_smallest_rate_and_the_head_its_own():
    model = create_model("tf_efficientnet_lite0", 3, "none")
    config = load_config(None, data=["p"], layer_decay=0.8, lr=1e-3, head_lr_scale=2.0)
    optimizer, _ = build_optimizer(model, config, "full", total_steps=10)
    stem = _lr_of(optimizer, model.conv_stem.weight)
    late = _lr_of(optimizer, model.blocks[-1][0].conv_pw.weight)
    head = _lr_of(optimizer, model.classifier.weight)
    assert stem < late < 1e-3
    assert head == pytest.approx(2e-3)
    covered = sum(len(g["params"]) for g in optimizer.param_groups)
    assert covered == len(list(model.parameters()))


def test_without_layer_decay_the_backbone_shares_one_rate():
    model = create_model("tf_efficientnet_lite0", 3, "none")
    config = load_config(None, data=["p"], lr=1e-3)
    optimizer, _ = build_optimizer(model, config, "full", total_steps=10)
    assert _lr_of(optimizer, model.conv_stem.weight) == _lr_of(optimizer, model.conv_head.weight)
    assert _lr_of(optimizer, model.classifier.weight) == pytest.approx(3e-3)
    head_optimizer, _ = build_optimizer(model, config, "head", total_steps=10)
    assert not model.conv_stem.weight.requires_grad
    assert len(head_optimizer.param_groups) == 1


def test_mixing_turns_labels_into_soft_targets():
    config = load_config(None, data=["p"], mixup_alpha=0.2, cutmix_alpha=1.0, label_smoothing=0.1)
    mixer, loss_fn = build_mixing(config, num_classes=4)
    images = torch.rand(4, 3, 32, 32)
    mixed, targets = mixer(images, torch.tensor([0, 1, 2, 3]))
    assert mixed.shape == images.shape and targets.shape == (4, 4)
    assert torch.allclose(targets.sum(1), torch.ones(4))
    assert loss_fn(torch.zeros(4, 4), targets).item() == pytest.approx(torch.log(torch.tensor(4.0)))
    assert build_mixing(load_config(None, data=["p"]), 4) == (None, None)


def test_bad_recipe_values_are_refused():
    with pytest.raises(ConfigError, match="layer_decay"):
        load_config(None, data=["p"], layer_decay=1.5)
    with pytest.raises(ConfigError, match="ema_decay"):
        load_config(None, data=["p"], ema_decay=1.0)
    with pytest.raises(ConfigError, match="batch_size must be even"):
        load_config(None, data=["p"], mixup_alpha=0.2, batch_size=7)


def test_train_limit_subsamples_train_only(photo_folder):
    full = gather_splits(load_config(None, data=[str(photo_folder)], val_fraction=0.25))
    limited = gather_splits(
        load_config(None, data=[str(photo_folder)], val_fraction=0.25, train_limit_per_class=3)
    )
    assert len(limited["train"]) == 6 < len(full["train"])
    assert [s.path for s in limited["val"]] == [s.path for s in full["val"]]
    assert [s.path for s in limited["test"]] == [s.path for s in full["test"]]


def test_ema_and_mixup_run_end_to_end_and_keep_the_ema_weights(photo_folder, tmp_path):
    result = train(
        None,
        data=[str(photo_folder)],
        epochs=2,
        head_epochs=1,
        batch_size=8,
        num_workers=0,
        output_dir=str(tmp_path),
        name="ema",
        val_fraction=0.25,
        test_fraction=0.25,
        ema_decay=0.99,
        mixup_alpha=0.2,
        cutmix_alpha=1.0,
        layer_decay=0.8,
        calibrate=False,
    )
    last = result.run.load_checkpoint("last")
    assert result.run.config.ema_decay == 0.99
    assert last["train_state"]["train_model"] is not None  # the raw weights under the EMA
    assert set(last["model"]) == set(create_model("tf_efficientnet_lite0", 2, "none").state_dict())
    assert result.test_metrics["count"] == 6


def test_source_balancing_draws_each_source_of_a_class_equally_often():
    from collections import Counter

    from wildvision.train.torch_dataset import balanced_sampler

    targets = [0] * 90 + [0] * 10 + [1] * 50
    sources = ["big"] * 90 + ["small"] * 10 + [None] * 50
    drawn = Counter()
    sampler = balanced_sampler(targets, seed=0, sources=sources)
    for _ in range(100):
        drawn.update((targets[i], sources[i]) for i in sampler)
    total = sum(drawn.values())
    assert drawn[(0, "big")] / total == pytest.approx(0.25, abs=0.02)
    assert drawn[(0, "small")] / total == pytest.approx(0.25, abs=0.02)
    assert drawn[(1, None)] / total == pytest.approx(0.5, abs=0.02)
    plain = Counter()
    for _ in range(100):
        plain.update(sources[i] for i in balanced_sampler(targets, seed=0))
    assert plain["big"] > 5 * plain["small"]  # without it the big source dominates its class


def test_photo_weights_shift_draws_within_a_source_not_between_sources():
    from collections import Counter

    from wildvision.train.torch_dataset import balanced_sampler

    targets = [0] * 60 + [1] * 40
    sources = ["a"] * 40 + ["b"] * 20 + ["c"] * 40
    weights = [4.0] * 10 + [1.0] * 30 + [1.0] * 20 + [1.0] * 40  # ten photos of "a" x4
    drawn = Counter()
    sampler = balanced_sampler(targets, seed=0, sources=sources, weights=weights)
    for _ in range(100):
        drawn.update(("heavy" if i < 10 else sources[i]) for i in sampler)
    total = sum(drawn.values())
    assert (drawn["heavy"] + drawn["a"]) / total == pytest.approx(0.25, abs=0.02)
    assert drawn["heavy"] / total == pytest.approx(0.25 * 40 / 70, abs=0.02)  # 40 of 70 weight
    assert drawn["b"] / total == pytest.approx(0.25, abs=0.02)
    assert drawn["c"] / total == pytest.approx(0.5, abs=0.02)


def test_manifest_sources_reach_the_run_split_file(tmp_path, photo_folder):
    from wildvision.data import read_manifest

    manifest = tmp_path / "m.csv"
    rows = [
        f"{p},{p.parent.name},{'web' if i % 2 else 'shop'}"
        for i, p in enumerate(sorted(photo_folder.rglob("*.jpg")))
    ]
    manifest.write_text("path,label,source\n" + "\n".join(rows) + "\n")
    samples = read_manifest(manifest)
    assert {s.source for s in samples} == {"web", "shop"}
    splits = gather_splits(
        load_config(None, data=[str(manifest)], balance_sources=True, val_fraction=0.25)
    )
    assert {s.source for s in splits["train"]} == {"web", "shop"}
    with pytest.raises(ConfigError, match="balance_sources"):
        load_config(None, data=["p"], balance_sources=True, balance_classes=False)
