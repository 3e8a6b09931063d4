"""Where the files that ship with GraphLab live: the example graphs, the resources (icons), the docs.

One copy of each: the repository's top-level ``examples/`` and ``resources/`` folders. A built wheel
installs them inside the package as ``graphlab/examples`` and ``graphlab/resources`` (pyproject maps
the folders to those packages); a source checkout or an editable install reads them where they
are. :func:`examples_dir` and :func:`resources_dir` look in the installed place first
(``importlib.resources``), then in the checkout beside the package.

Each example file may carry an ``"example"`` object at its top level, which the file loader keeps
as an extra key: ``{"group": "cnns", "order": 3, "description": "one line"}``. :func:`list_examples`
reads it, so a new file dropped into ``examples/`` takes its place in the editor's Examples menu
without code changes. Groups are shown in :data:`GROUPS` order, unknown groups after them, files
without a group under "Other".

Standard library only (no Qt, no torch): the CLI and the editor both use it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

#: group id -> menu title, in menu order
GROUPS: dict[str, str] = {"basics": "Basics", "cnns": "CNNs", "recurrent": "Recurrent",
                          "optimizers": "Optimizers", "lessons": "Lessons"}
OTHER = "other"
EXAMPLE_SUFFIX = ".graphlab.json"
_CHECKOUT = Path(__file__).resolve().parent.parent


def _packaged(name: str) -> Path | None:
    try:
        root = resources.files("graphlab").joinpath(name)
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - graphlab is importable here
        return None
    path = Path(str(root))
    return path if path.is_dir() else None


def examples_dir() -> Path | None:
    """The folder of example graphs: installed (wheel) or the checkout's ``examples/``; None if absent."""
    found = _packaged("examples")
    if found is not None:
        return found
    here = _CHECKOUT / "examples"
    return here if here.is_dir() else None


def resources_dir() -> Path | None:
    """The folder of icons and other resources, installed or in the checkout; None if absent."""
    return _folder("resources")


def docs_dir() -> Path | None:
    """The folder of the user documentation (Markdown and screenshots), installed or in the checkout."""
    return _folder("docs")


def _folder(name: str) -> Path | None:
    found = _packaged(name)
    if found is not None:
        return found
    here = _CHECKOUT / name
    return here if here.is_dir() else None


@dataclass(frozen=True)
class Example:
    path: Path
    title: str  # the graph's name
    group: str  # a GROUPS id, another id, or OTHER
    order: int
    description: str

    @property
    def stem(self) -> str:
        return self.path.name.removesuffix(EXAMPLE_SUFFIX)


def read_example(path: Path) -> Example | None:
    """The menu entry for one example file, or None when the file is not a readable graph file."""
    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    meta = doc.get("example") if isinstance(doc.get("example"), dict) else {}
    stem = path.name.removesuffix(EXAMPLE_SUFFIX)
    name = doc.get("name")
    title = name if isinstance(name, str) and name.strip() and name != "untitled" else stem.replace("_", " ")
    group = meta.get("group")
    group = group.strip().lower() if isinstance(group, str) and group.strip() else OTHER
    order = meta.get("order")
    order = order if isinstance(order, int) and not isinstance(order, bool) else 1_000_000
    desc = meta.get("description")
    desc = " ".join(desc.split()) if isinstance(desc, str) else ""
    return Example(path, " ".join(title.split()), group, order, desc)


def group_title(group: str) -> str:
    return GROUPS.get(group, "Other" if group == OTHER else group[:1].upper() + group[1:])


def list_examples(folder: Path | None = None) -> dict[str, list[Example]]:
    """The examples by group, in menu order: GROUPS first, then other groups by name, then "other".
    Within a group: by ``order``, then by file name."""
    folder = folder if folder is not None else examples_dir()
    if folder is None or not folder.is_dir():
        return {}
    found = [e for e in (read_example(p) for p in sorted(folder.glob("*" + EXAMPLE_SUFFIX))) if e is not None]
    extra = sorted({e.group for e in found} - set(GROUPS) - {OTHER})
    groups: dict[str, list[Example]] = {}
    for g in [*GROUPS, *extra, OTHER]:
        members = sorted((e for e in found if e.group == g), key=lambda e: (e.order, e.path.name))
        if members:
            groups[g] = members
    return groups
