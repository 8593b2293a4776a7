"""Combine profile results from separate windows (an idle profile and a profiled run) into one."""

from __future__ import annotations

from workeradvisor.models.profile import CallSite, ProfileResult


def _sites(groups: list[tuple[CallSite, ...]]) -> tuple[CallSite, ...]:
    seen: dict[tuple[str, int], CallSite] = {}
    for sites in groups:
        for c in sites:
            key = (c.path, c.line)
            if key not in seen or c.share > seen[key].share:
                seen[key] = c
    return tuple(sorted(seen.values(), key=lambda c: -c.share))


def merge_profiles(profiles: list[ProfileResult]) -> ProfileResult | None:
    """Per-request figures and workers from the first run that has them, idle from the first idle
    window, call sites from all (highest share per site)."""
    if not profiles:
        return None
    if len(profiles) == 1:
        return profiles[0]
    with_requests = next((p for p in profiles if p.per_request is not None), profiles[0])
    idle = next((p.idle for p in profiles if p.idle is not None), None)
    return ProfileResult(
        target=with_requests.target,
        workers=with_requests.workers or next((p.workers for p in profiles if p.workers), ()),
        per_request=with_requests.per_request,
        idle=idle,
        top_blocking=_sites([p.top_blocking for p in profiles]),
        top_cpu=_sites([p.top_cpu for p in profiles]),
        partial=any(p.partial for p in profiles),
        notes=tuple(n for p in profiles for n in p.notes),
    )
