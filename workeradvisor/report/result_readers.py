"""Kept for callers of the old location: the readers live next to their models (``models/readers.py``)."""

from workeradvisor.models.readers import load_from_dict, profile_from_dict, scan_from_dict

__all__ = ["load_from_dict", "profile_from_dict", "scan_from_dict"]
