"""How `keel report` shows reliability: alerts first, the metrics against their targets,
and the warnings (with the baseline's definition) under the figures."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from keel.protocol import ReliabilityMetric, UsageReport

from .layout import print_rows


def _value(m: ReliabilityMetric) -> str:
    if m.value is None:
        return "-"
    return f"{m.value / 1000:.1f} s" if m.unit == "ms" else f"{m.value:.1%}"


def _target(m: ReliabilityMetric) -> str:
    shown = f"{m.target / 1000:g} s" if m.unit == "ms" else f"{m.target:.0%}"
    return ("< " if m.lower_is_better else "> ") + shown


def print_alerts(usage: UsageReport, console: Console) -> None:
    if not usage.alerts:
        missed = [m for m in usage.metrics if m.met is False]
        # "No alerts" above a table of misses read as a contradiction: say why both hold.
        tail = (f"; {len(missed)} metric(s) miss their target below, without enough samples "
                "or by too little to alert" if missed else "")
        console.print("[green]no alerts[/]: no metric with enough samples reached its warning "
                      f"threshold{tail}")
        return
    for alert in usage.alerts:
        colour = "bold red" if alert.level == "critical" else "yellow"
        console.print(f"[{colour}]{alert.level.upper()}[/] {escape(alert.message)}")
        console.print(f"  fix: {escape(alert.fix)}")


def print_metrics(usage: UsageReport, console: Console) -> None:
    headers = ("metric", "value", "target", "measured over", "target met")
    rows = []
    for m in usage.metrics:
        name = m.title + (f" ({m.key})" if m.key else "")
        over = (f"{m.denominator} recoveries" if m.unit == "ms"
                else f"{m.numerator}/{m.denominator}")
        rows.append((name, _value(m), _target(m), over,
                     "-" if m.met is None else ("yes" if m.met else "no")))
    print_rows(console, "reliability metrics", headers, rows, right=headers[1:])


def print_warnings(usage: UsageReport, console: Console) -> None:
    for warning in usage.warnings:
        console.print(f"[yellow]warning[/] ({warning.code}): {escape(warning.message)}")
    if usage.baseline_definition:
        console.print(f"[dim]{escape(usage.baseline_definition)}[/]")
