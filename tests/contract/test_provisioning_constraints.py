"""The constraints file the .vsix ships (extension/scripts/constraints.py, run by package.mjs):
every runtime dependency of keel[security] pinned to the build's version, no provider SDKs."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "extension" / "scripts" / "constraints.py"


def _constraints(wheel: Path, extras: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(SCRIPT), "--wheel", str(wheel), "--extras", extras, "--out", str(out)],
        capture_output=True, text=True, cwd=out.parent, check=False)


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not a pin: {line!r}"
            pins[name] = version
    return pins


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-I", "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--disable-pip-version-check", str(REPO), "-w", str(out)],
                   check=True, capture_output=True, cwd=out)
    (built,) = out.glob("keel-*.whl")
    return built


def test_every_runtime_dependency_is_pinned_to_the_build_environment(wheel: Path, tmp_path: Path) -> None:
    out = tmp_path / "constraints.txt"
    result = _constraints(wheel, "security", out)
    assert result.returncode == 0, result.stderr
    pins = _pins(out.read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    direct = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["security"]]
    for requirement in direct:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} vs {requirement}"
    for name, version in pins.items():
        assert metadata.version(name) == version, f"{name} pinned to {version}, the build has {metadata.version(name)}"
    # The closure, not only the direct dependencies: pydantic brings pydantic-core, httpx brings httpcore.
    assert {"pydantic-core", "httpcore", "stevedore"} <= pins.keys()
    assert not {"anthropic", "openai", "opentelemetry-sdk"} & pins.keys(), "extras the server does not use are not pinned"
    assert "keel" not in pins


def test_a_dependency_missing_from_the_build_environment_fails_the_package_with_its_name(tmp_path: Path) -> None:
    fake = tmp_path / "keel-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("keel-0.0.1.dist-info/METADATA",
                         "Metadata-Version: 2.1\nName: keel\nVersion: 0.0.1\n"
                         "Requires-Dist: httpx>=0.27\nRequires-Dist: keel-no-such-dependency>=1\n\nlong description\n")
    out = tmp_path / "constraints.txt"
    result = _constraints(fake, "", out)
    assert result.returncode == 1
    assert "keel-no-such-dependency" in result.stderr and "not installed in the build environment" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
