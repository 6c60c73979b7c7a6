"""Material look-alikes: the object's shading kept, its colour another material's, the
background untouched; deterministic and cached."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("cv2")

from wildvision.data import Sample  # noqa: E402
from wildvision.train.materials import (  # noqa: E402
    MATERIALS,
    object_mask,
    render_lookalikes,
    render_material,
)


def carving(tmp_path=None) -> Image.Image:
    """A cream 'carving' with shading on a plain grey catalogue background."""
    image = Image.new("RGB", (200, 160), (190, 190, 186))
    pen = ImageDraw.Draw(image)
    for r in range(50, 0, -5):
        tone = 200 + r // 2
        pen.ellipse((100 - r, 80 - r, 100 + r, 80 + r), fill=(tone, tone - 10, tone - 40))
    return image


def test_the_mask_finds_the_object_on_a_plain_background():
    mask = object_mask(np.asarray(carving()))
    assert mask[80, 100] > 0.9 and mask[5, 5] < 0.1 and mask[80, 190] < 0.1
    assert 0.15 < (mask > 0.5).mean() < 0.35  # the disc: pi * 50^2 / (200 * 160)


def test_each_material_recolours_the_object_and_keeps_the_background():
    source = np.asarray(carving(), dtype=np.int16)
    for material, ramp in MATERIALS.items():
        out = np.asarray(render_material(carving(), material, np.random.default_rng(0)))
        assert np.abs(out[5, 5].astype(np.int16) - source[5, 5]).max() <= 2, material
        centre = out[70:90, 90:110].reshape(-1, 3).mean(axis=0)
        nearest = min(
            np.linalg.norm(centre - np.array(c)) for c in np.linspace(ramp[0], ramp[-1], 20)
        )
        assert nearest < 90, material  # on the material's own colour ramp
        assert np.abs(centre - source[70:90, 90:110].reshape(-1, 3).mean(0)).max() > 15


def test_an_unknown_material_is_refused():
    with pytest.raises(ValueError, match="choose one of gilt"):
        render_material(carving(), "plastic", np.random.default_rng(0))


def test_lookalikes_render_once_and_are_deterministic(tmp_path):
    photos = []
    for i in range(3):
        path = tmp_path / f"c{i}.png"
        carving().rotate(i * 20).save(path)
        photos.append(Sample(path=path, label="ivory", split="train", group=f"obj{i}"))
    made = render_lookalikes(photos, tmp_path / "cache", count=7, seed=2)
    assert len(made) == 7 and {s.label for s in made} == {"other"}
    assert {s.split for s in made} == {"train"} and {s.group for s in made} <= {
        "obj0",
        "obj1",
        "obj2",
    }
    pixels = [np.asarray(Image.open(s.path)) for s in made]
    stamp = made[0].path.stat().st_mtime_ns
    assert render_lookalikes(photos, tmp_path / "cache", count=7, seed=2) == made
    assert made[0].path.stat().st_mtime_ns == stamp  # read back from the cache
    fresh = render_lookalikes(photos, tmp_path / "other-cache", count=7, seed=2)
    assert all(np.array_equal(a, np.asarray(Image.open(s.path))) for a, s in zip(pixels, fresh))
    with pytest.raises(ValueError, match="no photos"):
        render_lookalikes([], tmp_path / "cache")
