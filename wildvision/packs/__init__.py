"""Product packs: add a label to a model from a platform's own photos, shareable without them.

``load_pack`` and ``Pack`` (``wildvision.pack_file``, beside the classifier) need numpy only;
``build_pack`` and ``build_negative_bank`` embed photos with onnxruntime and fit the head
with scikit-learn (``pip install 'wildvision[packs]'``). See README, "Adding a product".
"""

from ..pack_file import PACK_SUFFIX, Pack, check_packs_fit, load_pack
from .negative_bank import NegativeBank, bank_path_for, load_negative_bank

__all__ = [
    "PACK_SUFFIX",
    "NegativeBank",
    "Pack",
    "bank_path_for",
    "build_negative_bank",
    "build_pack",
    "check_packs_fit",
    "load_negative_bank",
    "load_pack",
]


def __getattr__(name: str):  # build needs Classifier; import it only when asked
    if name in ("build_pack", "build_negative_bank"):
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
