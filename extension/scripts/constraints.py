"""Write the constraints file the extension provisions with: Keel's runtime dependency closure
(for the extras the server imports), each pinned to the version in the build's environment.

Run by ``extension/scripts/package.mjs`` as ``python -I constraints.py --wheel W --extras security``.
Keel's own requirements come from the wheel's METADATA, the closure from the installed
distributions, so what ships is what the build was tested with. A dependency whose marker is
false on the build platform (``colorama; sys_platform == "win32"``) is not installed here and
stays unpinned: it is listed in a comment so the gap is visible.

No hashes: pip checks ``--hash`` only in requirements files, not constraints files (pypa/pip
#8792, #12956), hash-checking mode would need a hash for every file of every platform's wheel
(psutil, pydantic-core and libcst ship per-platform wheels), and the build's environment holds
installed files, not the archives they came from.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from importlib import metadata
from typing import cast

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a bare build environment still has pip's copy
    from pip._vendor.packaging.markers import default_environment  # type: ignore[no-redef,assignment]
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef,assignment]
    from pip._vendor.packaging.utils import canonicalize_name  # type: ignore[no-redef,assignment]


class BuildEnvironmentError(Exception):
    """The build's environment cannot pin what the wheel needs."""


def wheel_requirements(wheel: str) -> tuple[str, list[str]]:
    """The wheel's project name and its Requires-Dist lines."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise BuildEnvironmentError(f"{wheel}: expected one .dist-info/METADATA, found {len(names)}")
        text = archive.read(names[0]).decode("utf-8")
    name = ""
    requires: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line; the long description follows
        key, _, value = line.partition(":")
        if key == "Name":
            name = value.strip()
        elif key == "Requires-Dist":
            requires.append(value.strip())
    return name, requires


# Where the extension may provision: a requirement true in any of these is needed somewhere.
_PLATFORMS = (
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
)
_PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def _applies(requirement: Requirement, extras: frozenset[str], **where: str) -> bool:
    if requirement.marker is None:
        return True
    environment: dict[str, str] = {**cast(dict[str, str], default_environment()), **where}
    return any(requirement.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""}))


def _applies_elsewhere(requirement: Requirement, extras: frozenset[str]) -> bool:
    return any(_applies(requirement, extras, **platform, python_version=version,
                        python_full_version=f"{version}.0")
               for platform in _PLATFORMS for version in _PYTHONS)


def closure(requires: list[str], extras: frozenset[str]) -> tuple[dict[str, str], set[str]]:
    """Pins (name → version) of every distribution the requirements need here, and the names
    needed only on other platforms."""
    pins: dict[str, str] = {}
    elsewhere: set[str] = set()
    queue = [(Requirement(line), extras) for line in requires]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        requirement, parent_extras = queue.pop()
        if not _applies(requirement, parent_extras):
            if _applies_elsewhere(requirement, parent_extras):
                elsewhere.add(canonicalize_name(requirement.name))
            continue
        name = canonicalize_name(requirement.name)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise BuildEnvironmentError(
                f"{requirement.name} is required ({requirement}) but is not installed in the build "
                f"environment {sys.prefix}") from None
        if not requirement.specifier.contains(dist.version, prereleases=True):
            raise BuildEnvironmentError(
                f"the build environment has {name} {dist.version}, which does not satisfy {requirement}")
        pins[name] = dist.version
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        queue.extend((Requirement(line), frozenset(requirement.extras)) for line in dist.requires or [])
    return pins, elsewhere - set(pins)


def render(project: str, extras: frozenset[str], pins: dict[str, str], elsewhere: set[str]) -> str:
    spec = f"{project}[{','.join(sorted(extras))}]" if extras else project
    lines = [
        f"# Generated by extension/scripts/constraints.py at package time: the runtime dependencies of {spec},",
        "# pinned to the versions the build was tested with. Pins only, no hashes (see the script's docstring).",
    ]
    if elsewhere:
        lines.append(f"# Not pinned (needed only on other platforms): {', '.join(sorted(elsewhere))}")
    lines += [f"{name}=={version}" for name, version in sorted(pins.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", required=True)
    parser.add_argument("--extras", default="", help="comma-separated extras the server uses")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    extras = frozenset(e.strip() for e in args.extras.split(",") if e.strip())
    try:
        project, requires = wheel_requirements(args.wheel)
        pins, elsewhere = closure(requires, extras)
    except BuildEnvironmentError as error:
        print(f"constraints: {error}", file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(render(project, extras, pins, elsewhere))
    return 0


if __name__ == "__main__":
    sys.exit(main())
