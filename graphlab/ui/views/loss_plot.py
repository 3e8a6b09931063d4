"""LossPlot: the training loss per step and per epoch, with the initial-loss check and other runs.

x is the optimisation step (an integer). Per step: the raw loss (faint) and an EMA-smoothed line (debiased,
``smoothing`` = weight of the past, default 0.9). Per epoch: train and validation loss as markers on
the same axis, each placed at the step where its epoch ended. Non-finite losses show as red markers
at the top of the view (see :mod:`.plot_base`).

API::

    plot = LossPlot()
    plot.append_steps(steps, losses)            # arrays or numbers; cheap, redraws ≤ 10 Hz
    plot.append_epoch(epoch, train=0.8, val=0.9, step=None)   # step defaults to the last step seen
    plot.update(steps=..., losses=..., epochs=[{"epoch": 1, "train_loss": .., "val_loss": .., "step": ..}])
    plot.set_initial_loss(measured=2.31, expected=math.log(10), num_classes=10)
    plot.add_run("run-3", steps, losses, label="lr 0.1", epoch_steps=..., val_losses=...)
    plot.remove_run("run-3"); plot.set_smoothing(0.95); plot.set_log_y(True); plot.clear()
    plot.flush()                                # draw now instead of at the next 10 Hz tick
    plot.readout.text()                         # "step 1,200 · loss 0.53 · smoothed 0.55 · epoch 3: …"

Series names (``plot.series[name]``): ``raw``, ``smooth``, ``train``, ``val``, ``initial``.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from PySide6.QtWidgets import QWidget

from .buffers import Ema
from .plot_base import PlotPanel, as_xy
from .theme import fmt


class LossPlot(PlotPanel):
    def __init__(self, parent: QWidget | None = None, *, smoothing: float = 0.9, title: str = "Loss") -> None:
        super().__init__(title, "step", "loss", parent=parent)
        self._ema = Ema(smoothing)
        self._epochs: list[tuple[int, float, float | None, float | None]] = []  # (epoch, x, train, val)
        self._initial: tuple[float | None, float | None, int | None] = (None, None, None)
        self.add_series("raw", "loss per step", "train", width=1.0, alpha=0.3, readout=True, integer_x=True, z=1)
        self.add_series("smooth", "smoothed", "train", width=2.0, integer_x=True, z=2)
        self.add_series("train", "train (epoch)", "train", width=1.2, symbol="o", dash=True, z=3)
        self.add_series("val", "validation (epoch)", "val", width=1.6, symbol="s", z=4)
        self.add_series("initial", "initial loss", "warning", symbol="star", legend=False,
                        readout=False, line=False, z=6)

    # -- data ---------------------------------------------------------------------------------------
    @property
    def smoothing(self) -> float:
        return self._ema.alpha

    def append_steps(self, steps: Any, losses: Any) -> None:
        x, y = as_xy(steps, losses)
        ok = self.series["raw"].add(x, y)
        if ok.any():
            self.series["smooth"].add(x[ok], self._ema.extend(y[ok]))
        self._schedule()

    def append_epoch(self, epoch: int, train: float | None = None, val: float | None = None,
                     step: float | None = None) -> None:
        if step is None:
            step = self.latest_x() or 0.0
        self._epochs.append((int(epoch), float(step), train, val))
        if train is not None:
            self.series["train"].add(np.array([step], float), np.array([train], float))
        if val is not None:
            self.series["val"].add(np.array([step], float), np.array([val], float))
        self._schedule()

    def update(self, steps: Any = None, losses: Any = None,
               epochs: Iterable[Mapping[str, Any]] | None = None) -> None:
        """Append steps and/or epoch records (dicts with ``epoch``, ``train_loss``, ``val_loss``, ``step``;
        a missing or 0 step places the epoch at the last step seen). Many records cost one append per
        curve (a run of 10,000 one-step epochs sends hundreds a second)."""
        if steps is not None and losses is not None:
            self.append_steps(steps, losses)
        recs = list(epochs or ())
        if not recs:
            return
        last = self.latest_x() or 0.0
        cols: dict[str, tuple[list[float], list[float]]] = {"train": ([], []), "val": ([], [])}
        for e in recs:
            x = float(e.get("step") or last)
            train, val = e.get("train_loss", e.get("train")), e.get("val_loss", e.get("val"))
            self._epochs.append((int(e["epoch"]), x, train, val))
            for name, v in (("train", train), ("val", val)):
                if v is not None:
                    cols[name][0].append(x)
                    cols[name][1].append(v)
        for name, (xs, ys) in cols.items():
            if xs:
                self.series[name].add(np.asarray(xs, float), np.asarray(ys, float))
        self._schedule()

    def set_smoothing(self, alpha: float) -> None:
        self._ema = Ema(alpha)
        raw = self.series["raw"]
        x, y = raw.x.view(), raw.y.view()
        self.series["smooth"].reset()
        if x.size:
            self.series["smooth"].add(x, self._ema.extend(y))
        self._schedule()

    def clear(self) -> None:
        """Forget this run (a new one starts); overlays of other runs stay."""
        self.clear_data()
        self._ema.reset()
        self._epochs.clear()
        self._initial = (None, None, None)
        self.remove_guide("expected")

    # -- the initial-loss check ---------------------------------------------------------------------
    def set_initial_loss(self, measured: float | None, expected: float | None, *,
                         num_classes: int | None = None, tolerance: float = 0.25) -> None:
        """Mark the expected initial loss (ln C for softmax) and the measured one at step 0.

        The guide turns the warning colour and says "far off" when the measured loss differs from
        the expected one by more than ``tolerance`` × expected.
        """
        if expected is None and num_classes:
            expected = math.log(num_classes)
        self._initial = (measured, expected, num_classes)
        if measured is not None:
            self.set_data("initial", [0.0], [measured])
        if expected is None:
            self.remove_guide("expected")
            return
        name = "ln C" if num_classes or expected is not None else "expected"
        text = f"expected {name} = {expected:.3f}"
        if num_classes:
            text = f"expected ln C = ln {num_classes} = {expected:.3f}"
        far = measured is not None and (not math.isfinite(measured) or abs(measured - expected) > tolerance * expected)
        if measured is not None:
            text += f"  ·  measured {fmt(measured)}" + ("  (far off)" if far else "")
        self.add_guide("expected", expected, text, color="warning" if far else "guide", below=True)

    @property
    def initial_loss(self) -> tuple[float | None, float | None, int | None]:
        """(measured, expected, num_classes) as last set."""
        return self._initial

    # -- other runs -------------------------------------------------------------------------------------
    def add_run(self, run_id: str, steps: Any, losses: Any, label: str | None = None, *,
                epoch_steps: Any = None, val_losses: Any = None) -> None:
        """Overlay another run: its smoothed step loss and, if given, its validation loss per epoch."""
        self.remove_overlay(run_id)
        x, y = as_xy(steps, losses)
        ok = np.isfinite(y)
        smooth = Ema(self._ema.alpha).extend(y[ok])
        self.add_overlay(run_id, x[ok], smooth, label or run_id)
        if epoch_steps is not None and val_losses is not None:
            self.add_overlay(run_id, epoch_steps, val_losses, symbol="s", dash=True, legend=False)

    def remove_run(self, run_id: str) -> None:
        self.remove_overlay(run_id)

    def run_ids(self) -> list[str]:
        return self.overlay_ids()

    # -- readout ------------------------------------------------------------------------------------------
    def readout_at(self, x: float) -> str:
        raw = self.series["raw"]
        p = raw.nearest(x)
        parts: list[str] = []
        sx = x
        if p is not None:
            sx = p[0]
            parts.append(f"step {fmt(int(sx))} · loss {fmt(p[1])}")
            sm = self.series["smooth"]
            xs = sm.x.view()
            i = int(np.searchsorted(xs, sx, side="right")) - 1
            if i >= 0:
                parts.append(f"smoothed {fmt(sm.y.view()[i])}")
        e = self._epoch_at(sx)
        if e is not None:
            epoch, _, tr, va = e
            bits = [f"train {fmt(tr)}"] if tr is not None else []
            bits += [f"val {fmt(va)}"] if va is not None else []
            parts.append(f"epoch {epoch}: " + ", ".join(bits) if bits else f"epoch {epoch}")
        return " · ".join(parts)

    def _epoch_at(self, x: float) -> tuple[int, float, float | None, float | None] | None:
        """The epoch that contains step x (the first whose end step is ≥ x), else the last one."""
        if not self._epochs:
            return None
        for e in self._epochs:
            if e[1] >= x:
                return e
        return self._epochs[-1] if x - self._epochs[-1][1] < 0.5 else None
