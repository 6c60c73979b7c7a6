"""Moved to ``wildvision.review`` (``wildvision.review.page``); this path re-exports it for
one release."""

from __future__ import annotations

from .review.page import *  # noqa: F403
from .review.page import write_review_report as write_review_report
