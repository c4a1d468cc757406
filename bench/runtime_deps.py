"""Which installed packages a Lambda function would *not* have.

The deployed functions get only the runtime dependencies (pyproject's [project].dependencies and
what they require, which is what the dependencies layer is built from). The virtualenv also holds
the dev tools, and some runtime libraries import them when they are present: httpx imports
click, pygments and rich for its command line, for instance. A cold start measured in the
virtualenv would pay for imports that Lambda never does, so the cold-start child refuses them.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(pyproject: Path = PYPROJECT) -> set[str]:
    """Normalised names of the distributions the project needs at run time (read from
    pyproject.toml, not from the installed metadata, which may predate a new dependency)."""
    roots = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    seen: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = []
    for text in roots:
        req = Requirement(text)
        todo.append((req.name, frozenset(req.extras)))
    while todo:
        name, extras = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = _name(dist.metadata["Name"])
        if key in seen and not extras:
            continue
        seen.add(key)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None:
                wanted = any(req.marker.evaluate({"extra": e}) for e in extras) if extras else False
                if not (wanted or req.marker.evaluate({"extra": ""})):
                    continue
            todo.append((req.name, frozenset(req.extras)))
    return seen


def _top_level(dist: metadata.Distribution) -> set[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    names = set()
    for file in dist.files or []:
        parts = file.parts
        if not parts or parts[0].endswith((".dist-info", ".data")) or parts[0] in ("..", "bin"):
            continue
        top = parts[0]
        if len(parts) == 1:
            if top.endswith(".py"):
                names.add(top[:-3])
            elif top.endswith(".so"):
                names.add(top.split(".")[0])
        else:
            names.add(top)
    return {n for n in names if n.isidentifier()}


def dev_only_modules(pyproject: Path = PYPROJECT) -> list[str]:
    """Top-level module names installed here that the deployed functions would not have (of the
    project whose pyproject.toml this is: another checkout may need other packages)."""
    needed = runtime_closure(pyproject)
    needed_modules = set()
    for key in needed:
        try:
            needed_modules |= _top_level(metadata.distribution(key))
        except metadata.PackageNotFoundError:
            pass
    blocked: set[str] = set()
    for dist in metadata.distributions():
        if _name(dist.metadata["Name"]) in needed | {"chiffon-dashboard-api"}:
            continue
        blocked |= _top_level(dist)
    # A module name shared with a needed distribution (namespace packages) stays importable.
    return sorted(blocked - needed_modules - {"bench", "functions", "shared", "__editable__"})


if __name__ == "__main__":
    print("runtime:", ", ".join(sorted(runtime_closure())))
    print("refused:", ", ".join(dev_only_modules()))
