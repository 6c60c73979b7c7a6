"""Moved to ``wildvision.pack_file`` (beside the classifier that reads it; numpy only); this
path re-exports it for one release. ``wildvision.packs`` holds the building side."""

from ..pack_file import DEFAULT_CITES_NOTE as DEFAULT_CITES_NOTE
from ..pack_file import LABEL_PATTERN as LABEL_PATTERN
from ..pack_file import PACK_FORMAT as PACK_FORMAT
from ..pack_file import PACK_FORMAT_VERSION as PACK_FORMAT_VERSION
from ..pack_file import PACK_SUFFIX as PACK_SUFFIX
from ..pack_file import Pack as Pack
from ..pack_file import check_label as check_label
from ..pack_file import check_packs_fit as check_packs_fit
from ..pack_file import load_pack as load_pack
from ..pack_file import logistic_scores as logistic_scores
