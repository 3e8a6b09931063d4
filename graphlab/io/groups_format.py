"""The ``groups`` section of a graph file: read it checked, write it in a fixed key order.

``[{"id": "layer1_0", "name": "layer1.0", "parent": "layer1", "collapsed": true}, ...]``: ``name``
defaults to the id, ``parent`` to none and ``collapsed`` to false (both written only when set).
Groups come out parents first (a group whose parent is listed after it is written after it), so a
reader meets every parent before its children. A structural mistake (not an object, an id that is
no identifier, a wrong type) raises :class:`~.fileformat.FileFormatError` naming the entry; a
duplicate id, an unknown parent or a loop of parents loads, reported as a load problem, with the
offending link dropped.
"""
from __future__ import annotations

from typing import Any

from ..core.graph import LoadProblem, valid_id
from ..core.groups import Group
from ..core.text import quote

_KEYS = ("id", "name", "parent", "collapsed")


def read_groups(raw: list[Any], problems: list[LoadProblem]) -> dict[str, Group]:
    from .fileformat import FileFormatError

    groups: dict[str, Group] = {}
    for i, entry in enumerate(raw):
        where = f"groups[{i}]"
        if not isinstance(entry, dict):
            raise FileFormatError(f"{where}: must be an object with an id")
        gid, name = entry.get("id"), entry.get("name", entry.get("id"))
        parent, collapsed = entry.get("parent"), entry.get("collapsed", False)
        if not isinstance(gid, str) or not valid_id(gid):
            raise FileFormatError(f"{where}.id: must be an identifier (letters, digits and _)")
        if not isinstance(name, str):
            raise FileFormatError(f"{where}.name ({quote(gid)}): must be text")
        if parent is not None and not isinstance(parent, str):
            raise FileFormatError(f"{where}.parent ({quote(gid)}): must be a group id or null")
        if not isinstance(collapsed, bool):
            raise FileFormatError(f"{where}.collapsed ({quote(gid)}): must be true or false")
        if gid in groups:
            problems.append(LoadProblem(None, f"{where}: the group id {quote(gid)} is used twice; this one was dropped",
                                        "groups"))
            continue
        groups[gid] = Group(gid, name, parent, collapsed)
    for g in groups.values():
        if g.parent is not None and (g.parent not in groups or _loops(groups, g)):
            problems.append(LoadProblem(None, f"group {quote(g.id)}: its parent {quote(g.parent)} is "
                                              f"{'not a group' if g.parent not in groups else 'inside it'}; "
                                              "it was made a top-level group", "groups"))
            g.parent = None
    return groups


def _loops(groups: dict[str, Group], g: Group) -> bool:
    seen = {g.id}
    p = g.parent
    while p is not None and p in groups:
        if p in seen:
            return True
        seen.add(p)
        p = groups[p].parent
    return False


def write_groups(groups: dict[str, Group]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    done: set[str] = set()

    def emit(g: Group, stack: set[str]) -> None:
        if g.id in done or g.id in stack:
            return
        if g.parent is not None and g.parent in groups:
            emit(groups[g.parent], stack | {g.id})
        d: dict[str, Any] = {"id": g.id, "name": g.name}
        if g.parent is not None:
            d["parent"] = g.parent
        if g.collapsed:
            d["collapsed"] = True
        out.append(d)
        done.add(g.id)

    for g in groups.values():
        emit(g, set())
    return out
