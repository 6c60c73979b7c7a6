"""The taxonomy: which product classes are wildlife, with names and CITES notes."""

from __future__ import annotations

import dataclasses

import pytest

from wildvision.taxonomy import (
    CLASSES,
    LOOKALIKE_LABELS,
    WILDLIFE_LABELS,
    ProductClass,
    get_class,
    is_wildlife,
)

WILDLIFE = (
    "ivory",
    "rhino_horn",
    "pangolin_scale",
    "tiger_part",
    "tortoiseshell",
    "hornbill_casque",
)
NOT_WILDLIFE = ("bone", "ceramic", "other")


def test_the_taxonomy_holds_exactly_the_nine_classes():
    assert set(CLASSES) == set(WILDLIFE) | set(NOT_WILDLIFE)
    assert frozenset(WILDLIFE) == WILDLIFE_LABELS
    assert frozenset(NOT_WILDLIFE) == LOOKALIKE_LABELS
    assert not WILDLIFE_LABELS & LOOKALIKE_LABELS


@pytest.mark.parametrize("name", WILDLIFE)
def test_wildlife_classes_have_display_names_and_cites_notes(name):
    product = get_class(name)
    assert isinstance(product, ProductClass)
    assert product.name == name
    assert product.is_wildlife is True
    assert is_wildlife(name) is True
    assert product.display_name.strip()
    assert product.display_name != name
    assert "CITES Appendix" in product.cites_note


@pytest.mark.parametrize("name", NOT_WILDLIFE)
def test_lookalikes_and_other_are_not_wildlife(name):
    product = get_class(name)
    assert product.name == name
    assert product.is_wildlife is False
    assert is_wildlife(name) is False
    assert product.display_name.strip()
    assert product.cites_note.strip()


def test_is_wildlife_is_false_for_names_outside_the_taxonomy():
    assert is_wildlife("unicorn_horn") is False
    assert is_wildlife("") is False
    assert is_wildlife("Ivory") is False  # names are case-sensitive


def test_get_class_on_an_unknown_name_raises_key_error_naming_the_known_classes():
    with pytest.raises(KeyError) as exc:
        get_class("unicorn_horn")
    message = exc.value.args[0]
    assert "unicorn_horn" in message
    for name in WILDLIFE + NOT_WILDLIFE:
        assert name in message


def test_product_classes_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_class("ivory").is_wildlife = False  # type: ignore[misc]
