"""`keel analyze FILE... [--json]`: run the Refactor Advisor on files, in-process.

A directory stands for the ``*.py`` files below it (hidden directories,
``__pycache__``, ``node_modules``, ``venv`` and ``site-packages`` skipped).

Prints a readable listing (file, line:column, severity, rule, message; line and
column 1-based as editors show them) or, with ``--json``, a JSON array with one
``AnalysisResult`` (camelCase wire shape, 0-based ranges) per analysed file.

Exit code: 0 when every file was analysed, whatever it found. A file that
cannot be analysed (missing: ``target.not_found``; undecodable:
``analysis.decode_error``; syntax error: ``analysis.syntax_error``; ...) is
reported on stderr, the other files are still analysed, and the exit code is
``keel.errors.exit_code_for`` of the first such error (2 for these validation
errors).
"""

from __future__ import annotations

import io
import json
import time
import tokenize
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from keel.advisor.engine import analyze_source
from keel.errors import EXIT_OK, InvalidInput, KeelError, exit_code_for
from keel.protocol import AnalysisResult

from .common import VERBOSE, WORKSPACE, show_logs
from .help import KeelCommand

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def read_source(path: Path) -> str:
    """The text of a Python file, decoded as Python does (PEP 263 cookie, BOM, UTF-8)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput("No such file.", code="target.not_found") from None
    except IsADirectoryError:
        raise InvalidInput("Is a directory, not a file.", code="target.not_found") from None
    except OSError as err:
        raise InvalidInput(f"Cannot be read ({err.strerror}).", code="target.not_found") from None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as err:
        raise InvalidInput(f"Cannot be decoded as Python source ({err}).",
                           code="analysis.decode_error") from None
    return text.removeprefix("\ufeff")


_SKIP_DIRS = {"__pycache__", "node_modules", "venv", "site-packages"}


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a directory becomes its ``*.py`` files (hidden and vendored dirs skipped)."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        for found in sorted(path.rglob("*.py")):
            parts = found.relative_to(path).parts[:-1]
            if not any(part.startswith(".") or part in _SKIP_DIRS for part in parts):
                out.append(found)
    return out


_PYTHON_SUFFIXES = {".py", ".pyi", ".pyw"}


def analyze_file(path: Path) -> AnalysisResult:
    source = read_source(path)
    started = time.perf_counter()
    try:
        outcome = analyze_source(source, path.resolve().as_uri())
    except InvalidInput as error:
        if error.code == "analysis.syntax_error" and path.suffix.lower() not in _PYTHON_SUFFIXES:
            raise InvalidInput(f"Not a Python file ({path.suffix or 'no'} suffix, and it does "
                               "not parse as Python).", code="analysis.not_python",
                               hint="Give .py files or a folder of them.") from None
        raise
    return AnalysisResult(
        uri=path.resolve().as_uri(),
        findings=outcome.findings,
        metrics=outcome.metrics,
        cached=False,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )


def _print_listing(console: Console, path: Path, result: AnalysisResult) -> None:
    m = result.metrics
    console.print(
        f"[bold]{escape(str(path))}[/bold]  [dim]{m.lines} lines, {m.functions} functions, "
        f"{m.classes} classes, max complexity {m.max_complexity}[/dim]"
    )
    if not result.findings:
        console.print("  [green]no findings[/green]")
    for finding in result.findings:
        start = finding.range.start
        style = _SEVERITY_STYLE.get(finding.severity, "")
        console.print(
            f"  {start.line + 1}:{start.character + 1}  [{style}]{finding.severity}[/{style}]"
            f"  [magenta]{finding.rule}[/magenta]  {escape(finding.message)}"
        )


def analyze_command(
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE...", show_default=False,
        help="Python files to analyse (a folder means its *.py files).")],
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print a JSON array of AnalysisResult (camelCase, 0-based ranges).")] = False,
    workspace: Path = WORKSPACE,
    verbose: bool = VERBOSE,
) -> None:
    """Analyse FILE... with the Refactor Advisor (offline, no server needed).

    Relative paths are taken from the workspace folder. Exit code 0 when every
    file was analysed, whatever it found; 2 when a file could not be.
    """
    show_logs(verbose)
    files = [path if path.is_absolute() else workspace / path for path in files]
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    results: list[dict] = []
    first_error: KeelError | None = None
    counts = {"error": 0, "warning": 0, "info": 0}
    analysed = 0
    for path in expand(files):
        try:
            result = analyze_file(path)
        except KeelError as error:
            first_error = first_error or error
            err.print(f"[red]error[/red]: {escape(str(path))}: {escape(error.message)} "
                      f"[dim]({error.code})[/dim]")
            if error.hint:
                err.print(f"fix: {escape(error.hint)}")
            continue
        analysed += 1
        for finding in result.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        if json_output:
            results.append(result.wire())
        else:
            _print_listing(out, path, result)
    if json_output:
        typer.echo(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        total = sum(counts.values())
        out.print(
            f"\n{analysed} file(s) analysed, {total} finding(s): {counts['error']} error(s), "
            f"{counts['warning']} warning(s), {counts['info']} info."
        )
    raise typer.Exit(EXIT_OK if first_error is None else exit_code_for(first_error))


def register(app: typer.Typer) -> None:
    app.command("analyze", cls=KeelCommand)(analyze_command)
