"""Known-image hash lists: build, save/load round trip, and matching of altered copies."""

from __future__ import annotations

import io
import json
import sys

import pytest
from PIL import Image

from tests.conftest import skimage_photo
from wildvision import HashList, HashListError, ImageError, MissingExtraError
from wildvision.cli import main
from wildvision.hashes import (
    DEFAULT_MAX_DISTANCE,
    HashEntry,
    HashMatch,
    HashMatcher,
    build_hash_list,
    distance,
    image_hash,
    raise_decision,
)

pytest.importorskip("imagehash")


@pytest.fixture(scope="module")
def known_folder(tmp_path_factory):
    """Known photos: ivory/ holds two, one sits at the top, and one file is corrupt."""
    root = tmp_path_factory.mktemp("known")
    (root / "ivory").mkdir()
    for name in ("chelsea.png", "coffee.png"):
        Image.open(skimage_photo(name)).convert("RGB").save(root / "ivory" / f"{name[:-4]}.jpg")
    Image.open(skimage_photo("astronaut.png")).convert("RGB").save(root / "astronaut.jpg")
    (root / "ivory" / "broken.jpg").write_bytes(b"not a photo")
    return root


def jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def test_build_labels_by_sub_folder_and_skips_unreadable_files(known_folder):
    hash_list, errors = build_hash_list(known_folder, label="seized")
    assert [e.label for e in hash_list.entries] == ["seized", "ivory", "ivory"]
    assert all(len(e.hash) == 32 for e in hash_list.entries)
    assert hash_list.labels == ["ivory", "seized"]
    assert len(errors) == 1 and "broken.jpg" in errors[0]


def test_save_and_load_round_trip_with_hashes_and_labels_only(known_folder, tmp_path):
    hash_list, _ = build_hash_list(known_folder)
    path = hash_list.save(tmp_path / "list.json")
    assert HashList.load(path) == hash_list
    data = json.loads(path.read_text())
    assert data["format"] == "wildvision-hashes" and data["format_version"] == 1
    assert all(set(entry) == {"hash", "label"} for entry in data["entries"])
    assert "chelsea" not in path.read_text()  # no file names travel with the list


def test_a_reencoded_resized_copy_matches_and_a_different_photo_does_not(known_folder):
    hash_list, _ = build_hash_list(known_folder)
    matcher = HashMatcher(hash_list)
    cat = Image.open(known_folder / "ivory" / "chelsea.jpg")
    copy = jpeg(cat.resize((cat.width // 2, cat.height // 2)), quality=30)
    match = matcher.match_image(copy)
    assert match is not None and match.label == "ivory" and match.distance <= 6
    assert matcher.match_image(skimage_photo("rocket.jpg")) is None
    assert matcher.match_image(skimage_photo("motorcycle_left.png")) is None


def test_distance_limit_is_the_callers_choice():
    photo = skimage_photo("coffee.png")
    hashed = image_hash(photo)
    moved = image_hash(Image.open(photo).convert("RGB").crop((40, 30, 600, 400)))
    gap = distance(hashed, moved)
    assert 0 < gap < 128
    entries = HashList((HashEntry(hashed, "ivory"),))
    assert HashMatcher(entries, max_distance=gap).match(moved).distance == gap
    assert HashMatcher(entries, max_distance=gap - 1).match(moved) is None
    assert HashMatcher(HashList(()), DEFAULT_MAX_DISTANCE).match(hashed) is None
    with pytest.raises(ValueError, match="max_distance"):
        HashMatcher(entries, max_distance=200)


def test_undecodable_input_raises_image_error():
    with pytest.raises(ImageError, match="not a recognised image"):
        image_hash(b"<html>")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a readable JSON hash list"),
        ('{"entries": []}', "not a wildvision hash list"),
        (
            '{"format": "wildvision-hashes", "format_version": 9, "algorithm": "phash+dhash"}',
            "format version 9",
        ),
        (
            '{"format": "wildvision-hashes", "format_version": 1, "algorithm": "phash+dhash", '
            '"entries": [{"hash": "abc", "label": "ivory"}]}',
            "entry 1 needs a 32-digit hex",
        ),
    ],
)
def test_bad_lists_are_refused_with_the_fix(tmp_path, text, message):
    path = tmp_path / "list.json"
    path.write_text(text)
    with pytest.raises(HashListError, match=message):
        HashList.load(path)
    with pytest.raises(HashListError, match="no such hash list"):
        HashList.load(tmp_path / "missing.json")


def test_missing_imagehash_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "imagehash", None)
    with pytest.raises(MissingExtraError, match=r"wildvision\[hashes\]"):
        image_hash(skimage_photo("coffee.png"))
    with pytest.raises(ImportError, match="pip install"):  # before a scan starts
        HashMatcher(HashList(()))


def test_cli_builds_a_list(known_folder, tmp_path, capsys):
    target = tmp_path / "list.json"
    assert main(["hashes", "build", str(known_folder), "-o", str(target)]) == 0
    assert len(HashList.load(target)) == 3
    captured = capsys.readouterr()
    assert f"list '{known_folder.name}', 3 hashes, labels ['ivory', 'known']" in captured.out
    assert "a match asks for review; 1 unreadable" in captured.out
    assert "broken.jpg" in captured.err
    assert main(["hashes", "build", str(tmp_path / "none"), "-o", str(target)]) == 2
    assert "no such folder" in capsys.readouterr().err
    args = ["--name", "seized-2026", "--decision", "block"]
    assert main(["hashes", "build", str(known_folder), "-o", str(target), *args]) == 0
    built = HashList.load(target)
    assert (built.name, built.decision, len(built)) == ("seized-2026", "block", 3)


def test_a_list_has_a_name_and_the_decision_a_match_asks_for(known_folder, tmp_path):
    hash_list, _ = build_hash_list(known_folder, name="seized", decision="block")
    loaded = HashList.load(hash_list.save(tmp_path / "list.json"))
    assert (loaded.name, loaded.decision) == ("seized", "block")
    match = HashMatcher(loaded).match(loaded.entries[0].hash)
    assert (match.list_name, match.decision, match.distance) == ("seized", "block", 0)
    # a list written without them (an older wildvision): named after its file, review
    data = json.loads((tmp_path / "list.json").read_text())
    del data["name"], data["decision"]
    (tmp_path / "partner.json").write_text(json.dumps(data))
    older = HashList.load(tmp_path / "partner.json")
    assert (older.name, older.decision) == ("partner", "review")
    data["decision"] = "allow"  # a match can never lower a decision
    (tmp_path / "lowering.json").write_text(json.dumps(data))
    with pytest.raises(HashListError, match='"decision" one of review, block'):
        HashList.load(tmp_path / "lowering.json")
    with pytest.raises(HashListError, match="decision is one of review, block"):
        build_hash_list(known_folder, decision="allow")


def test_a_match_raises_the_decision_to_at_least_the_lists():
    review = HashMatch("ivory", 3, "0" * 32, "seized", "review")
    block = HashMatch("ivory", 3, "0" * 32, "seized", "block")
    assert raise_decision("allow", review) == "review"
    assert raise_decision("block", review) == "block"  # never lowered
    assert raise_decision("allow", block) == raise_decision("review", block) == "block"
    assert raise_decision("allow", None) == "allow"
    assert raise_decision("error", block) == "error"


def test_an_empty_folder_is_an_error_with_the_fix(tmp_path, capsys):
    (tmp_path / "seized" / "notes").mkdir(parents=True)
    (tmp_path / "seized" / "notes" / "readme.txt").write_text("no photos here")
    with pytest.raises(HashListError, match="no image files below it"):
        build_hash_list(tmp_path / "seized")
    target = tmp_path / "list.json"
    assert main(["hashes", "build", str(tmp_path / "seized"), "-o", str(target)]) == 2
    assert "no image files below it" in capsys.readouterr().err
    (tmp_path / "seized" / "broken.jpg").write_bytes(b"not a photo")
    assert main(["hashes", "build", str(tmp_path / "seized"), "-o", str(target)]) == 2
    assert "none of its 1 image files could be read" in capsys.readouterr().err
    assert not target.exists()
