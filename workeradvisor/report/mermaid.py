"""Mermaid ``xychart-beta`` blocks for markdown reports (load ladders here, worker comparisons in analyze).

xychart-beta draws lines and bars but has no legend, so ``xychart`` returns the fenced block
followed by a one-line legend naming each series in drawing order.
"""

from __future__ import annotations

from collections.abc import Sequence

Number = float | int


def _label(text: object) -> str:
    return '"' + str(text).replace('"', "'") + '"'


def _num(value: Number) -> str:
    return f"{float(value):.6g}"


def xychart(
    title: str,
    x_label: str,
    x_values: Sequence[object],
    y_label: str,
    series: Sequence[tuple[str, Sequence[Number | None]]],
    *,
    kind: str = "line",
) -> str:
    """A fenced mermaid chart with one ``line`` (or ``bar``) per series over categorical x values.

    A series may be shorter than ``x_values`` or end in ``None`` (a ladder that stopped early):
    its tail is left out. ``None`` before the last value is not drawable and raises ValueError.
    """
    if kind not in ("line", "bar"):
        raise ValueError("kind must be 'line' or 'bar'")
    if not x_values or not series:
        raise ValueError("a chart needs x values and at least one series")
    values = [v for _, data in series for v in data if v is not None]
    top = max(values, default=1.0)
    lines = [
        "```mermaid",
        "xychart-beta",
        f"    title {_label(title)}",
        f"    x-axis {_label(x_label)} [{', '.join(_label(x) for x in x_values)}]",
        f"    y-axis {_label(y_label)} 0 --> {_num(top * 1.1 if top > 0 else 1)}",
    ]
    for name, data in series:
        data = list(data)[: len(x_values)]
        while data and data[-1] is None:
            data.pop()
        if any(v is None for v in data):
            raise ValueError(f"series {name!r} has a gap; xychart-beta cannot draw it")
        if data:
            lines.append(f"    {kind} [{', '.join(_num(v) for v in data)}]")  # type: ignore[arg-type]
    lines.append("```")
    if len(series) > 1:
        lines.append("")
        lines.append("Series, in drawing order: " + "; ".join(f"{i + 1}. {n}" for i, (n, _) in enumerate(series)))
    return "\n".join(lines) + "\n"
