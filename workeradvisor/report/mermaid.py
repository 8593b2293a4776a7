"""Mermaid ``xychart-beta`` blocks for markdown reports (load ladders, worker comparisons, decision matrix).

Mermaid's default xychart palette starts with ``#ECECFF``, nearly invisible on white, and
xychart-beta has no legend. So every block here carries a fixed ``plotColorPalette`` whose colours
all keep a contrast of at least 3:1 (WCAG's figure for graphics) against white, GitHub's dark page
``#0d1117`` and the ``#333333`` mermaid's dark theme paints behind the chart (``tests/test_mermaid.py``
checks the arithmetic, ``benchmarks/chart_render/run.py`` the pixels in headless Chromium), and is
followed by a legend line naming each series with its colour.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

Number = float | int

# (name, hex, legend square), in drawing order. Each keeps >= 3:1 against all of BACKGROUNDS, so
# luminance sits in a narrow mid band: no near-white and no near-black series. No grey either: it
# reads as an axis and cannot be told from anti-aliased text in a screenshot.
PALETTE: tuple[tuple[str, str, str], ...] = (
    ("blue", "#3b82f6", "🟦"),
    ("orange", "#ea580c", "🟧"),
    ("green", "#16a34a", "🟩"),
    ("purple", "#a855f7", "🟪"),
    ("pink", "#ec4899", ""),
    ("cyan", "#0891b2", ""),
    ("ochre", "#b7791f", ""),
    ("red", "#ef4444", "🟥"),
)
LIGHT_BACKGROUND = "#ffffff"
DARK_BACKGROUND = "#0d1117"  # GitHub's dark page
MERMAID_DARK_CHART = "#333333"  # what mermaid's dark theme paints behind an xychart
BACKGROUNDS = (LIGHT_BACKGROUND, DARK_BACKGROUND, MERMAID_DARK_CHART)
MIN_CONTRAST = 3.0  # WCAG 2.1 SC 1.4.11, non-text contrast of graphical objects


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    h = hex_colour.lstrip("#")

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(h[i:i + 2], 16) / 255) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two ``#rrggbb`` colours (1 to 21)."""
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def colours(n: int, offset: int = 0) -> list[tuple[str, str, str]]:
    """The palette entries for ``n`` series starting at ``offset`` (cycling past the end)."""
    return [PALETTE[(offset + i) % len(PALETTE)] for i in range(n)]


def init_directive(n: int, offset: int = 0) -> str:
    """The ``%%{init}%%`` line fixing the colours of ``n`` plots in drawing order."""
    palette = ", ".join(hex_ for _, hex_, _ in colours(n, offset))
    return "%%{init: " + json.dumps({"themeVariables": {"xyChart": {"plotColorPalette": palette}}}) + "}%%"


def legend(names: Sequence[str], offset: int = 0) -> str:
    """One markdown line naming each series with its colour, in drawing order."""
    parts = [f"{sq + ' ' if sq else ''}{name} ({colour} {hex_})"
             for name, (colour, hex_, sq) in zip(names, colours(len(names), offset), strict=True)]
    return "Legend: " + "; ".join(parts)


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
    palette_offset: int = 0,
) -> str:
    """A fenced mermaid chart with one ``line`` (or ``bar``) per series over categorical x values.

    A series may be shorter than ``x_values`` or end in ``None`` (a ladder that stopped early):
    its tail is left out. ``None`` before the last value is not drawable and raises ValueError.
    A series with no value at all is left out of the chart and the legend.
    """
    if kind not in ("line", "bar"):
        raise ValueError("kind must be 'line' or 'bar'")
    if not x_values or not series:
        raise ValueError("a chart needs x values and at least one series")
    plots: list[tuple[str, list[Number]]] = []
    for name, data in series:
        values = list(data)[: len(x_values)]
        while values and values[-1] is None:
            values.pop()
        if any(v is None for v in values):
            raise ValueError(f"series {name!r} has a gap; xychart-beta cannot draw it")
        if values:
            plots.append((name, [v for v in values if v is not None]))
    if not plots:
        raise ValueError("no series has a value to draw")
    top = max(v for _, data in plots for v in data)
    lines = [
        "```mermaid",
        init_directive(len(plots), palette_offset),
        "xychart-beta",
        f"    title {_label(title)}",
        f"    x-axis {_label(x_label)} [{', '.join(_label(x) for x in x_values)}]",
        f"    y-axis {_label(y_label)} 0 --> {_num(top * 1.1 if top > 0 else 1)}",
    ]
    lines += [f"    {kind} [{', '.join(_num(v) for v in data)}]" for _, data in plots]
    lines += ["```", "", legend([n for n, _ in plots], palette_offset)]
    return "\n".join(lines) + "\n"


def decision_matrix_chart(workers: Sequence[int], rps: Sequence[Number], p99_ms: Sequence[Number | None],
                          ccu: int | None = None) -> str:
    """RPS and p99 by worker count (the decision matrix as bars): two charts, one y-axis each.

    xychart-beta has a single y-axis, so throughput and latency are drawn side by side rather than
    on one plot with two scales. Returns ``""`` for fewer than two worker counts; the p99 chart is
    left out (with a line saying so) when any p99 is unknown.
    """
    if len(workers) < 2 or not len(workers) == len(rps) == len(p99_ms):
        return ""
    where = f" at CCU {ccu}" if ccu is not None else " (peak)"
    xs = [f"{w} worker{'s' if w != 1 else ''}" for w in workers]
    out = [xychart(f"Decision matrix: RPS by worker count{where}", "workers", xs, "requests/s",
                   [("RPS", list(rps))], kind="bar")]
    if all(p is not None for p in p99_ms):
        out.append(xychart(f"Decision matrix: p99 by worker count{where}", "workers", xs, "p99 (ms)",
                           [("p99 ms", list(p99_ms))], kind="bar", palette_offset=1))
    else:
        out.append("_p99 chart left out: the load tool did not report p99 for every worker count._\n")
    return "\n".join(out)
