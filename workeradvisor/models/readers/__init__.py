"""The one reader per JSON document kind, next to the models they build.

Used by ``advise``, ``check``, ``profile`` (scan findings to confirm) and ``report`` (saved
analyses); no other module parses these documents back.
"""

from workeradvisor.models.readers.analysis import (
    analysis_from_dict,
    capacity_from_dict,
    environment_from_dict,
    recommendation_from_dict,
)
from workeradvisor.models.readers.results import load_from_dict, profile_from_dict, scan_from_dict

__all__ = [
    "analysis_from_dict",
    "capacity_from_dict",
    "environment_from_dict",
    "load_from_dict",
    "profile_from_dict",
    "recommendation_from_dict",
    "scan_from_dict",
]
