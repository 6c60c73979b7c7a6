"""The ``hashes`` verbs of the ``wildvision`` command: build a shareable known-image hash list
(``wildvision.hashes``; the ``[hashes]`` extra)."""

from __future__ import annotations

import argparse
import sys

from ..errors import HashListError
from ..hashes import MATCH_DECISIONS
from .options import decode_arguments as _decode_arguments
from .options import decode_limits as _decode_limits


def cmd_hashes_build(args: argparse.Namespace) -> int:
    from ..hashes import build_hash_list

    hash_list, errors = build_hash_list(
        args.folder,
        label=args.label,
        name=args.name,
        decision=args.decision,
        **_decode_limits(args),
    )
    for error in errors:
        print(f"skipped: {error}", file=sys.stderr)
    if not len(hash_list):
        raise HashListError(
            f"{args.folder}: none of its {len(errors)} image files could be read, so there is "
            "nothing to hash (see the reasons above); fix or replace the photos."
        )
    path = hash_list.save(args.output)
    print(
        f"wrote {path}: list {hash_list.name!r}, {len(hash_list)} hashes, labels "
        f"{hash_list.labels}, a match asks for {hash_list.decision}; "
        f"{len(errors)} unreadable images skipped"
    )
    return 0


def add_hashes_verb(verbs: argparse._SubParsersAction) -> None:
    """Register ``hashes build`` on the main parser's verbs."""
    p = verbs.add_parser("hashes", help="known-image hash lists")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser("build", help="hash the photos below DIR into a shareable list")
    p.add_argument("folder", help="known photos; a sub-folder's name is its photos' label")
    p.add_argument("-o", "--output", required=True, help="hash list .json to write")
    p.add_argument("--label", default="known", help="label of photos directly in the folder")
    p.add_argument("--name", default=None, help="the list's name in results (default: folder's)")
    p.add_argument(
        "--decision",
        default="review",
        choices=MATCH_DECISIONS,
        help="what a scan decides at least for a matching photo (default %(default)s)",
    )
    _decode_arguments(p)
    p.set_defaults(func=cmd_hashes_build)
