"""Tables that fit the terminal without cutting what a reader copies.

rich shrinks a table to the terminal by wrapping or cropping its cells; a run id
split over two lines cannot be copied and a model name cut with "…" is a
different name. So: a table when every column fits whole; otherwise a list, one
entry per row, whose first line holds the columns that must stay whole (ids,
model names, ``file:line``) and whose next line the rest, as ``name value`` pairs
that wrap between words. rich has no such layout switch of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text


def table_width(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    """The width a default rich table needs to show every cell on one line."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    return sum(widths) + 3 * len(headers) + 1  # a space each side of a cell, a border each


def print_rows(console: Console, title: str, headers: Sequence[str],
               rows: Sequence[Sequence[str]], keep: int = 1,
               right: Sequence[str] = ()) -> None:
    """``rows`` of plain text (no markup); the first ``keep`` columns are never cut."""
    if table_width(headers, rows) <= console.width:
        table = Table(title=title)
        for header in headers:
            table.add_column(header, no_wrap=True, justify="right" if header in right else "left")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print(table)
        return
    console.print(Text(title, style="italic"))
    for row in rows:
        console.print(Text("  ".join(row[:keep]), style="bold"), soft_wrap=True, overflow="ignore",
                      crop=False)
        rest = " · ".join(f"{h} {c}" for h, c in zip(headers[keep:], row[keep:], strict=True) if c)
        if rest:
            console.print(Padding(Text(rest), (0, 0, 0, 2)))  # wrapped lines stay indented


def local_time(iso: str | None) -> str:
    """An ISO timestamp as local time, to the minute ("2026-03-10 19:04"); as given if odd."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
