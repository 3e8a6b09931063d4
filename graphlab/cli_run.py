"""``graphlab train FILE``: run the experiment in a graph file from a terminal.

    graphlab train FILE [--epochs N] [--batch-size B] [--lr LR] [--device D] [--seed S]
                        [--out DIR] [--resume CKPT] [--json]

On a terminal: a live progress bar with loss and accuracy, and a line per epoch (at most two a
second, so 10,000 tiny full-batch epochs do not flood it; the last epoch always prints). With ``--json``: one
JSON object per epoch per line, then ``{"final": {train_loss, train_acc, val_loss, val_acc, epochs,
seconds, samples_per_s}}`` (accuracies null for regression; train_* measured on the whole training
split at the end). Writes ``last.safetensors`` and ``metrics.jsonl`` under ``--out`` (default:
``runs/<file stem>-<time>/`` beside the file). Ctrl+C stops cleanly after saving (a second one
aborts). Exit codes: 0 done, 1 the graph or the run failed, 2 unusable file/argument/training
section, 130 stopped by Ctrl+C. torch is imported only when the command runs.
"""
from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .cli import _Parser, command, fail
from .core.text import one_line
from .io import FileFormatError, load

#: seconds between Step events (each averages its steps); the bar redraws at most every 0.1 s anyway
STEP_INTERVAL = 0.1
#: seconds between printed epoch lines (without --json; the last epoch always prints)
EPOCH_LINE_INTERVAL = 0.5


def _fmt(v: Any, spec: str = ".4f") -> str:
    return "—" if v is None else format(v, spec)


class _Progress:
    """A one-line progress bar on a terminal (stderr), or plain per-epoch lines elsewhere."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.start: Any = None
        self.last = 0.0
        self.loss: float | None = None
        self.ema: float | None = None
        self.acc: float | None = None
        self.last_line = -1e9

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
        now = time.monotonic()
        if e.epoch != self.start.epochs and now - self.last_line < EPOCH_LINE_INTERVAL:
            return  # thousands of tiny full-batch epochs: a line every half second, and the last
        self.last_line = now
        if self.tty:
            sys.stderr.write("\r" + " " * 79 + "\r")
        acc = f"  acc {_fmt(e.train_acc, '.3f')} / val {_fmt(e.val_acc, '.3f')}" if e.train_acc is not None else ""
        print(f"epoch {e.epoch:>3}/{self.start.epochs}  loss {e.train_loss:.4f}  val_loss {_fmt(e.val_loss)}{acc}"
              f"  {e.samples_per_s:,.0f} samples/s", flush=True)


@command("train")
def cmd_train(argv: list[str]) -> int:
    p = _Parser(prog="graphlab train", description="Train the graph on the experiment in its training section.")
    p.add_argument("file")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--seed", type=int)
    p.add_argument("--out", help="folder for last.safetensors and metrics.jsonl (default: runs/ beside the file)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (weights, optimizer, epoch)")
    p.add_argument("--json", action="store_true", help="one JSON object per epoch per line, then the final one")
    args = p.parse_args(argv)
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
    out = Path(args.out) if args.out else src.parent / "runs" / f"{src.name.split('.')[0]}-{time.strftime('%Y%m%d-%H%M%S')}"

    from .run import events as ev
    from .run.trainer import Trainer

    trainer = Trainer(graph, cfg, base_dir=src.parent, out_dir=out, resume_from=args.resume,
                      step_interval=STEP_INTERVAL)
    interrupted = []

    def on_sigint(signum: int, frame: Any) -> None:
        if interrupted:
            raise KeyboardInterrupt
        interrupted.append(True)
        trainer.stop()

    old = signal.signal(signal.SIGINT, on_sigint)
    progress = _Progress(sys.stderr.isatty() and not args.json)
    error: Any = None
    fin: Any = None
    try:
        for e in trainer.events():
            if isinstance(e, ev.RunStarted):
                progress.start = e
                if not args.json:
                    init = f"initial loss {e.initial_loss:.4f}" + (
                        f" (ln {e.num_classes} = {e.expected_loss:.4f})" if e.expected_loss is not None else "")
                    print(f"{one_line(e.graph)}: {e.dataset} ({e.n_train} train / {e.n_val} val), {e.params:,} params on "
                          f"{e.device}; {init}", flush=True)
            elif isinstance(e, ev.Step):
                progress.step(e)
            elif isinstance(e, ev.Epoch):
                if args.json:
                    d = ev.to_json(e)
                    d.pop("event")
                    print(json.dumps(d), flush=True)
                else:
                    progress.epoch(e)
            elif isinstance(e, ev.Warning):
                where = f"{e.node}: " if e.node else ""
                print(one_line(f"graphlab: warning: {where}{e.message}"), file=sys.stderr)
            elif isinstance(e, ev.Error):
                error = e
            elif isinstance(e, ev.Finished):
                fin = e
    finally:
        signal.signal(signal.SIGINT, old)
    if error is not None:
        if args.json:
            print(json.dumps({"error": {"kind": error.kind, "message": error.message, "node": error.node}}))
        where = f"{error.node}: " if error.node else ""
        code = 2 if error.kind == "config" else 1
        return fail(f"{args.file}: {where}{error.message}", code)
    if args.json:
        print(json.dumps({"final": ev.to_json(fin)["final"]}), flush=True)
    else:
        f = fin.final
        print(f"{'stopped' if fin.reason == 'stopped' else 'done'}: {fin.epochs} epoch(s) in {f['seconds']:.1f} s; "
              f"train loss {_fmt(f['train_loss'])} acc {_fmt(f['train_acc'], '.3f')}; "
              f"val loss {_fmt(f['val_loss'])} acc {_fmt(f['val_acc'], '.3f')}")
        if fin.checkpoint:
            print(f"weights: {fin.checkpoint}\nmetrics: {fin.log}")
    return 130 if fin.reason == "stopped" else 0
