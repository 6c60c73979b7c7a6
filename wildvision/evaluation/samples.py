"""Moved to ``wildvision.data`` (the core floor); this path re-exports it for one release."""

from ..data import SPLITS as SPLITS
from ..data import Sample as Sample
from ..data import load_samples as load_samples
from ..data import read_image_folder as read_image_folder
from ..data import read_manifest as read_manifest
