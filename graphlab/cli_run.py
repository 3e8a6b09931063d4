"""``graphlab train FILE``: run the experiment in a graph file from a terminal.

    graphlab train FILE [--epochs N] [--batch-size B] [--lr LR] [--device D] [--seed S]
                        [--out DIR] [--resume CKPT] [--overfit [N]] [--json]

On a terminal: a live progress bar with loss and accuracy, and epoch lines — every epoch of a short
run; for a long one about :data:`EPOCH_LINES` lines spread evenly over the run (the first and the
last epoch always print), decided by the epoch count alone, so 10,000 tiny full-batch epochs do not
flood the terminal, whatever the machine's speed. An epoch line's ``loss`` is the objective (data
loss + regularisation) averaged over the epoch's steps while the weights moved; the closing line's
figures are measured afterwards on the whole training split in eval mode, data loss only — the
output says so. With ``--json``: one JSON object per epoch per line, then ``{"final": {train_loss,
train_acc, val_loss, val_acc, epochs, seconds, samples_per_s, gflops, peak_gflops, peak_percent}}``
(accuracies null for regression; ``gflops`` the matrix products' FLOPs per second of training,
``peak_percent`` its share of this machine's calibrated matmul peak, :mod:`graphlab.run.peak`). A
text run also prints the FLOPs a step does and the least time they take at that peak.

``--overfit [N]`` runs the overfit-a-small-batch check on N (default 20) training samples instead
(:mod:`graphlab.run.overfit`): exit 0 when the net memorised them, 1 with the likely causes when not.

Writes ``last.safetensors``, ``metrics.jsonl`` and ``run.json`` under ``--out`` (default:
``runs/<file stem>-<time>/`` beside the file, see :mod:`graphlab.run.runs`). Ctrl+C stops cleanly
after saving (a second one aborts). Exit codes: 0 done, 1 the graph or the run failed, 2 unusable
file/argument/training section, 130 stopped by Ctrl+C. torch is imported only when the command runs.
"""
from __future__ import annotations

import json
import math
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .cli import _Parser, command, fail
from .core.text import one_line
from .io import FileFormatError, load
from .run.events import FINAL_NOTE  # plain data, no torch

#: seconds between Step events (each averages its steps); the bar redraws at most every 0.1 s anyway
STEP_INTERVAL = 0.1
#: about this many epoch lines for a long run (without --json); every epoch prints for shorter runs
EPOCH_LINES = 20


def _fmt(v: Any, spec: str = ".4f") -> str:
    return "—" if v is None else format(v, spec)


def epoch_stride(start_epoch: int, epochs: int, lines: int = EPOCH_LINES) -> int:
    """Print every k-th epoch of a run from ``start_epoch`` to ``epochs`` so about ``lines`` print."""
    return max(1, math.ceil((epochs - start_epoch) / lines))


class _Progress:
    """A one-line progress bar on a terminal (stderr), or plain per-epoch lines elsewhere."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.start: Any = None
        self.last = 0.0
        self.ema: float | None = None
        self.acc: float | None = None

    def step(self, e: Any) -> None:
        self.ema = e.loss if self.ema is None else 0.9 * self.ema + 0.1 * e.loss
        if e.acc is not None:
            self.acc = e.acc if self.acc is None else 0.9 * self.acc + 0.1 * e.acc
        now = time.monotonic()
        if not self.tty or now - self.last < 0.1:
            return
        self.last = now
        s = self.start
        done = (e.step - s.start_epoch * s.steps_per_epoch) / max((s.epochs - s.start_epoch) * s.steps_per_epoch, 1)
        bar = "#" * int(done * 24)
        acc = f"  acc {self.acc:.3f}" if self.acc is not None else ""
        sys.stderr.write(f"\r epoch {e.epoch}/{s.epochs} [{bar:<24}] {done * 100:5.1f}%  loss {self.ema:.4f}{acc}   ")
        sys.stderr.flush()

    def epoch(self, e: Any) -> None:
        s = self.start
        k = e.epoch - s.start_epoch
        if e.epoch != s.epochs and k != 1 and k % epoch_stride(s.start_epoch, s.epochs):
            return
        if self.tty:
            sys.stderr.write("\r" + " " * 79 + "\r")
        acc = f"  acc {_fmt(e.train_acc, '.3f')} / val {_fmt(e.val_acc, '.3f')}" if e.train_acc is not None else ""
        print(f"epoch {e.epoch:>3}/{s.epochs}  loss {e.train_loss:.4f}  val_loss {_fmt(e.val_loss)}{acc}"
              f"  {e.samples_per_s:,.0f} samples/s", flush=True)


def _started(e: Any) -> str:
    init = f"initial loss {e.initial_loss:.4f}" + (
        f" (ln {e.num_classes} = {e.expected_loss:.4f})" if e.expected_loss is not None and e.num_classes else "")
    what = f"overfit check on {e.n_train} samples" if e.overfit else f"{e.n_train} train / {e.n_val} val"
    return f"{one_line(e.graph)}: {e.dataset} ({what}), {e.params:,} params on {e.device}; {init}"


def _parser() -> _Parser:
    p = _Parser(prog="graphlab train", description="Train the graph on the experiment in its training section.")
    p.add_argument("file")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--seed", type=int)
    p.add_argument("--out", help="folder for last.safetensors, metrics.jsonl and run.json (default: runs/ beside "
                   "the file)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (weights, optimizer, epoch)")
    p.add_argument("--overfit", type=int, nargs="?", const=20, metavar="N",
                   help="sanity check: memorise N training samples (default 20) with regularisation off")
    p.add_argument("--json", action="store_true", help="one JSON object per epoch per line, then the final one")
    return p


@command("train")
def cmd_train(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.overfit is not None and args.overfit < 1:
        return fail("--overfit: must be a whole number >= 1")
    try:
        graph = load(args.file)
    except FileFormatError as e:
        return fail(str(e))
    from .run.config import ConfigError, parse_training, with_overrides

    try:
        cfg = with_overrides(parse_training(graph.training), epochs=args.epochs, batch_size=args.batch_size,
                             lr=args.lr, device=args.device, seed=args.seed)
    except ConfigError as e:
        return fail(f"{args.file}: {e}")
    src = Path(args.file).resolve()
    from .run.runs import new_run_dir
    from .run.trainer import Trainer

    out = Path(args.out) if args.out else new_run_dir(src)
    trainer = Trainer(graph, cfg, base_dir=src.parent, out_dir=out, resume_from=args.resume,
                      step_interval=STEP_INTERVAL, overfit=args.overfit, source=src)
    error, fin, overfit = _follow(trainer, args.json)
    if error is not None:
        return _report_error(args.file, error, args.json)
    _report_finished(fin, overfit, args.json)
    if overfit is not None:
        return _report_overfit(overfit, args.json)
    return 130 if fin.reason == "stopped" else 0


def _follow(trainer: Any, as_json: bool) -> tuple[Any, Any, Any]:
    """Run ``trainer`` to its end, printing as it goes; Ctrl+C stops it (a second one aborts).
    Returns (the Error event or None, the Finished event, the OverfitResult or None)."""
    interrupted = []

    def on_sigint(signum: int, frame: Any) -> None:
        if interrupted:
            raise KeyboardInterrupt
        interrupted.append(True)
        trainer.stop()

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        return _show_events(trainer.events(), as_json)
    finally:
        signal.signal(signal.SIGINT, old)


def _show_events(events: Any, as_json: bool) -> tuple[Any, Any, Any]:
    """Print each event as it comes (progress, epoch lines or JSON, warnings); see :func:`_follow`."""
    from .run import events as ev

    progress = _Progress(sys.stderr.isatty() and not as_json)
    error: Any = None
    fin: Any = None
    overfit: Any = None
    for e in events:
        if isinstance(e, ev.RunStarted):
            progress.start = e
            if not as_json:
                print(_started(e), flush=True)
                if ev.predicted_text(e):
                    print(f"compute: {ev.predicted_text(e)}", flush=True)
        elif isinstance(e, ev.Step):
            progress.step(e)
        elif isinstance(e, ev.Epoch):
            if as_json:
                d = ev.to_json(e)
                d.pop("event")
                print(json.dumps(d), flush=True)
            else:
                progress.epoch(e)
        elif isinstance(e, ev.Warning):
            where = f"{e.node}: " if e.node else ""
            print(one_line(f"graphlab: warning: {where}{e.message}"), file=sys.stderr)
        elif isinstance(e, ev.OverfitResult):
            overfit = e
        elif isinstance(e, ev.Error):
            error = e
        elif isinstance(e, ev.Finished):
            fin = e
    return error, fin, overfit


def _report_error(file: str, error: Any, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": {"kind": error.kind, "message": error.message, "node": error.node,
                                    "field": error.field}}))
    where = f"{error.node}: " if error.node else ""
    code = 2 if error.kind == "config" else 1
    return fail(f"{file}: {where}{error.message}", code)


def _report_finished(fin: Any, overfit: Any, as_json: bool) -> None:
    from .run import events as ev

    if as_json:
        if overfit is not None:
            print(json.dumps({"overfit": ev.to_json(overfit)}), flush=True)
        print(json.dumps({"final": ev.to_json(fin)["final"]}), flush=True)
        return
    f = fin.final
    print(f"{'stopped' if fin.reason == 'stopped' else 'done'}: {fin.epochs} epoch(s) in {f['seconds']:.1f} s")
    if f["train_loss"] is not None:
        print(f"final ({FINAL_NOTE}): train loss {_fmt(f['train_loss'])} acc {_fmt(f['train_acc'], '.3f')}; "
              f"val loss {_fmt(f['val_loss'])} acc {_fmt(f['val_acc'], '.3f')}")
    if ev.compute_figures(f):
        print(f"compute: {ev.compute_figures(f)}")
    if fin.checkpoint:
        print(f"weights: {fin.checkpoint}\nmetrics: {fin.log}")


def _report_overfit(r: Any, quiet: bool) -> int:
    if r.reached:
        if not quiet:
            print(f"overfit check passed: the net memorised all {r.samples} samples in {r.steps} steps "
                  f"(loss {r.initial_loss:.4f} -> {r.loss:.4g})")
        return 0
    if not quiet:
        acc = f"accuracy {r.train_acc:.0%}, " if r.train_acc is not None else ""
        print(f"overfit check failed: after {r.steps} steps the net has not memorised {r.samples} samples "
              f"({acc}loss {r.initial_loss:.4f} -> {r.loss:.4g}). Likely causes:")
        for c in r.causes:
            print(f"  - {c}")
    return 1
