"""File ▸ Examples: the shipped example graphs, grouped, each with its one-line description.

The menu reads :func:`graphlab.assets.list_examples` (the installed package's examples, or the
checkout's ``examples/``): one submenu per group (Basics, CNNs, Recurrent, Optimizers, Lessons, then
any other group a file names), entries "Title — description" in each file's ``order``. A new file
with an ``"example"`` object slots in without code changes. Each action's data is the file's path.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMenu

from ..assets import Example, group_title, list_examples


def entry_text(e: Example) -> str:
    text = f"{e.title} — {e.description}" if e.description else e.title
    return text.replace("&", "&&")  # a literal ampersand, not a mnemonic


def fill_examples_menu(menu: QMenu, open_example: Callable[[Path], object],
                       groups: dict[str, list[Example]] | None = None) -> int:
    """Fill ``menu``; choosing an entry calls ``open_example(path)``. Returns how many entries."""
    menu.clear()
    menu.setToolTipsVisible(True)
    groups = list_examples() if groups is None else groups
    count = 0
    for group, examples in groups.items():
        sub = menu.addMenu(group_title(group))
        sub.setToolTipsVisible(True)
        for e in examples:
            a = sub.addAction(entry_text(e))
            a.setData(str(e.path))
            a.setToolTip(f"{e.description}\n{e.path.name}" if e.description else e.path.name)
            a.setStatusTip(e.description or e.path.name)
            a.triggered.connect(lambda checked=False, p=e.path: open_example(p))
            count += 1
    menu.setEnabled(count > 0)
    return count
