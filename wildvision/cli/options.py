"""Options shared by the ``wildvision`` command's verbs: the model, packs, URL fetching and
the decoding limits."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from ..fetching import DEFAULT_FETCH_TIMEOUT, DEFAULT_FETCH_WORKERS, FetchOptions
from ..imaging import BYTES_FLAG, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, PIXELS_FLAG
from ..server_defaults import MB


def model_options(
    parser: argparse.ArgumentParser,
    text: str = "ONNX file or shipped model name (default: shipped)",
) -> None:
    """``--model`` and ``--precision``, the same for every verb that loads a model."""
    parser.add_argument("--model", default=None, help=text)
    parser.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "int8", "fp32"],
        help="for a shipped model: auto takes int8 when shipped",
    )


def pack_option(parser: argparse.ArgumentParser) -> None:
    """``--pack F``, repeatable: product packs whose labels join the model's."""
    parser.add_argument(
        "--pack",
        action="append",
        metavar="F",
        help="product pack (.wvpack, `wildvision pack build`) built for this model; repeatable",
    )


def fetch_arguments(parser: argparse.ArgumentParser, workers: bool = True) -> None:
    """How photos at http(s) URLs are fetched, the same for every verb that reads photos."""
    parser.add_argument(
        "--fetch-timeout",
        type=_above_zero(float),
        default=DEFAULT_FETCH_TIMEOUT,
        help="seconds for a whole fetch of a photo URL (default %(default)s)",
    )
    if workers:
        parser.add_argument(
            "--fetch-workers",
            type=_above_zero(int),
            default=DEFAULT_FETCH_WORKERS,
            help="photo URLs fetched at once (default %(default)s)",
        )
    parser.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="also fetch from private, loopback and link-local addresses (refused by default)",
    )


def decode_arguments(parser: argparse.ArgumentParser, byte_cap: bool = True) -> None:
    """``--max-pixels`` and ``--max-image-mb``: the decoding limits, for every verb that decodes
    photos (the errors of a photo over them name these flags)."""
    parser.add_argument(
        PIXELS_FLAG,
        type=_above_zero(int),
        default=DEFAULT_MAX_PIXELS,
        metavar="N",
        help="refuse photos with more pixels (default %(default)s); raises Pillow's own "
        "decompression-bomb limit to match",
    )
    if byte_cap:
        parser.add_argument(
            BYTES_FLAG,
            type=_above_zero(float),
            default=DEFAULT_MAX_BYTES / MB,
            metavar="MB",
            help="refuse photo files (and fetched photos) over this many MB of 2**20 bytes "
            "(default %(default)g)",
        )


def decode_limits(args: argparse.Namespace) -> dict[str, int]:
    """``{"max_pixels": ..., "max_bytes": ...}`` from ``decode_arguments``' flags, as
    ``Classifier`` and ``load_image`` take them (``max_bytes`` only where the verb has it).

    A ``--max-pixels`` above Pillow's own limit (``PIL.Image.MAX_IMAGE_PIXELS``, which warns
    above it and refuses at twice it) raises that limit to match, for this command's process:
    otherwise Pillow would still refuse what the flag allows.
    """
    from PIL import Image

    limits = {"max_pixels": args.max_pixels}
    if Image.MAX_IMAGE_PIXELS is not None and args.max_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = args.max_pixels
    if getattr(args, "max_image_mb", None) is not None:
        limits["max_bytes"] = round(args.max_image_mb * MB)
    return limits


def _above_zero(kind: type) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` above 0."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}")
        return value

    return parse


def fetch_options(args: argparse.Namespace) -> FetchOptions:
    """How this verb fetches photo URLs; with ``--max-image-mb``, its cap too."""
    cap = getattr(args, "max_image_mb", None)
    return FetchOptions(
        timeout=args.fetch_timeout,
        allow_private=args.allow_private_urls,
        workers=getattr(args, "fetch_workers", DEFAULT_FETCH_WORKERS),
        max_bytes=DEFAULT_MAX_BYTES if cap is None else round(cap * MB),
    )


@contextlib.contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """Inside, every ``UserWarning`` (a skipped photo, another model version) is one
    ``warning: ...`` line on stderr, each time it happens."""

    def show(message: Warning | str, *_: object, **__: object) -> None:
        print(f"warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = show
        yield
