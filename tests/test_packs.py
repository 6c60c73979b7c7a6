"""Product packs: build one from a few real photos, save, verify, and use it from Python, the
CLI and the server; refuse packs of another model and corrupt files."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.conftest import skimage_photo, terminal_stderr
from wildvision import Classifier
from wildvision.cli import main
from wildvision.errors import PackError
from wildvision.pack_file import PACK_FORMAT_VERSION, Pack
from wildvision.packs import (
    bank_path_for,
    build_negative_bank,
    build_pack,
    load_negative_bank,
    load_pack,
)
from wildvision.packs.head import _assign_folds, fit_head
from wildvision.spec import Thresholds
from wildvision.verdicts import VERDICT_COLUMNS

pytest.importorskip("sklearn")

PRODUCT = "space_suit"


def _crops(name: str, folder, count: int, seed: int) -> list:
    """``count`` random crops (60–95% of each side) of a scikit-image photo, as JPEGs."""
    image = Image.open(skimage_photo(name)).convert("RGB")
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.6, 0.95)), int(h * rng.uniform(0.6, 0.95))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        path = folder / f"{name.split('.')[0]}_{i:02d}.jpg"
        image.crop((x, y, x + cw, y + ch)).save(path, quality=90)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def setting(tiny_model, photo_folder, tmp_path_factory):
    """The tiny model copied into its own folder with a negative bank beside it (crops of
    the coffee and cat photos and of other scikit-image photos), product photos (crops of
    the astronaut photo) and held-out product photos."""
    root = tmp_path_factory.mktemp("packs")
    model = root / "model.onnx"
    shutil.copy(tiny_model, model)
    ordinary = sorted(photo_folder.rglob("*.jpg"))
    for name in ("rocket.jpg", "horse.png", "page.png", "coins.png", "hubble_deep_field.jpg"):
        ordinary += _crops(name, root / "ordinary", 6, seed=1)
    classifier = Classifier(model)
    sources = [
        p.parent.name if p.parent.name != "ordinary" else p.stem.split("_")[0] for p in ordinary
    ]
    bank = build_negative_bank(classifier, ordinary, sources, size=len(ordinary))
    bank.save(bank_path_for(model))
    photos = _crops("astronaut.png", root / "product", 8, seed=2)
    held_out = _crops("astronaut.png", root / "held_out", 4, seed=3)
    pack = build_pack(root / "product", PRODUCT, model=classifier, seed=0)
    pack_path = pack.save(root / f"{PRODUCT}.wvpack")
    return {
        "root": root,
        "model": model,
        "classifier": classifier,
        "pack": pack,
        "pack_path": pack_path,
        "photos": photos,
        "held_out": held_out,
        "bank": bank,
    }


def test_a_pack_recognises_held_out_photos_of_its_product(setting):
    plain = setting["classifier"]
    with_pack = Classifier(setting["model"], packs=[setting["pack_path"]])
    assert with_pack.pack_labels == [PRODUCT]
    for photo in setting["held_out"]:
        prediction = with_pack.predict(photo)
        assert prediction.label == PRODUCT
        assert prediction.decision in ("review", "block")
        assert prediction.scores[PRODUCT] >= setting["pack"].thresholds.review
    coffee = with_pack.predict(skimage_photo("coffee.png"))
    assert coffee.decision == "allow" and coffee.label != PRODUCT
    assert coffee.scores[PRODUCT] < setting["pack"].thresholds.review
    # the model's own probabilities are the same with or without the pack
    before = plain.predict(skimage_photo("coffee.png")).scores
    assert {k: v for k, v in coffee.scores.items() if k != PRODUCT} == pytest.approx(before)


def test_the_pack_round_trips_and_records_what_it_was_built_from(setting):
    pack, loaded = setting["pack"], load_pack(setting["pack_path"])
    assert np.array_equal(loaded.weights, pack.weights)
    assert loaded.bias == pack.bias and loaded.thresholds == pack.thresholds
    assert loaded.model_sha256 == setting["classifier"].sha256
    assert loaded.photos == 8 and loaded.views == 5
    assert loaded.negatives == len(setting["bank"])
    figures = loaded.cross_validation
    assert figures["folds"] == 5 and figures["held_out_photos"] == 8
    assert 0.9 <= figures["auroc"] <= 1.0
    assert loaded.thresholds.review <= loaded.thresholds.block


def test_a_pack_holds_no_image_data_and_no_per_photo_embedding(setting):
    raw = setting["pack_path"].read_bytes()
    assert len(raw) < 64 * 1024
    for magic in (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"/9j/", b"iVBORw0KGgo"):
        assert magic not in raw  # JPEG, PNG, GIF, WebP, and JPEG/PNG in base64
    document = json.loads(raw)
    numbers = [
        k for k, v in document.items() if isinstance(v, list) and v and not isinstance(v[0], str)
    ]
    assert numbers == ["weights"]  # the one vector: the head, not a photo
    weights = np.asarray(document["weights"], dtype=np.float64)
    embeddings = setting["classifier"].embed(setting["photos"])
    cosines = embeddings @ weights / np.linalg.norm(weights)
    assert np.abs(cosines).max() < 0.95  # no photo's embedding is stored as the weights


def test_a_pack_of_another_model_or_a_clashing_label_is_refused(setting, wildlife_model):
    with pytest.raises(PackError, match="built for another model.*pack build"):
        Classifier(wildlife_model.path, packs=[setting["pack_path"]])
    with pytest.raises(PackError, match="already a label"):
        Classifier(setting["model"], packs=[setting["pack_path"], setting["pack_path"]])
    with pytest.raises(PackError, match="already predicts 'drink'"):
        build_pack(setting["root"] / "product", "drink", model=setting["classifier"])
    with pytest.raises(PackError, match="not allowed"):
        build_pack(setting["root"] / "product", "Rhino Horn", model=setting["classifier"])


def test_corrupt_edited_or_newer_pack_files_are_refused(setting, tmp_path):
    text = setting["pack_path"].read_text()
    cases = {
        "truncated.wvpack": (text[: len(text) // 2], "not JSON"),
        "edited.wvpack": (text.replace('"review": ', '"review": 0.0001 + 0 * ', 1), "not JSON"),
        "missing.wvpack": (None, "does not exist"),
    }
    document = json.loads(text)
    document["thresholds"]["review"] = 0.0
    cases["threshold.wvpack"] = (json.dumps(document), "checksum mismatch")
    newer = dict(document, format_version=PACK_FORMAT_VERSION + 1)
    cases["newer.wvpack"] = (json.dumps(newer), "Upgrade wildvision")
    cases["other.wvpack"] = (json.dumps({"weights": [1.0]}), "not a wildvision pack")
    for name, (content, message) in cases.items():
        if content is not None:
            (tmp_path / name).write_text(content)
        with pytest.raises(PackError, match=message):
            load_pack(tmp_path / name)


def test_the_bank_round_trips_and_belongs_to_one_model(setting, wildlife_model):
    bank = setting["bank"]
    loaded = load_negative_bank(bank_path_for(setting["model"]), setting["classifier"].sha256)
    cosines = np.sum(loaded.embeddings * bank.embeddings, axis=1) / np.linalg.norm(
        loaded.embeddings, axis=1
    )
    assert cosines.min() > 0.999 and list(loaded.sources) == list(bank.sources)
    assert list(loaded.labels) == list(bank.labels) == ["other"] * len(bank)
    with pytest.raises(PackError, match="embedded by another model"):
        build_pack(
            setting["root"] / "product",
            PRODUCT,
            model=Classifier(wildlife_model.path),
            bank=bank_path_for(setting["model"]),
        )
    with pytest.raises(PackError, match="no negative bank"):
        build_pack(setting["root"] / "product", PRODUCT, model=Classifier(wildlife_model.path))


def test_user_negatives_alone_and_unreadable_photos(setting, tmp_path):
    folder = tmp_path / "product"
    shutil.copytree(setting["root"] / "product", folder)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.warns(UserWarning, match="skipped a product photo"):
        pack = build_pack(
            folder,
            PRODUCT,
            model=setting["classifier"],
            use_bank=False,
            negatives=[setting["root"] / "ordinary"],
        )
    assert pack.photos == 8 and pack.negatives == 30  # 30 ordinary photos (2 views each)


def test_too_few_photos_and_folds_keep_a_photos_views_together():
    rng = np.random.default_rng(0)
    with pytest.raises(PackError, match="at least 3 photos"):
        fit_head(rng.normal(size=(4, 8)), np.array([0, 0, 1, 1]), rng.normal(size=(20, 8)))
    groups = np.repeat(np.arange(7), 5)
    folds = _assign_folds(groups, 3, rng)
    for group in range(7):
        assert len(set(folds[groups == group])) == 1
    assert sorted(np.bincount(folds[::5])) == [2, 2, 3]


def test_a_pack_decides_like_a_wildlife_label_and_the_guard_does_not_cap_it(wildlife_model):
    from wildvision.prediction import decide_with_label

    spec = Classifier(wildlife_model.path).spec
    pack = Pack("pangolin_scales", np.ones(4), 0.0, Thresholds(block=0.9, review=0.5), "0" * 64)
    far = spec.guard.review_distance + 1.0  # far from every ivory photo: ivory is capped
    scores = {"ivory": 0.99, "other": 0.01, "pangolin_scales": 0.95}
    assert decide_with_label(scores, spec, far, [pack]) == ("block", "pangolin_scales")
    assert decide_with_label({**scores, "pangolin_scales": 0.6}, spec, far, [pack]) == (
        "review",
        "pangolin_scales",
    )
    assert decide_with_label({**scores, "pangolin_scales": 0.6}, spec, 0.0, [pack]) == (
        "block",
        None,
    )
    assert decide_with_label({**scores, "pangolin_scales": 0.1}, spec, far, [pack]) == (
        "allow",
        None,
    )


def build_with_cli(setting, output, *options: str) -> int:
    """``wildvision pack build`` of the setting's product photos for its model."""
    product = str(setting["root"] / "product")
    command = ["pack", "build", product, "--label", PRODUCT, "--model", str(setting["model"])]
    return main([*command, "-o", str(output), *options])


def test_the_cli_builds_verifies_and_uses_a_pack(setting, tmp_path, capsys):
    output = tmp_path / "suit.wvpack"
    model = str(setting["model"])
    assert build_with_cli(setting, output) == 0
    assert "from 8 photos" in capsys.readouterr().out
    assert load_pack(output).weights.tolist() == setting["pack"].weights.tolist()  # seeded
    assert main(["pack", "verify", str(output), "--model", model]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["pack", "verify", str(output)]) == 2  # the shipped model: another model
    assert "built for another model" in capsys.readouterr().err
    assert (
        main(["predict", "--model", model, "--pack", str(output), str(setting["held_out"][0])]) == 0
    )
    assert f"\t{PRODUCT}\t" in capsys.readouterr().out
    assert main(["info", model, "--pack", str(output)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert [p["label"] for p in info["packs"]] == [PRODUCT]
    results = tmp_path / "scan.jsonl"
    assert (
        main(
            [
                "scan",
                str(setting["root"] / "held_out"),
                "-o",
                str(results),
                "--model",
                model,
                "--pack",
                str(output),
                "--no-progress",
            ]
        )
        == 0
    )
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [row["label"] for row in rows] == [PRODUCT] * 4


def test_the_cli_writes_a_bank_from_folders(setting, tmp_path, capsys):
    output = tmp_path / "bank.npz"
    assert (
        main(
            [
                "pack",
                "bank",
                str(setting["root"] / "ordinary"),
                "--model",
                str(setting["model"]),
                "-o",
                str(output),
                "--size",
                "10",
            ]
        )
        == 0
    )
    assert "10 negatives" in capsys.readouterr().out
    assert len(load_negative_bank(output, setting["classifier"].sha256)) == 10


def test_the_server_lists_and_applies_packs(setting):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from wildvision.server import create_app

    app = create_app(setting["model"], packs=[setting["pack_path"]])
    with TestClient(app) as client:
        info = client.get("/v1/model").json()
        assert [p["label"] for p in info["packs"]] == [PRODUCT]
        assert info["packs"][0]["thresholds"]["review"] == setting["pack"].thresholds.review
        photo = setting["held_out"][0].read_bytes()
        answer = client.post("/v1/classify", files={"file": ("a.jpg", photo, "image/jpeg")}).json()
        assert answer["label"] == PRODUCT and PRODUCT in answer["scores"]


def test_a_fresh_clone_builds_a_pack_for_the_shipped_model_with_its_bank(tmp_path, capsys):
    """The shipped model and the bank shipped beside it, from the CLI, with photos that
    come with scikit-image: no shared datasets needed."""
    _crops("astronaut.png", tmp_path / "product", 6, seed=4)
    held_out = _crops("astronaut.png", tmp_path / "held_out", 2, seed=5)
    pack = tmp_path / "suit.wvpack"
    with terminal_stderr() as stderr:  # on a terminal, a progress bar over the photos
        build = ["pack", "build", str(tmp_path / "product"), "--label", PRODUCT]
        assert main([*build, "-o", str(pack)]) == 0
    assert "against 4096 negatives" in capsys.readouterr().out
    assert "product photos:" in stderr.getvalue() and "/6" in stderr.getvalue()
    assert main(["pack", "verify", str(pack)]) == 0
    capsys.readouterr()
    classifier = Classifier(packs=[pack])
    assert [p.label for p in classifier.predict_batch(held_out)] == [PRODUCT, PRODUCT]
    assert classifier.predict(skimage_photo("coffee.png")).decision == "allow"


def test_a_changed_byte_in_a_listed_bank_is_refused(setting, tmp_path):
    from wildvision.integrity import write_sums

    shutil.copy(bank_path_for(setting["model"]), tmp_path / "model.negatives.npz")
    write_sums(tmp_path, "*.npz")
    assert len(load_negative_bank(tmp_path / "model.negatives.npz")) == len(setting["bank"])
    data = bytearray((tmp_path / "model.negatives.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "model.negatives.npz").write_bytes(bytes(data))
    with pytest.raises(PackError, match="damaged or was changed"):
        load_negative_bank(tmp_path / "model.negatives.npz")


def test_the_review_page_offers_pack_labels_and_verdicts_rebuild_the_pack(
    setting, tmp_path, capsys
):
    """scan --pack -> report --pack offers the pack's label -> reviewers' verdicts.csv feeds
    pack build: confirmed photos join the product, rejected ones the negatives."""
    import csv

    model, pack = str(setting["model"]), str(setting["pack_path"])
    results = tmp_path / "scan.jsonl"
    photos = tmp_path / "listings"
    shutil.copytree(setting["root"] / "held_out", photos / "suits")
    shutil.copytree(setting["root"] / "ordinary", photos / "ordinary")
    common = ["--model", model, "--pack", pack]
    assert main(["scan", str(photos), "-o", str(results), *common, "--no-progress"]) == 0
    page = tmp_path / "page.html"
    assert main(["report", str(results), "-o", str(page), *common, "--no-heatmaps"]) == 0
    assert f"<kbd>3</kbd> {PRODUCT}" in page.read_text()  # drink, animal, then the pack's
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    verdicts = tmp_path / "verdicts.csv"
    with verdicts.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VERDICT_COLUMNS)
        for row in rows:
            truth = PRODUCT if "/suits/" in row["path"] else "other"
            writer.writerow(
                [
                    row["listing_id"],
                    row["path"],
                    truth,
                    row["label"],
                    row["score"],
                    row["model_version"],
                    "2026-12-01T00:00:00Z",
                ]
            )
    capsys.readouterr()
    output = tmp_path / "again.wvpack"
    assert build_with_cli(setting, output, "--verdicts", str(verdicts)) == 0
    rebuilt = load_pack(output)
    assert rebuilt.photos == 8 + 4  # the 4 confirmed held-out photos joined the 8
    assert rebuilt.negatives == len(setting["bank"]) + 30  # and the 30 rejected ones


def test_serve_passes_packs_to_the_server(setting, monkeypatch):
    pytest.importorskip("fastapi")
    import wildvision.server as server

    seen = {}
    monkeypatch.setattr(server, "serve", lambda model, **options: seen.update(options, model=model))
    pack = str(setting["pack_path"])
    assert main(["serve", "--model", str(setting["model"]), "--pack", pack, "--pack", pack]) == 0
    assert seen["packs"] == [pack, pack] and seen["model"] == str(setting["model"])


def test_a_pack_fits_the_in_graph_twin_but_not_the_int8_model(tmp_path):
    """Built on the shipped fp32 model, a pack also fits its in-graph export (the same
    weights) and scores the same there; the bank beside them serves both."""
    _crops("astronaut.png", tmp_path / "product", 5, seed=6)
    pack = build_pack(tmp_path / "product", PRODUCT)
    ingraph = Classifier(Classifier().model_path.with_suffix(".ingraph.onnx"), packs=[pack])
    assert pack.fits(ingraph.sha256) and ingraph.sha256 != pack.model_sha256
    plain = Classifier(packs=[pack])
    photo = skimage_photo("astronaut.png")
    assert ingraph.predict(photo).scores[PRODUCT] == pytest.approx(
        plain.predict(photo).scores[PRODUCT], abs=1e-3
    )
    rebuilt = build_pack(tmp_path / "product", PRODUCT, model=ingraph.model_path)
    assert rebuilt.fits(plain.sha256)


def test_look_alikes_teach_the_head_but_do_not_count_against_the_budget():
    """Thresholds by budget count ordinary negatives only: a look-alike cluster near the
    product may pass the review threshold, ordinary photos at most the budget."""
    rng = np.random.default_rng(0)
    dim = 16
    product = rng.normal(size=dim)

    def around(centre, count, spread):
        rows = centre + spread * rng.normal(size=(count, dim))
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    positives = around(product, 30, 0.3)
    lookalikes = around(product + 0.4 * rng.normal(size=dim), 100, 0.3)
    ordinary = around(np.zeros(dim), 900, 1.0)
    negatives = np.concatenate([lookalikes, ordinary])
    is_ordinary = np.r_[np.zeros(100, bool), np.ones(900, bool)]
    counted = fit_head(
        positives,
        np.arange(30),
        negatives,
        negative_ordinary=is_ordinary,
        review_budget=0.01,
        block_budget=0.0,
    )
    strict = fit_head(positives, np.arange(30), negatives, review_budget=0.01, block_budget=0.0)
    assert counted.thresholds.review < strict.thresholds.review
    assert counted.cross_validation["false_flags_at_review"] <= 0.01
    assert counted.cross_validation["held_out_negatives"] == 900
    assert (
        counted.cross_validation["recall_at_review"] >= strict.cross_validation["recall_at_review"]
    )


def test_pack_build_needs_the_packs_extra_only(setting, tmp_path):
    """With tqdm and matplotlib unimportable ([packs] = the base install plus scikit-learn),
    `pack build` works without importing torch; `evaluate` still names the [eval] extra."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "for name in ('tqdm', 'matplotlib'):\n"
        "    sys.modules[name] = None\n"
        "from wildvision.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "assert 'torch' not in sys.modules, 'imported torch'\n"
        "sys.exit(code)\n"
    )
    output = tmp_path / "p.wvpack"
    build = [sys.executable, "-c", script, "pack", "build", str(setting["root"] / "product")]
    build += ["--label", PRODUCT, "--model", str(setting["model"]), "-o", str(output)]
    result = subprocess.run(build, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert load_pack(output).photos == 8
    evaluate = [sys.executable, "-c", script, "evaluate", str(setting["model"])]
    evaluate += ["--data", str(setting["root"] / "product")]
    result = subprocess.run(evaluate, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "pip install 'wildvision[eval]'" in result.stderr
