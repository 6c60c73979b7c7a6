"""Exceptions raised by wildvision; each message names the problem and the fix."""

from __future__ import annotations


class WildvisionError(Exception):
    """Base class for every error wildvision raises on purpose."""


class ImageError(WildvisionError, ValueError):
    """An input could not be turned into an RGB image (unreadable, corrupt, unsupported)."""


class FetchError(ImageError):
    """A photo at a URL could not be fetched: a refused address, an HTTP error, a timeout, too
    many redirects, too many bytes or not an image; the message names the URL and the fix."""


class ModelError(WildvisionError, ValueError):
    """A model file is missing, unreadable, or lacks valid wildvision metadata."""


class ExportError(ModelError):
    """An exported graph disagrees with PyTorch; no file was written."""


class ConfigError(WildvisionError, ValueError):
    """A training or export configuration is invalid."""


class ScanError(WildvisionError, ValueError):
    """A scan's source or output file is missing, of an unknown kind, or malformed."""


class HashListError(WildvisionError, ValueError):
    """A known-image hash list is unreadable, of an unknown format, or malformed."""


class MissingExtraError(WildvisionError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class PackError(WildvisionError, ValueError):
    """A product pack is missing, corrupt, from another model, or cannot be built."""


class CalibrationError(WildvisionError, ValueError):
    """Thresholds cannot be fitted to a stream sample as asked: too few photos for the budget,
    a sample that is not a random stream, or an output that would overwrite the model."""


class CalibrationWarning(UserWarning):
    """A stream calibration went ahead with a caveat: photos skipped, a small sample allowed,
    a model calibrated before (its history is kept), a variant left as it was."""
