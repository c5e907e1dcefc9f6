"""Help that reads like help: no type placeholders, arguments named as the docstring names them.

typer prints a type column (``<bool>``, ``<str>``, ``<path>``, ``list[Path]``)
and wraps required arguments in braces. Keel's commands use these classes
instead: a flag shows nothing after its name, a value option shows its
metavar (``FILE``, ``DIR``, ``N``; else its name in capitals), and the usage
line reads ``keel run [OPTIONS] WORKFLOW TARGET``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

P = TypeVar("P")


class _UntypedArgument(TyperArgument):
    """An argument whose metavar already says it repeats ("FILE..."): no type after it."""

    def display_type_rich(self, ctx: object) -> str | None:
        return None


def _tidy(params: list[P]) -> list[P]:
    for param in params:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = "" if (param.is_flag or param.count) else _upper_name(param)
        elif isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = _upper_name(param)
            _drop_type(param)
    return params


def _drop_type(argument: TyperArgument) -> None:
    # typer builds the parameter objects itself: only their class can still change.
    argument.__class__ = _UntypedArgument


def _upper_name(param: TyperArgument | TyperOption) -> str:
    return (param.name or "").upper()


def _usage(params: Iterable[object]) -> list[str]:
    pieces: list[str] = []
    for param in params:
        if isinstance(param, TyperArgument):
            name = param.metavar or _upper_name(param)
            if param.nargs != 1 and not name.endswith("..."):
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class KeelCommand(TyperCommand):
    def get_params(self, ctx):  # noqa: D102
        return _tidy(super().get_params(ctx))

    def collect_usage_pieces(self, ctx) -> list[str]:  # noqa: D102
        return [self.options_metavar or "[OPTIONS]", *_usage(self.get_params(ctx))]


class KeelGroup(TyperGroup):
    def get_params(self, ctx):  # noqa: D102
        return _tidy(super().get_params(ctx))
