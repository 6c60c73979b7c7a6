"""The review page (``wildvision report``): a scan's flagged photos as a dense grid of cards,
with heatmaps, keys and reviewers' verdicts (``page`` writes it, ``cards`` draws a card,
``verdicts`` the verdict buttons, keys and their script ``verdicts.js``, styles ``page.css``)."""

from __future__ import annotations

from .page import write_review_report as write_review_report

__all__ = ["write_review_report"]
