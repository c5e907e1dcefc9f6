"""Help that reads like help: no type placeholders, arguments named as the docstring names them.

typer prints a type column (``<bool>``, ``<str>``, ``<path>``, ``list[Path]``)
and wraps required arguments in braces. Keel's commands use these classes
instead: a flag shows nothing after its name, a value option shows its
metavar (``FILE``, ``DIR``, ``N``; else its name in capitals), and the usage
line reads ``keel run [OPTIONS] WORKFLOW TARGET``.
"""

from __future__ import annotations

from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption


def _tidy(params: list) -> list:
    for param in params:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = "" if (param.is_flag or param.count) else param.name.upper()
        elif isinstance(param, TyperArgument):
            if param.metavar is None:
                param.metavar = param.name.upper()
            # An argument's metavar already says it repeats ("FILE..."): no type after it.
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
    return params


def _usage(params: list) -> list[str]:
    pieces = []
    for param in params:
        if isinstance(param, TyperArgument):
            name = param.metavar
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
