"""The heaviest operation of the mix, when it dominates the loop's CPU, drives the workload type.

Why: the whole-window request CPU ratio averages every operation by its latency. In a mix where
one POST burns 80% of the loop's CPU and five cheap GETs wait on I/O, that average can read "mixed"
or even "I/O-bound" while the operation that decides whether the loop keeps up is CPU-bound. When
one operation's share of the loop's CPU (at the mix's weights, from the per-operation 1-CCU
breakdown) reaches ``dominant_operation_share`` (rules/decision.yaml), the request CPU ratio the
tree reads becomes that operation's own (its loop CPU per request over its latency), the I/O ratio
follows, the whole mix's ratio is kept as ``mix_request_cpu_ratio`` (None when no operation
dominates: then it is ``request_cpu_ratio``), and the report says so.
Capacity (``cpu_s_per_request``) stays the mix's: that is what the worker pays per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from workeradvisor.models.profile import OperationProfile, loop_cpu_shares

DEFAULT_SHARE = 0.6  # when a replaced tree has no ``dominant_operation_share`` threshold


@dataclass(frozen=True)
class Dominance:
    name: str
    share: float  # of the loop's CPU at the mix's weights, 0..1
    ratio: float  # the operation's own request CPU ratio, 0..1
    mix_ratio: float | None  # the whole mix's, as the profile measured it

    def sentence(self) -> str:
        mix = f" (the whole mix's: {self.mix_ratio:.2f})" if self.mix_ratio is not None else ""
        return (f"{self.name} dominates ({self.share:.0%} of the loop's CPU): its request CPU ratio "
                f"{self.ratio:.2f} drives the decision{mix}")


def dominant_operation(ops: tuple[OperationProfile, ...], threshold: float,
                       mix_ratio: float | None) -> Dominance | None:
    """The operation whose share of the loop's CPU is at least ``threshold``; None with fewer than two
    operations, none that heavy, or no latency to divide by."""
    if len(ops) < 2:
        return None
    shares = loop_cpu_shares(ops)
    top = max(ops, key=lambda o: shares[o.name])
    if shares[top.name] < threshold or top.mean_latency_ms <= 0 or top.requests <= 0:
        return None
    ratio = top.request_cpu_ratio  # measured like the mix's: run-queue wait counts as CPU demand
    if ratio is None:  # an analysis saved before operations carried it: loop CPU over latency
        ratio = top.loop_cpu_s_per_request / (top.mean_latency_ms / 1000.0)
    ratio = min(1.0, max(0.0, ratio))
    return Dominance(top.name, shares[top.name], ratio, mix_ratio)


def apply_dominance(metrics: dict[str, float | None], dom: Dominance | None) -> None:
    """Point the tree's request CPU ratio (and the I/O ratio derived from it) at the dominant operation."""
    metrics["mix_request_cpu_ratio"] = metrics.get("request_cpu_ratio") if dom is not None else None
    metrics["dominant_operation_loop_share"] = dom.share if dom is not None else None
    if dom is None:
        return
    mix, io = metrics.get("request_cpu_ratio"), metrics.get("io_ratio")
    blocked = max(0.0, 1.0 - mix - io) if mix is not None and io is not None else 0.0  # what metrics took off
    metrics["request_cpu_ratio"] = dom.ratio
    metrics["io_ratio"] = max(0.0, 1.0 - dom.ratio - blocked)
