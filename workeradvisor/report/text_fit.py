"""Tables and paragraphs that fit the terminal: words are never split, low-priority columns go first.

rich shrinks a too-wide table by wrapping and then ellipsing cells, which at 80 columns turns
``4,123`` into ``4,…`` and ``stage`` into ``st…``. Here every column gets a width we compute:
never below its longest word (a number, a path, a header word), so rich only ever wraps at
spaces; when even those minimums do not fit, the columns with the lowest priority are dropped
and the report says which, so nothing disappears silently (``--format json`` has everything).
"""

from __future__ import annotations

import os
import sys
import textwrap
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

DEFAULT_FILE_WIDTH = 120  # a report written to a pipe or a file: wide enough for every table, stable for diffs
Cell = str | Text


@dataclass(frozen=True)
class Col:
    """One column: ``priority`` 0 is never dropped; higher numbers are dropped first at narrow widths."""

    header: str
    priority: int = 0
    justify: Literal["left", "right"] = "left"
    wrap: bool = True  # False: cells stay on one line (numbers); the header may still wrap at spaces
    omit_empty: bool = False  # left out when every cell is "-" (figures the source never measures)


def terminal_width() -> int | None:
    """``COLUMNS`` when set, else the terminal's width when stdout is one; None for a pipe or a file."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if sys.stdout.isatty():
            return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError, AttributeError):  # a replaced or closed stdout
        pass
    return None


def report_width(default_width: int = DEFAULT_FILE_WIDTH) -> int:
    """The width a text report is laid out for: the terminal's (or ``COLUMNS``), else
    ``default_width`` (a pipe or a file: wide, and stable for diffs)."""
    return terminal_width() or default_width


def hanging(label: str, text: str, width: int | None) -> list[str]:
    """``label text`` wrapped at spaces to ``width`` with continuation lines under the text; one
    line when ``width`` is None. Long words (paths, dotted names) are never broken."""
    if width is None:
        return [f"{label}{text}"]
    return textwrap.wrap(text, max(width - len(label), 20), initial_indent=label,
                         subsequent_indent=" " * len(label), break_long_words=False,
                         break_on_hyphens=False) or [label.rstrip()]


def report_console(default_width: int = DEFAULT_FILE_WIDTH) -> Console:
    """A recording console for one report: plain text (no colour) at ``report_width()``."""
    return Console(width=report_width(default_width), record=True, force_terminal=False)


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else Text.from_markup(cell).plain


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _bounds(col: Col, cells: list[str]) -> tuple[int, int, int]:
    """(minimum, unwrapped, natural) content width: the longest unbreakable piece; the widest cell
    line with the header wrapped at its spaces; the widest line of all."""
    natural = max([_longest_line(col.header), *(_longest_line(c) for c in cells)])
    pieces = [_longest_word(c) for c in cells] if col.wrap else [_longest_line(c) for c in cells]
    header_word = _longest_word(col.header)
    minimum = max([header_word, *pieces, 1])
    unwrapped = max([header_word, *(_longest_line(c) for c in cells), minimum])
    return minimum, unwrapped, max(natural, unwrapped)


def _empty(plain: list[list[str]], i: int) -> bool:
    return all(row[i] in ("", "-") for row in plain)


def overhead(n_columns: int) -> int:
    """Border and padding of a rich box table: one space either side of a cell, n + 1 rules."""
    return 3 * n_columns + 1


def fit_widths(cols: list[Col], rows: list[list[Cell]], width: int) -> tuple[list[int], list[int]]:
    """(kept column indexes, their content widths) for a table at most ``width`` wide.

    Leaves out empty ``omit_empty`` columns; drops the highest-numbered priority (rightmost first
    on ties) until the minimums fit; then narrows the widest columns, wrapping headers before
    cells, until the table fits."""
    plain = [[_plain(c) for c in row] for row in rows]
    bounds = [_bounds(col, [row[i] for row in plain]) for i, col in enumerate(cols)]
    kept = [i for i, col in enumerate(cols) if not (col.omit_empty and _empty(plain, i))]
    while sum(bounds[i][0] for i in kept) + overhead(len(kept)) > width:
        droppable = [i for i in kept if cols[i].priority > 0]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda i: (cols[i].priority, i)))
    widths = [bounds[i][2] for i in kept]
    excess = sum(widths) + overhead(len(kept)) - width
    # wrap headers first, then cells at spaces; on a terminal too narrow even for that, fold the
    # prose columns and keep the numbers whole
    floors = [[b[1] for b in bounds], [b[0] for b in bounds],
              [4 if col.wrap else b[0] for col, b in zip(cols, bounds, strict=True)]]
    for floor in floors:
        while excess > 0:
            above = [k for k, i in enumerate(kept) if widths[k] > floor[i]]
            if not above:
                break
            widths[max(above, key=lambda k: widths[k])] -= 1
            excess -= 1
    return kept, widths


def fitted_table(cols: list[Col], rows: list[list[Cell]], width: int,
                 row_styles: list[str | None] | None = None) -> tuple[Table, list[str]]:
    """A table no wider than ``width`` (when its minimums allow) and the headers it left out."""
    kept, widths = fit_widths(cols, rows, width)
    table = Table()
    for i, w in zip(kept, widths, strict=True):
        table.add_column(cols[i].header, justify=cols[i].justify, width=w, overflow="fold")
    styles = row_styles or [None] * len(rows)
    for row, style in zip(rows, styles, strict=True):
        table.add_row(*(row[i] for i in kept), style=style)
    plain = [[_plain(c) for c in row] for row in rows]
    dropped = [col.header for i, col in enumerate(cols) if i not in kept and not (col.omit_empty and _empty(plain, i))]
    return table, dropped


def print_table(console: Console, title: str, cols: list[Col], rows: list[list[Cell]],
                row_styles: list[str | None] | None = None) -> None:
    """Title as a wrapped paragraph (a rich table title is only as wide as the table), the fitted
    table, then which columns did not fit."""
    table, dropped = fitted_table(cols, rows, console.width, row_styles)
    if title:
        console.print(Text(title, style="italic"), highlight=False)
    console.print(table)
    if dropped:
        console.print(Text(f"(not shown at {console.width} columns: {', '.join(dropped)}; "
                           "widen the terminal or use --format json)", style="dim"))


def labelled(console: Console, label: str | Text, text: Text) -> None:
    """``label text`` with the text wrapped at word boundaries and hanging under itself, so a long
    note reads as one block (rich's own wrapping; a word longer than the line is the only fold)."""
    head = label if isinstance(label, Text) else Text(label)
    indent = head.cell_len + 1
    lines = text.wrap(console, max(console.width - indent, 20), overflow="fold")
    for n, line in enumerate(lines):
        line.rstrip()
        console.print(Text.assemble(head if n == 0 else " " * indent, " " if n == 0 else "", line),
                      highlight=False, soft_wrap=True)
