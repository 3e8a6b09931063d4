"""Acting on a finished study from the Search dock: the table (sorted, best highlighted), brushing the
parallel coordinates, the curves and importances, Apply best trial (one undo step), Refine (the next
stage), Open trial, Ensemble top k, Evaluate on test (once; again only after a warning). Oracles: Optuna's
own storage, the engine's headless functions (ranked, refine, top_runs) and the run folders."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pytest
from PySide6.QtCore import Qt

from graphlab.run.config import parse_training
from graphlab.search.process import SearchProcess
from graphlab.search.refine import refine
from graphlab.search.study import ranked, trial_rows
from tests.ui.search.helpers import RUN_TIMEOUT, wait_idle, wait_looked

pytestmark = pytest.mark.slow


def stored(path: Path):
    sp = SearchProcess(path, workers=1)
    return sp, trial_rows(sp._study())


def test_the_table_sorts_and_highlights_the_best_and_brushing_filters_it(make_host, finished_study, qtbot):
    h = make_host(finished_study)
    wait_looked(qtbot, h)
    sp, rows = stored(finished_study)
    assert sorted(r.number for r in h.search.rows) == sorted(r.number for r in rows)
    best = ranked(rows, sp.spec)[0]
    t = h.panel.table
    m = t.trials
    assert m.best == best.number and m.rowCount() == len(rows)
    t.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # by value, best first (val_acc is maximised)
    values = [r.value for r in sorted(rows, key=lambda r: (-r.value, r.number))]
    assert [m.data(m.index(i, 2)) for i in range(len(rows))] == [f"{v:.4g}" for v in values]
    col = m.headers.index("optimizer.lr")
    t.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    lrs = [m.rows[i].params["training.optimizer.lr"] for i in m.shown]
    assert lrs == sorted(lrs)

    # brush the learning rate's axis (a log axis from 0.05 to 5): keep the lower half, lr in [0.05, 0.5]
    c = h.panel.coords
    j = list(sp.spec.space).index("training.optimizer.lr")
    c.set_brush(j, 0.0, 0.5)
    want = {r.number for r in rows if r.params["training.optimizer.lr"] <= 0.5}
    assert want and len(want) < len(rows)
    assert set(m.shown_numbers()) == want
    assert not h.panel.curves.rows  # a view behind its tab is drawn when it comes to the front
    h.panel.views.setCurrentIndex(1)
    assert {r.number for r in h.panel.curves.shown()} == want
    assert h.panel.filter_note.text() == f"{len(want)} of {len(rows)} trials inside the marked ranges"
    # and on the metric's axis too: both bands hold
    k = len(sp.spec.space)
    vals = np.array([r.value for r in rows])
    mid = (np.median(vals) - vals.min()) / (vals.max() - vals.min())
    c.set_brush(k, mid, 1.0)
    want2 = {r.number for r in rows if r.params["training.optimizer.lr"] <= 0.5
             and (r.value - vals.min()) / (vals.max() - vals.min()) >= mid}
    assert set(m.shown_numbers()) == want2
    c.clear_brushes()
    assert m.rowCount() == len(rows) and not h.panel.clear_filter.isVisibleTo(h.panel)


def test_a_drag_along_an_axis_brushes_it(make_host, finished_study, qtbot):
    from PySide6.QtCore import QEvent, QPoint, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    h = make_host(finished_study)
    wait_looked(qtbot, h)
    h.panel.tabs.setCurrentIndex(1)
    c = h.panel.coords
    qtbot.waitUntil(lambda: c.plot.isVisible() and c.plot.width() > 100)
    vb = c.box
    view = c.plot

    def at(x: float, y: float) -> QPoint:
        return view.mapFromScene(vb.mapViewToScene(QPointF(x, y)))

    a, b = at(0.02, 0.05), at(0.02, 0.5)
    vp = view.viewport()

    def send(kind, p, buttons):
        ev = QMouseEvent(kind, QPointF(p), QPointF(vp.mapToGlobal(p)), Qt.MouseButton.LeftButton, buttons,
                         Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)

    send(QEvent.Type.MouseButtonPress, a, Qt.MouseButton.LeftButton)
    for i in range(1, 6):
        send(QEvent.Type.MouseMove, a + (b - a) * i / 5, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)
    assert 0 in c.brushes
    lo, hi = c.brushes[0]
    assert abs(lo - 0.05) < 0.05 and abs(hi - 0.5) < 0.05
    assert h.panel.table.trials.rowCount() == int(c.passing().sum())


def test_curves_and_importance_come_from_the_storage(make_host, finished_study, qtbot):
    h = make_host(finished_study)
    wait_looked(qtbot, h)
    qtbot.waitUntil(lambda: bool(h.search.importances), timeout=120_000)
    study = optuna.load_study(study_name="s", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(finished_study.parent / "runs" / "s.optuna-journal"))))
    assert set(h.search.importances) == set(study.best_trial.params)
    assert abs(sum(h.search.importances.values()) - 1.0) < 1e-6
    assert list(h.panel.importance.values) == sorted(h.search.importances, key=lambda k: -h.search.importances[k])
    h.panel.views.setCurrentIndex(1)
    x, y = h.panel.curves.items["COMPLETE"].getData()
    n_points = sum(len(t.intermediate_values) for t in study.trials if t.state.name == "COMPLETE")
    assert len(x) == n_points and max(x) == 40


def test_apply_best_trial_is_one_undo_step(make_host, finished_study, qtbot):
    h = make_host(finished_study)
    wait_looked(qtbot, h)
    sp, rows = stored(finished_study)
    best = ranked(rows, sp.spec)[0]
    g = h.doc.graph
    before_training, before_fc1 = json.dumps(g.training, sort_keys=True), dict(g.nodes["fc1"].params)
    n = h.doc.undo_stack.count()
    h.panel.apply_button.click()
    assert h.doc.undo_stack.count() == n + 1
    cfg = parse_training(g.training)
    assert cfg.optimizer.lr == best.params["training.optimizer.lr"] and cfg.l2 == best.params["training.regularization.l2"]
    assert (cfg.seed, cfg.epochs, cfg.val_fraction) == (best.seed, 40, 0.3)
    assert g.nodes["fc1"].params["out_features"] == best.params["fc1.out_features"]
    assert h.doc.undo_stack.undoText() == f"Apply trial {best.number}"
    h.doc.undo_stack.undo()
    assert json.dumps(g.training, sort_keys=True) == before_training and g.nodes["fc1"].params == before_fc1


def test_refine_writes_the_next_stage_and_selects_it(make_host, finished_study, qtbot):
    h = make_host(finished_study)
    wait_looked(qtbot, h)
    sp, rows = stored(finished_study)
    want, top = refine(sp.spec, rows, base_epochs=10)
    n = h.doc.undo_stack.count()
    h.panel.refine_button.click()
    assert h.doc.undo_stack.count() == n + 1
    assert h.doc.undo_stack.undoText().startswith("Refine the search around trials ")
    section = h.doc.graph.search
    assert section["space"] == {k: d.to_json() for k, d in want.space.items()} and section["epochs"] == 80
    for key, d in want.space.items():  # every range is the span of the top trials
        if d.kind != "choice":
            assert (d.lo, d.hi) == (min(r.params[key] for r in top), max(r.params[key] for r in top))
    assert h.search.study_name() == "s-refine"
    wait_looked(qtbot, h)
    assert h.panel.study_box.currentText() == "s-refine (new)" and h.panel.table.trials.rowCount() == 0
    assert h.panel.start_button.text() == "Start"
    h.doc.undo_stack.undo()
    assert h.doc.graph.search["epochs"] == 40


def test_open_trial_shows_its_run_folder(make_host, finished_study, qtbot):
    h = make_host(finished_study)
    wait_looked(qtbot, h)
    sp, rows = stored(finished_study)
    t = h.panel.table
    n = rows[2].number
    t.selectRow(t.trials.row_of(n))
    assert h.panel.selected == n and h.panel.coords.selected == n
    h.panel.open_button.click()
    folder, title = h.opened[-1]
    assert folder == Path(rows[2].run) and (folder / "run.json").is_file()
    assert title == f"Trial {n} of study 's'"


def test_ensemble_top_k_and_evaluate_on_test_once(make_host, finished_study, qtbot):
    from graphlab.search.ensemble import top_runs

    h = make_host(finished_study)
    wait_looked(qtbot, h)
    sp, rows = stored(finished_study)
    h.panel.k_box.setValue(3)
    h.panel.ensemble_button.click()
    qtbot.waitUntil(lambda: h.search.ensemble is not None, timeout=RUN_TIMEOUT)
    want = top_runs(sp._study(), sp.spec, 3)
    got = h.search.ensemble
    assert [m["number"] for m in got["members"]] == [m["number"] for m in want["members"]]
    assert got["ensemble"]["val_acc"] == want["ensemble"]["val_acc"]
    text = h.panel.result.text()
    assert f"{100 * want['ensemble']['val_acc']:.1f} %" in text and f"(trial {want['best_single']['number']})" in text

    labels = [label for label, _ in h.panel.test_choices()]
    assert labels[0].startswith("Best trial") and labels[-1].startswith("Ensemble of the top 3")
    best = ranked(rows, sp.spec)[0]
    test_file = Path(best.run) / "test.json"
    assert not test_file.exists()
    h.search.evaluate_on_test([best.run])  # the first time: no question
    qtbot.waitUntil(lambda: h.search.test_report is not None, timeout=RUN_TIMEOUT)
    assert not h.prompts.confirm_asked and not h.search.test_report.warnings
    record = json.loads(test_file.read_text())["evaluations"]
    assert len(record) == 1 and record[0]["acc"] == h.search.test_report.result.ensemble.acc
    assert "recorded in test.json" in h.panel.result.text()

    h.prompts.confirm_answer = False  # a second time warns first; No: nothing is evaluated
    h.search.test_report = None
    h.search.evaluate_on_test([best.run])
    qtbot.waitUntil(lambda: bool(h.prompts.confirm_asked), timeout=RUN_TIMEOUT)
    wait_idle(qtbot, h)
    assert "no longer an unbiased estimate" in h.prompts.confirm_asked[0][1]
    assert h.search.test_report is None and len(json.loads(test_file.read_text())["evaluations"]) == 1
    h.prompts.confirm_answer = True  # Yes: evaluated, recorded, and said to be biased
    h.search.evaluate_on_test([best.run])
    qtbot.waitUntil(lambda: h.search.test_report is not None, timeout=RUN_TIMEOUT)
    assert h.search.test_report.warnings and "Not unbiased" in h.panel.result.text()
    assert len(json.loads(test_file.read_text())["evaluations"]) == 2
