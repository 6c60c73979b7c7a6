"""Validation and calibration see the pixels that are served: ``eval_dataset`` decodes and
preprocesses a photo exactly as ``Classifier`` does, draft-mode JPEG decoding included."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")

from tests.conftest import skimage_photo  # noqa: E402
from wildvision import Classifier  # noqa: E402
from wildvision.data import Sample  # noqa: E402
from wildvision.imaging import load_image  # noqa: E402
from wildvision.preprocess import preprocess  # noqa: E402
from wildvision.train.torch_dataset import ImageDataset, eval_dataset  # noqa: E402
from wildvision.train.transforms import EvalTransform  # noqa: E402


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory):
    """A 2400x1800 listing-sized JPEG: big enough for draft mode to decode it at 1/4."""
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    photo = Image.open(skimage_photo("coffee.png")).convert("RGB")
    photo.resize((2400, 1800), Image.Resampling.BICUBIC).save(path, quality=92)
    return path


def test_eval_tensors_are_what_the_classifier_feeds_the_model(big_jpeg):
    classifier = Classifier()  # the shipped model: its spec and its decoding
    spec = classifier.spec
    dataset = eval_dataset([Sample(big_jpeg, spec.labels[0])], spec)
    tensor, target = dataset[0]
    served = classifier._prepare(big_jpeg)  # the array predict() runs the model on
    assert target == 0
    assert np.array_equal(tensor.numpy(), served)
    assert classifier.load(big_jpeg).width < 2400  # draft mode did decode at reduced scale

    # and it matters: the full-size decode gives other pixels
    full = ImageDataset([Sample(big_jpeg, spec.labels[0])], spec.labels, EvalTransform(spec))
    assert not np.allclose(full[0][0].numpy(), served, atol=1e-3)
    assert np.array_equal(full[0][0].numpy(), preprocess(load_image(big_jpeg), spec))


def test_unknown_labels_are_refused_with_the_fix(big_jpeg):
    from wildvision.errors import ConfigError

    spec = Classifier().spec
    with pytest.raises(ConfigError, match="label_map"):
        eval_dataset([Sample(big_jpeg, "walrus_tusk_carving")], spec)
