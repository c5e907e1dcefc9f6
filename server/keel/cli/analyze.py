"""`keel analyze FILE... [--json] [--select R] [--ignore R] [--fix [--unsafe-fixes]] [--diff]`: the Refactor
Advisor on files, in-process.

A directory stands for the ``*.py`` files below it (hidden directories,
``__pycache__``, ``node_modules``, ``venv`` and ``site-packages`` skipped).

Prints a readable listing (file, line:column, severity, rule, message; line and
column 1-based as editors show them) or, with ``--json``, a JSON array with one
``AnalysisResult`` (camelCase wire shape, 0-based ranges) per analysed file.

``[tool.keel.advisor]`` of the nearest ``pyproject.toml`` applies (rules,
thresholds, and ``exclude`` for the files a directory expands to).
``--select RULE`` (repeatable, or comma-separated; Keel rule ids or ruff codes
such as F401) limits the rules, ``--ignore RULE`` leaves rules out; an unknown rule
is a usage error (exit 2) naming the nearest known one. ``--fix`` applies the rule fixes labelled
*safe* (behaviour preserved) and writes the files; ``--unsafe-fixes`` adds the
others; ``--diff`` prints a unified diff of what ``--fix`` would change and
writes nothing. A summary says what changed.

Exit code: 0 when every file was analysed, whatever it found. With ``--fix``
(like ruff): 0 when no finding of the selected rules remains, 1 when some
remain; with ``--diff``: 1 when a file would change, else 0. A file that
cannot be analysed (missing: ``target.not_found``; undecodable:
``analysis.decode_error``; syntax error: ``analysis.syntax_error``; ...) is
reported on stderr, the other files are still analysed, and the exit code is
``keel.errors.exit_code_for`` of the first such error (2 for these validation
errors).
"""

from __future__ import annotations

import difflib
import io
import json
import time
import tokenize
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from keel.advisor.config import AdvisorConfig
from keel.advisor.engine import analyze_source
from keel.app.advisor_config import excludes, load_module, nearest_config, usage_for
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
    """Files as given; a directory becomes its ``*.py`` files (hidden and vendored dirs, and
    files ``[tool.keel.advisor] exclude`` of the nearest pyproject.toml names, skipped)."""
    out: list[Path] = []
    configs: dict[Path, tuple[Path, AdvisorConfig]] = {}
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        for found in sorted(path.rglob("*.py")):
            parts = found.relative_to(path).parts[:-1]
            if not any(part.startswith(".") or part in _SKIP_DIRS for part in parts) \
                    and not is_excluded(found, configs):
                out.append(found)
    return out


def config_for(path: Path, cache: dict[Path, tuple[Path, AdvisorConfig]] | None = None
               ) -> tuple[Path, AdvisorConfig]:
    """(folder of the nearest pyproject.toml, or the file's folder; its advisor config).

    What of its ``[tool.keel.advisor]`` was ignored is a ``warning:`` on stderr, once per file.
    """
    base, config = nearest_config(path, {} if cache is None else cache)
    if config.problems and config.source not in _WARNED:
        _WARNED.add(config.source)
        for problem in config.problems:
            typer.echo(f"warning: {problem}.", err=True)
    return base, config


_WARNED: set[str | None] = set()  # pyproject.toml files whose ignored keys were said


def is_excluded(path: Path, cache: dict[Path, tuple[Path, AdvisorConfig]]) -> bool:
    base, config = config_for(path, cache)
    return excludes(config, path.resolve().relative_to(base).as_posix())


_PYTHON_SUFFIXES = {".py", ".pyi", ".pyw"}


def analyze_file(path: Path, config: AdvisorConfig | None = None) -> AnalysisResult:
    config = config or config_for(path)[1]
    source = read_source(path)
    started = time.perf_counter()
    try:
        outcome = analyze_source(source, path.resolve().as_uri(), config.thresholds,
                                 config.disabled, load_module, usage_for(path, []))
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


def _rule_set(select: list[str], option: str = "--select") -> set[str]:
    """Keel rule ids of ``select``; an unknown name is a usage error (exit 2) that
    names the nearest known rule, so a typo never reads as "no findings"."""
    from keel.advisor.catalog import RULES
    from keel.advisor.suppress import CODES

    rule_of = {code: rule for rule, codes in CODES.items() for code in codes}
    names = {part.strip() for item in select for part in item.split(",") if part.strip()}
    for name in sorted(names):
        if name not in RULES and name.upper() not in rule_of:
            near = difflib.get_close_matches(name, [*RULES, *rule_of], n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else "; see docs/advisor.md for the rules"
            raise typer.BadParameter(f"unknown rule {name!r}{hint}", param_hint=option)
    return {rule_of.get(name.upper(), name) for name in names}


def _fix_file(path: Path, allowed: set[str], select: set[str], write: bool,
              out: Console) -> tuple[Counter[tuple[str, str]], int]:
    """Apply the fixes to one file (or print their diff); (applied, findings left)."""
    from keel.advisor.fix_all import fix_all  # libcst: only when fixing

    config = config_for(path)[1]
    source = read_source(path)
    uri = path.resolve().as_uri()
    usage = usage_for(path, [])
    result = fix_all(source, uri, allowed, select, config.thresholds, config.disabled, usage,
                     load_module)
    if result.text != source:
        if write:
            path.write_text(result.text, encoding="utf-8", newline="")
        else:
            diff = difflib.unified_diff(source.splitlines(keepends=True),
                                        result.text.splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}")
            out.out("".join(diff), end="", highlight=False)
    left = analyze_source(result.text, uri, config.thresholds, config.disabled,
                          load_module, usage).findings
    return result.applied, sum(1 for f in left if not select or f.rule in select)


def _fix_command(paths: list[Path], allowed: set[str], select: set[str], write: bool) -> None:
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    first_error: KeelError | None = None
    applied: Counter[tuple[str, str]] = Counter()
    changed = left = 0
    for path in paths:
        try:
            done, remaining = _fix_file(path, allowed, select, write, out)
        except KeelError as error:
            first_error = first_error or error
            err.print(f"[red]error[/red]: {escape(str(path))}: {escape(error.message)} "
                      f"[dim]({error.code})[/dim]")
            continue
        applied.update(done)
        changed += bool(done)
        left += remaining
    verb = "Fixed" if write else "Would fix"
    parts = ", ".join(f"{count} {rule} ({safety})" for (rule, safety), count
                      in sorted(applied.items()))
    err.print(f"{verb} {sum(applied.values())} finding(s) in {changed} file(s)"
              f"{': ' + parts if parts else ''}; {left} finding(s) left.")
    if first_error is not None:
        raise typer.Exit(exit_code_for(first_error))
    raise typer.Exit(int(bool(left)) if write else int(bool(changed)))


def analyze_command(
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE...", show_default=False,
        help="Python files to analyse (a folder means its *.py files).")],
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print a JSON array of AnalysisResult (camelCase, 0-based ranges).")] = False,
    select: Annotated[list[str] | None, typer.Option(
        "--select", "--rule", help="Only these rules (Keel ids or ruff codes; repeat or "
        "separate with commas).")] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Leave out these rules (Keel ids or ruff codes; repeat or separate "
        "with commas).")] = None,
    fix: Annotated[bool, typer.Option(
        "--fix", help="Apply the safe rule fixes (behaviour preserved) and write the files.")] = False,
    unsafe_fixes: Annotated[bool, typer.Option(
        "--unsafe-fixes", help="With --fix/--diff: also apply fixes that change behaviour.")] = False,
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the diff --fix would make; write nothing.")] = False,
    workspace: Path = WORKSPACE,
    verbose: bool = VERBOSE,
) -> None:
    """Analyse FILE... with the Refactor Advisor (offline, no server needed).

    Relative paths are taken from the workspace folder. Exit code 0 when every
    file was analysed, whatever it found; 2 when a file could not be. With --fix:
    0 when no finding of the selected rules remains, else 1; with --diff: 1 when
    a file would change.
    """
    show_logs(verbose)
    files = [path if path.is_absolute() else workspace / path for path in files]
    rules = _rule_set(select or [])
    ignored = _rule_set(ignore or [], "--ignore")
    if ignored:
        from keel.advisor.catalog import RULES

        rules = (rules or set(RULES)) - ignored
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        paths = expand(files)
    except KeelError as error:  # e.g. a pyproject.toml with a bad [tool.keel.advisor]
        err.print(f"[red]error[/red]: {escape(error.message)} [dim]({error.code})[/dim]")
        raise typer.Exit(exit_code_for(error)) from None
    if fix or diff:
        allowed = {"safe", "unsafe"} if unsafe_fixes else {"safe"}
        _fix_command(paths, allowed, rules, write=not diff)
    results: list[dict[str, Any]] = []
    first_error: KeelError | None = None
    counts = {"error": 0, "warning": 0, "info": 0}
    analysed = 0
    for path in paths:
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
        if rules:
            result.findings = [f for f in result.findings if f.rule in rules]
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
