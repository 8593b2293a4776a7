"""Render workeradvisor's mermaid charts in headless Chromium and check every series is visible.

One command: ``python benchmarks/chart_render/run.py [--out DIR] [--mermaid PATH/TO/mermaid.min.js]``.
Needs Debian's ``chromium`` (``apt-get install -y chromium``) and mermaid from the npm registry: without
``--mermaid`` it runs ``npm install mermaid@11`` into ``DIR/npm`` once. It draws, with the charts
``report/mermaid.py`` writes, a line chart with one series per palette colour and the decision-matrix
bars, twice: mermaid's ``default`` theme on white and its ``dark`` theme on GitHub's dark background
``#0d1117``. Each screenshot is decoded (stdlib PNG reader below) and every series colour must cover
at least ``MIN_PIXELS`` pixels, while a colour not drawn must cover none (the control that shows the
count can fail). A colour must also keep a contrast of at least 3:1 against white, ``#0d1117`` and
``#333333`` (the chart background mermaid's dark theme paints). As a
second control, the same chart without our palette is rendered: mermaid's own first series colour
is reported with its contrast on white. Exit 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

from workeradvisor.report.mermaid import (
    BACKGROUNDS,
    DARK_BACKGROUND,
    LIGHT_BACKGROUND,
    MIN_CONTRAST,
    PALETTE,
    contrast,
    decision_matrix_chart,
    xychart,
)

MIN_PIXELS = 40
TOLERANCE = 6  # per channel: anti-aliasing aside, mermaid fills and strokes with the exact colour
MERMAID_DEFAULT_FIRST = "#ececff"  # mermaid's default xychart plotColorPalette starts here


def read_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, width = 8, b"", 0
    height = depth = colour = interlace = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(ftype, line, prev, bpp)
        rows.append(bytes(line) if bpp == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
        prev = line
    return width, height, rows


def _unfilter(ftype: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    if ftype == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif ftype == 2:
        for i in range(len(line)):
            line[i] = (line[i] + prev[i]) & 0xFF
    elif ftype == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif ftype == 4:
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF


def count_colour(rows: list[bytes], hex_colour: str, tolerance: int = TOLERANCE) -> int:
    """Pixels within ``tolerance`` per channel of ``hex_colour``."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    n = 0
    for row in rows:
        for i in range(0, len(row), 3):
            if abs(row[i] - r) <= tolerance and abs(row[i + 1] - g) <= tolerance and abs(row[i + 2] - b) <= tolerance:
                n += 1
    return n


def _sources(markdown: str) -> list[str]:
    return [part.split("```", 1)[0] for part in markdown.split("```mermaid\n")[1:]]


def charts(series: int) -> list[tuple[str, list[str]]]:
    """(mermaid source, colours it must draw): a ``series``-line ladder chart, then the decision-matrix bars."""
    hexes = [h for _, h, _ in PALETTE]
    xs = [10, 20, 40, 80]
    lines = [(f"{w + 1} worker{'s' if w else ''}", [(w + 1) * 40 + c * (w + 2) for c in xs]) for w in range(series)]
    ladder = _sources(xychart("Throughput vs CCU", "CCU", xs, "RPS", lines))
    rps, p99 = _sources(decision_matrix_chart([1, 2, 4], [1200.0, 2100.0, 2400.0], [45.0, 30.0, 33.0], ccu=40))
    return [(ladder[0], hexes[:series]), (rps, hexes[:1]), (p99, hexes[1:2])]


CHART_HEIGHT = 560  # px of page per chart: screenshot rows [i * CHART_HEIGHT, (i + 1) * CHART_HEIGHT) are chart i


def page(sources: list[str], mermaid_js: Path, theme: str, background: str) -> str:
    body = "\n".join(f'<div style="width:900px;height:{CHART_HEIGHT}px;overflow:hidden;margin:0;padding:0">'
                     f'<pre class="mermaid" style="margin:0">{html.escape(s, quote=False)}</pre></div>'
                     for s in sources)
    return f"""<!doctype html><html><head><meta charset="utf-8"></head>
<body style="background:{background};margin:0">{body}
<script src="{mermaid_js.as_uri()}"></script>
<script>mermaid.initialize({{startOnLoad: false, theme: {json.dumps(theme)}}});
mermaid.run().then(() => {{ document.title = "rendered"; }});</script></body></html>"""


def screenshot(html: Path, png: Path, height: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("chromium not found: apt-get install -y chromium")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--force-device-scale-factor=1", f"--window-size=940,{height}", "--virtual-time-budget=15000",
                    f"--screenshot={png}", html.as_uri()], check=True, capture_output=True, timeout=120)


def find_mermaid(out: Path, given: str | None) -> Path:
    if given:
        return Path(given).resolve()
    js = out / "npm" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if not js.is_file():
        (out / "npm").mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(out / "npm"), "--no-audit", "--no-fund", "mermaid@11"],
                       check=True, capture_output=True, timeout=600)
    return js


def check(rows: list[bytes], drawn: list[str], absent: list[str], label: str) -> list[str]:
    failures = []
    for hex_ in drawn:
        n = count_colour(rows, hex_)
        print(f"  {label}: {hex_} {n} px")
        if n < MIN_PIXELS:
            failures.append(f"{label}: series colour {hex_} covers only {n} px")
    for hex_ in absent:
        n = count_colour(rows, hex_)
        print(f"  {label}: {hex_} (not drawn) {n} px")
        if n:
            failures.append(f"{label}: colour {hex_} is not drawn but covers {n} px: the detector is not selective")
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/.cache/chart_render")
    ap.add_argument("--mermaid", help="path to mermaid.min.js (default: npm install into OUT/npm)")
    ap.add_argument("--series", type=int, default=len(PALETTE) - 1, help="lines in the ladder chart")
    args = ap.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    js = find_mermaid(out, args.mermaid)
    hexes = [h for _, h, _ in PALETTE]
    failures = []
    for name, hex_ in zip([n for n, _, _ in PALETTE], hexes, strict=True):
        ratios = {bg: contrast(hex_, bg) for bg in BACKGROUNDS}
        print(f"{name:7} {hex_}: contrast " + ", ".join(f"{r:.2f} on {bg}" for bg, r in ratios.items()))
        if min(ratios.values()) < MIN_CONTRAST:
            failures.append(f"{hex_} contrast {min(ratios.values()):.2f} < {MIN_CONTRAST}")
    plan = charts(args.series)
    sources = [src for src, _ in plan]
    for theme, background in (("default", LIGHT_BACKGROUND), ("dark", DARK_BACKGROUND)):
        doc, png = out / f"charts-{theme}.html", out / f"charts-{theme}.png"
        doc.write_text(page(sources, js, theme, background), encoding="utf-8")
        screenshot(doc, png, CHART_HEIGHT * len(plan))
        width, height, rows = read_png(png)
        print(f"{png} ({width}x{height}, mermaid theme {theme!r} on {background})")
        for i, (src, drawn) in enumerate(plan):
            title = src.split('title "', 1)[1].split('"', 1)[0]
            region = rows[i * CHART_HEIGHT:(i + 1) * CHART_HEIGHT]
            failures += check(region, drawn, [h for h in hexes if h not in drawn], f"{theme} / {title}")
    control_html, control_png = out / "control-default-palette.html", out / "control-default-palette.png"
    control_html.write_text(page([s.split("\n", 1)[1] for s in sources[:1]], js, "default", LIGHT_BACKGROUND),
                            encoding="utf-8")
    screenshot(control_html, control_png, CHART_HEIGHT)
    _, _, rows = read_png(control_png)
    n = count_colour(rows, MERMAID_DEFAULT_FIRST, 2)
    print(f"control, mermaid's own palette: first series {MERMAID_DEFAULT_FIRST} covers {n} px, contrast "
          f"{contrast(MERMAID_DEFAULT_FIRST, LIGHT_BACKGROUND):.2f} on white")
    for f in failures:
        print("FAIL:", f)
    print("all series visible" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
