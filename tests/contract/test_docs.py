"""The hand-written docs cannot silently drift from the code.

Each check reads the code's own tables (method table, settings model, CLI
registry, bench scripts) and asserts the docs mention every entry.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pydantic import BaseModel

from keel.cli.app import app as cli_app
from keel.protocol.methods import METHODS
from keel.protocol.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"


def _read(name: str) -> str:
    path = DOCS / name
    assert path.exists(), f"docs/{name} is missing"
    return path.read_text(encoding="utf-8")


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """Pydantic models inside an annotation (``X | None``, ``list[X]``, ...)."""
    found: list[type[BaseModel]] = []
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and issubclass(current, BaseModel):
            found.append(current)
        stack.extend(typing.get_args(current))
    return found


def settings_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """Every settings key as dotted camelCase aliases, e.g. ``advisor.thresholds.maxNesting``."""
    keys: list[str] = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        keys.append(key)
        for sub in _models_in(field.annotation):
            keys.extend(settings_keys(sub, key + "."))
    return keys


def cli_commands() -> list[str]:
    """Command names as typed: ``serve``, ``history cleanup``, ``chaos serve``, ..."""
    names: list[str] = []
    for command in cli_app.registered_commands:
        names.append(command.name or command.callback.__name__.replace("_", "-"))
    for group in cli_app.registered_groups:
        names.append(group.name)
        for command in group.typer_instance.registered_commands:
            sub = command.name or command.callback.__name__.replace("_", "-")
            names.append(f"{group.name} {sub}")
    return names


def test_every_method_is_in_protocol_md():
    text = _read("protocol.md")
    missing = [name for name in METHODS if f"`{name}`" not in text]
    assert missing == [], f"docs/protocol.md does not mention: {missing}"


def test_every_settings_key_is_in_configuration_md():
    text = _read("configuration.md")
    keys = settings_keys()
    assert "advisor.thresholds.maxNesting" in keys and "providers.apiKeyEnv" in keys
    # List items may be written with brackets: providers[].models.cheap.
    flat = text.replace("[]", "")
    missing = [key for key in keys if key not in flat]
    assert missing == [], f"docs/configuration.md does not mention settings: {missing}"


def test_every_cli_command_is_documented():
    text = _read("configuration.md") + (REPO / "README.md").read_text(encoding="utf-8")
    commands = cli_commands()
    assert "serve" in commands
    missing = [c for c in commands if f"keel {c}" not in text]
    assert missing == [], f"CLI commands missing from docs/configuration.md and README.md: {missing}"


def test_architecture_invariants_are_greppable():
    lines = [line for line in _read("architecture.md").splitlines()
             if line.startswith("**Architecture Invariant:**")]
    assert len(lines) >= 8, f"only {len(lines)} '**Architecture Invariant:**' lines"


def test_every_bench_script_is_in_performance_md():
    text = _read("performance.md")
    scripts = sorted(p.name for p in (REPO / "bench").glob("*.py"))
    assert scripts, "no bench scripts found"
    missing = [name for name in scripts if name not in text]
    assert missing == [], f"docs/performance.md does not mention: {missing}"


def test_jsonrpc_error_codes_are_in_protocol_md():
    text = _read("protocol.md")
    codes = ["-32601", "-32602", "-32800", "-32801", "-32802", "-32803"]
    missing = [code for code in codes if not re.search(rf"(?<![\d-]){code}(?!\d)", text)]
    assert missing == [], f"docs/protocol.md does not mention JSON-RPC codes: {missing}"


def test_docs_link_the_generated_reference():
    assert "protocol-reference.md" in _read("protocol.md")
