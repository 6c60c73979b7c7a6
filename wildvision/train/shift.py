"""Moved to ``wildvision.evaluation.shift`` (no torch); this path keeps working."""

from __future__ import annotations

from ..evaluation.shift import cheap_camera as cheap_camera
from ..evaluation.shift import font as font
from ..evaluation.shift import heavy_webp as heavy_webp
from ..evaluation.shift import phone_screenshot as phone_screenshot
from ..evaluation.shift import pixelated as pixelated
from ..evaluation.shift import product_card as product_card
from ..evaluation.shift import random_color as random_color
from ..evaluation.shift import render_shifted as render_shifted
from ..evaluation.shift import shift_effects_for as shift_effects_for
from ..evaluation.shift import stickers as stickers
from ..evaluation.shift import tilted_print as tilted_print
from ..evaluation.shift import warm_vignette as warm_vignette
