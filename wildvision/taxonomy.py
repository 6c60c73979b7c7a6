"""The product classes wildvision knows, as data: display names, CITES notes, wildlife or not.

A model may use any subset of these labels. Look-alike labels (``bone``, ``ceramic``) and
``other`` are never wildlife products and always lead to ``allow``. A label a model carries
that is not listed here is treated as declared in the model's own spec (``wildlife_labels``),
so adding a class to a model needs data, not code.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The label of ordinary photos (no wildlife product): false flags are counted on it, the
#: budgets of calibration and packs are shares of it, reviewers' "not wildlife" verdict is it.
ORDINARY_LABEL = "other"


@dataclass(frozen=True)
class ProductClass:
    """One class a model can predict."""

    name: str
    display_name: str
    is_wildlife: bool
    cites_note: str


_CLASSES: tuple[ProductClass, ...] = (
    ProductClass(
        "ivory",
        "Elephant ivory",
        True,
        "Elephantidae: African and Asian elephants are CITES Appendix I (some African "
        "populations Appendix II with an annotation that bars commercial ivory trade).",
    ),
    ProductClass(
        "rhino_horn",
        "Rhinoceros horn",
        True,
        "Rhinocerotidae: CITES Appendix I (two southern white rhino populations Appendix II "
        "for live animals and hunting trophies only).",
    ),
    ProductClass(
        "pangolin_scale",
        "Pangolin scales",
        True,
        "Manis spp.: all eight pangolin species CITES Appendix I since 2017.",
    ),
    ProductClass(
        "tiger_part",
        "Tiger parts (skin, bone, teeth, claws)",
        True,
        "Panthera tigris: CITES Appendix I; commercial trade in parts and derivatives banned.",
    ),
    ProductClass(
        "tortoiseshell",
        "Tortoiseshell (hawksbill turtle)",
        True,
        "Eretmochelys imbricata and other marine turtles (Cheloniidae): CITES Appendix I.",
    ),
    ProductClass(
        "hornbill_casque",
        "Helmeted hornbill casque ('red ivory')",
        True,
        "Rhinoplax vigil: CITES Appendix I.",
    ),
    ProductClass(
        "bone",
        "Bone (look-alike)",
        False,
        "Not a wildlife product in itself; a common ivory look-alike.",
    ),
    ProductClass(
        "ceramic",
        "Ceramic or porcelain (look-alike)",
        False,
        "Not a wildlife product; white porcelain is a common ivory look-alike.",
    ),
    ProductClass(
        ORDINARY_LABEL,
        "Not a wildlife product",
        False,
        "Ordinary goods.",
    ),
)

CLASSES: dict[str, ProductClass] = {c.name: c for c in _CLASSES}
WILDLIFE_LABELS: frozenset[str] = frozenset(c.name for c in _CLASSES if c.is_wildlife)
LOOKALIKE_LABELS: frozenset[str] = frozenset(c.name for c in _CLASSES if not c.is_wildlife)


def get_class(name: str) -> ProductClass:
    """Return the class called ``name``, or raise ``KeyError`` listing the known names."""
    try:
        return CLASSES[name]
    except KeyError:
        known = ", ".join(sorted(CLASSES))
        raise KeyError(
            f"unknown product class {name!r}; known classes are: {known}. "
            "A model may declare a new wildlife class in its spec's wildlife_labels."
        ) from None


def is_wildlife(name: str) -> bool:
    """True if ``name`` is a wildlife product class of the taxonomy."""
    return name in WILDLIFE_LABELS
