"""The ``pack`` verbs of the ``wildvision`` command: build, verify and list product packs, and
build a model's negative bank. No torch; building needs ``wildvision[packs]``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ..errors import PackError
from .options import decode_arguments, decode_limits, warnings_to_stderr

SPLIT_CHOICES = ("train", "val", "test")


def cmd_pack_build(args: argparse.Namespace) -> int:
    from ..classifier import Classifier
    from ..packs.build import build_pack
    from ..packs.pack_file import DEFAULT_CITES_NOTE, PACK_SUFFIX

    started = time.perf_counter()
    classifier = Classifier(args.model, precision=args.precision, **decode_limits(args))
    with warnings_to_stderr():
        pack = build_pack(
            args.photos,
            args.label,
            model=classifier,
            negatives=args.negatives or (),
            bank=args.bank,
            use_bank=not args.no_bank,
            verdicts=args.verdicts or (),
            review_budget=args.review_budget,
            block_budget=args.block_budget,
            folds=args.folds,
            seed=args.seed,
            cites_note=args.cites_note or DEFAULT_CITES_NOTE,
        )
    output = Path(args.output or f"{pack.label}{PACK_SUFFIX}")
    pack.save(output)
    figures = pack.cross_validation
    print(
        f"wrote {output}: label {pack.label!r} from {pack.photos} photos ({pack.views} views "
        f"each) against {pack.negatives} negatives in {time.perf_counter() - started:.1f} s"
    )
    print(_figures_line(pack.thresholds, figures))
    return 0


def cmd_pack_verify(args: argparse.Namespace) -> int:
    from ..classifier import Classifier
    from ..packs.pack_file import check_packs_fit, load_pack

    pack = load_pack(args.pack)
    summary: dict[str, Any] = pack.summary()
    if not args.no_model:
        classifier = Classifier(args.model, precision=args.precision)
        check_packs_fit(
            [pack], classifier.sha256, classifier.spec.labels, str(classifier.model_path)
        )
        summary["fits_model"] = str(classifier.model_path)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        fits = summary.get("fits_model")
        print(
            f"{args.pack}: ok — label {pack.label!r}, {pack.photos} photos, model "
            f"{pack.model_version or '?'} (sha256 {pack.model_sha256[:12]}…)"
            + (f", fits {fits}" if fits else "")
        )
        print(_figures_line(pack.thresholds, pack.cross_validation))
        print(f"note: {pack.cites_note}")
    return 0


def cmd_pack_bank(args: argparse.Namespace) -> int:
    from ..classifier import Classifier
    from ..evaluation.samples import load_samples
    from ..packs.build import build_negative_bank
    from ..packs.negative_bank import bank_path_for
    from ..sources import iter_images

    classifier = Classifier(args.model, precision=args.precision, **decode_limits(args))
    keep_labels = set(args.labels) if args.labels else None
    photos, sources, labels = [], [], []
    for source in args.sources:
        folder = Path(source)
        if folder.is_dir() and not (folder / "manifest.csv").is_file():
            found = list(iter_images(folder))  # a folder of ordinary photos, labels or not
            photos += found
            sources += [f"{folder.name}/{p.parent.relative_to(folder)}" for p in found]
            labels += ["other"] * len(found)  # a folder of ordinary photos
            continue
        for sample in load_samples(source):
            if sample.split and args.splits and sample.split not in args.splits:
                continue
            if keep_labels is not None and sample.label not in keep_labels:
                continue
            if keep_labels is None and sample.label in classifier.spec.wildlife_labels:
                continue  # the model's own wildlife photos are not negatives
            photos.append(sample.path)
            sources.append(sample.source or Path(source).name)
            labels.append(sample.label)
    if not photos:
        raise PackError(f"no photos found in {', '.join(args.sources)} with those splits/labels.")
    with warnings_to_stderr():
        bank = build_negative_bank(
            classifier, photos, sources, size=args.size, seed=args.seed, labels=labels
        )
    output = Path(args.output) if args.output else bank_path_for(classifier.model_path)
    bank.save(output)
    lookalikes = int((~bank.ordinary).sum())
    print(
        f"wrote {output}: {len(bank)} negatives from {len(set(bank.sources))} sources "
        f"({lookalikes} look-alikes: labels other than 'other')"
    )
    return 0


def _figures_line(thresholds: Any, figures: dict[str, Any]) -> str:
    def pct(key: str) -> str:
        value = figures.get(key)
        return "n/a" if value is None else f"{value:.1%}"

    auroc = figures.get("auroc")
    return (
        f"thresholds review {thresholds.review:.4f} / block {thresholds.block:.4f}; "
        f"cross-validated ({figures.get('folds')} folds): AUROC "
        f"{'n/a' if auroc is None else f'{auroc:.4f}'}, photos flagged {pct('recall_at_review')}"
        f" / blocked {pct('recall_at_block')}, negatives flagged {pct('false_flags_at_review')}"
        f" / blocked {pct('false_flags_at_block')}"
    )


def add_pack_verbs(verbs: Any, model_options: Any) -> None:
    """Add ``pack build``, ``pack verify`` and ``pack bank`` to the command's verbs."""
    parser = verbs.add_parser("pack", help="product packs: a new label from a few photos")
    actions = parser.add_subparsers(dest="action", required=True)

    p = actions.add_parser("build", help="learn a new label from photos (no torch, seconds)")
    p.add_argument("photos", help="folder (or one file) of photos of the product")
    p.add_argument("--label", required=True, help="the new label, e.g. rhino_horn")
    p.add_argument("-o", "--output", default=None, help="pack file (default LABEL.wvpack)")
    model_options(p)
    p.add_argument(
        "--negatives",
        action="append",
        help="folder of your photos that are NOT the product "
        "(look-alikes, ordinary listings); repeatable",
    )
    p.add_argument("--verdicts", action="append", help="reviewers' verdicts.csv; repeatable")
    p.add_argument("--bank", default=None, help="negative bank (default: beside the model)")
    p.add_argument("--no-bank", action="store_true", help="fit against --negatives only")
    p.add_argument("--review-budget", type=float, default=0.01, help="default %(default)s")
    p.add_argument("--block-budget", type=float, default=0.001, help="default %(default)s")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    p.add_argument("--cites-note", default=None, help="note for reviewers (CITES listing)")
    p.add_argument("--seed", type=int, default=0)
    decode_arguments(p)
    p.set_defaults(func=cmd_pack_build)

    p = actions.add_parser("verify", help="check a pack file and that it fits a model")
    p.add_argument("pack", help="a .wvpack file")
    model_options(p)
    p.add_argument("--no-model", action="store_true", help="check the file only")
    p.add_argument("--json", action="store_true", help="the pack's summary as JSON")
    p.set_defaults(func=cmd_pack_verify)

    p = actions.add_parser("bank", help="embed ordinary photos as a model's negative bank")
    p.add_argument(
        "sources", nargs="+", help="folders of ordinary photos, or manifests (path,label,...)"
    )
    model_options(p)
    p.add_argument("-o", "--output", default=None, help="default: NAME.negatives.npz by model")
    p.add_argument("--size", type=int, default=4096, help="most photos kept (%(default)s)")
    p.add_argument(
        "--splits",
        nargs="+",
        choices=SPLIT_CHOICES,
        default=["train", "val"],
        help="manifest splits to use (default: train val)",
    )
    p.add_argument(
        "--labels",
        nargs="+",
        default=None,
        help="labels to keep (default: all but the model's wildlife labels)",
    )
    p.add_argument("--seed", type=int, default=0)
    decode_arguments(p)
    p.set_defaults(func=cmd_pack_bank)
