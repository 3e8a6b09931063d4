"""A lesson example says, in the window, what to do and what to look for — and the views it names exist."""
from __future__ import annotations

import re

from PySide6.QtWidgets import QCheckBox, QDockWidget, QTabWidget

from graphlab.assets import list_examples


def tab_texts(dock: QDockWidget) -> set[str]:
    return {t.tabText(i) for t in dock.findChildren(QTabWidget) for i in range(t.count())}


def test_each_lesson_shows_its_steps_and_the_views_they_name_exist(make_window, qtbot):
    w = make_window()
    docks = {d.windowTitle(): d for d in w.findChildren(QDockWidget)}
    boxes = {b.text() for b in w.findChildren(QCheckBox)}
    lessons = list_examples()["lessons"]
    assert len(lessons) >= 9
    for e in lessons:
        assert w.open_example(e.path)
        banner = w.lesson
        assert banner.isVisible() and banner.lesson is not None, e.path.name
        steps, look = banner.lesson["steps"], banner.lesson["look_for"]
        assert steps and look, e.path.name
        text = banner.body.text()
        assert all(s.replace("'", "&#x27;") in text or s in text for s in steps)
        for step in steps:
            for dock, tab in re.findall(r"the (\w+) dock's ([\w ]+?) tab", step):
                assert dock in docks and tab in tab_texts(docks[dock]), (e.path.name, step)
            for dock in re.findall(r"the (\w+) dock\b", step):
                assert dock in docks, (e.path.name, step)
            for box in ("log y", "All graphs in this folder"):
                if box in step:
                    assert box in boxes, (e.path.name, step)
            for node in re.findall(r"\b(tanh\d+|fc\d+|relu\d*)\b", step):
                assert node in w.document.graph.nodes, (e.path.name, step)


def test_the_banner_folds_and_goes_with_a_graph_that_has_no_lesson(make_window, examples_dir):
    w = make_window()
    assert w.open_example(examples_dir / "lesson_init_xavier.graphlab.json")
    banner = w.lesson
    assert banner.body.isVisible()
    banner.toggle.click()
    assert not banner.body.isVisible() and banner.isVisible() and banner.toggle.text() == "Show"
    banner.toggle.click()
    assert banner.body.isVisible()
    assert w.open_example(examples_dir / "lenet5.graphlab.json")
    assert not banner.isVisible()
