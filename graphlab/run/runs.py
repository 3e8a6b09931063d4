"""Run folders: what a run leaves on disk, and finding a graph's earlier runs.

Each run with an output folder (``graphlab train`` always, the editor's runs too) has::

    runs/<file stem>-<YYYYmmdd-HHMMSS>/      beside the graph file, by default
        run.json          {"format", "graph", "source", "config", "started", "status", "finished",
                           "epochs", "final", "checkpoint", "overfit", "error"}
        metrics.jsonl     one Epoch event per line (to_json, without the "event" key)
        last.safetensors  the last good weights (see graphlab.run.checkpoint)

``status`` is ``running`` while the run goes (a run whose process died keeps it), then
``completed``, ``stopped`` or ``error``. ``run.json`` is rewritten atomically (temporary file +
rename; temporary files carry their writer's pid, and opening a run folder removes those whose
writer is gone: :mod:`graphlab.io.tempfiles`). Everything is JSON; nothing read here is ever executed or unpickled.
``metrics.jsonl`` is read by one reader, :func:`read_metrics`: a line that is not an Epoch record —
not JSON, nested too deeply, a number beyond range, no whole-number ``epoch`` — is skipped with one
message naming the file and the line number (a resumed run reports them as Warning events).

API: :func:`runs_folder`, :func:`new_run_dir`, :class:`RunFolder` (the trainer's writer),
:func:`list_runs` (a graph's earlier runs with their final figures), :func:`read_run`,
:func:`load_curves` (the per-epoch series, for overlays) and :func:`weights_path` ("weights from
run X"). No torch, no Qt.
"""
from __future__ import annotations

import errno
import io
import json
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..core.text import error_line
from ..io.readfile import open_regular
from ..io.tempfiles import clean_stale, create_temp

RUN_FILE = "run.json"
METRICS = "metrics.jsonl"
WEIGHTS = "last.safetensors"
FORMAT = "graphlab-run-1"
#: a run.json larger than this is not one GraphLab wrote
MAX_RUN_FILE = 1 << 20
#: a metrics.jsonl line longer than this is not one GraphLab wrote
MAX_METRICS_LINE = 1 << 16


class RunError(Exception):
    """A run folder that cannot be used; the message names it."""


def file_stem(graph_file: str | os.PathLike[str]) -> str:
    return Path(graph_file).name.split(".")[0]


def runs_folder(graph_file: str | os.PathLike[str]) -> Path:
    """The default folder of a graph file's runs: ``runs/`` beside the file."""
    return Path(graph_file).resolve().parent / "runs"


def new_run_dir(graph_file: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None,
                when: float | None = None) -> Path:
    """A fresh ``<folder>/<stem>-<time>`` path (not created; ``-2``, ``-3``… when the name is taken)."""
    base = Path(folder) if folder is not None else runs_folder(graph_file)
    name = f"{file_stem(graph_file)}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(when))}"
    path, k = base / name, 1
    while path.exists():
        k += 1
        path = base / f"{name}-{k}"
    return path


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def write_json_atomic(path: Path, doc: dict[str, Any]) -> None:
    fd, tmp = create_temp(path)  # named by its writer, so a crashed run's leftover is found (graphlab.io.tempfiles)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, allow_nan=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class RunFolder:
    """The trainer's writer of one run folder. Every method may raise OSError (a full disk)."""

    def __init__(self, path: str | os.PathLike[str], info: dict[str, Any]) -> None:
        self.path = Path(path)
        self.info = {"format": FORMAT, "started": _now(), "status": "running", "finished": None, "epochs": 0,
                     "final": None, "checkpoint": None, "error": None, **info}
        self._log: TextIO | None = None
        #: messages about metrics.jsonl lines a resumed run could not read (skipped), set by open()
        self.skipped: list[str] = []

    @property
    def log_path(self) -> Path:
        return self.path / METRICS

    def open(self, keep_up_to_epoch: int) -> None:
        """Create the folder, write run.json, and (re)open metrics.jsonl keeping the lines up to
        ``keep_up_to_epoch`` (a resumed run continues its log without repeats)."""
        self.path.mkdir(parents=True, exist_ok=True)
        clean_stale(self.path)  # temporary files a crashed run left (checkpoints, run.json)
        kept: list[str] = []
        if keep_up_to_epoch:
            kept, self.skipped = _log_lines_up_to(self.log_path, keep_up_to_epoch)
        self._log = _open_log(self.log_path)
        self._log.writelines(kept)
        self._log.flush()
        self.write_info()

    def log_epoch(self, record: dict[str, Any]) -> None:
        assert self._log is not None
        self._log.write(json.dumps(record) + "\n")
        self._log.flush()

    def write_info(self, **changes: Any) -> None:
        self.info.update(changes)
        write_json_atomic(self.path / RUN_FILE, self.info)

    def finish(self, status: str, epochs: int, final: dict[str, Any] | None, checkpoint: str | None,
               error: str | None = None) -> None:
        self.write_info(status=status, finished=_now(), epochs=epochs, final=final, checkpoint=checkpoint,
                        error=error)

    def close(self) -> None:
        if self._log is not None:
            try:
                self._log.close()
            except OSError:
                pass
            self._log = None


def _open_log(path: Path) -> TextIO:
    """``path`` created or emptied for writing, never through a symbolic link (``O_NOFOLLOW``: a link
    planted at DIR/metrics.jsonl would send the log anywhere) and never a FIFO or device (opened
    without blocking, then checked); OSError naming the file otherwise."""
    flags = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
             | getattr(os, "O_CLOEXEC", 0))
    if path.is_symlink():  # O_NOFOLLOW says ELOOP ("too many levels of symbolic links"): say what it is
        raise OSError(errno.ELOOP, f"{path.name} is a symbolic link, and GraphLab does not write a run's files "
                      "through links: remove it, or choose another folder", str(path))
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as e:
        if e.errno == errno.ENXIO:  # a FIFO nobody reads
            raise OSError(errno.ENXIO, f"{path.name} is a FIFO (named pipe), not a regular file", str(path)) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, f"{path.name} is not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "w", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def read_metrics(path: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """The Epoch records of a metrics log, each with its line (newline-terminated), and one message per
    line skipped (naming the file and the line number). A missing or unreadable file has none."""
    rows: list[tuple[str, dict[str, Any]]] = []
    skipped: list[str] = []
    try:
        with io.TextIOWrapper(open_regular(path), encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                why = None
                if len(line) > MAX_METRICS_LINE:
                    why = f"longer than {MAX_METRICS_LINE:,} characters"
                else:
                    try:
                        d = json.loads(line)
                    except RecursionError:
                        why = "nested too deeply"
                    except (ValueError, OverflowError) as e:
                        why = f"not JSON ({error_line(e, 80)})"
                    else:
                        epoch = d.get("epoch") if isinstance(d, dict) else None
                        if isinstance(epoch, int) and not isinstance(epoch, bool) and 0 <= epoch <= 10 ** 12:
                            rows.append((line if line.endswith("\n") else line + "\n", d))
                            continue
                        why = "not an epoch record (no whole-number 'epoch')"
                skipped.append(f"{path} line {n}: {why}; the line is skipped")
    except OSError:
        pass
    return rows, skipped


def _log_lines_up_to(path: Path, epoch: int) -> tuple[list[str], list[str]]:
    """The lines of an existing metrics log for epochs <= ``epoch`` (a resume drops later ones), and the
    messages about lines that could not be read."""
    rows, skipped = read_metrics(path)
    return [line for line, d in rows if d["epoch"] <= epoch], skipped


# -- reading ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunInfo:
    path: Path
    name: str  # the folder's name
    graph: str  # the graph's name
    source: str | None  # the graph file it trained
    status: str  # running | completed | stopped | error | unknown (no run.json: an older run)
    started: str | None
    finished: str | None
    epochs: int
    final: dict[str, Any] = field(default_factory=dict)  # train_loss, train_acc, val_loss, val_acc, ...
    config: dict[str, Any] = field(default_factory=dict)
    overfit: int | None = None

    @property
    def checkpoint(self) -> Path | None:
        p = self.path / WEIGHTS
        return p if p.is_file() else None


def _metrics(path: Path) -> list[dict[str, Any]]:
    return [d for _, d in read_metrics(path / METRICS)[0]]


def read_run(path: str | os.PathLike[str]) -> RunInfo | None:
    """A run folder's description; None when the folder holds neither run.json nor metrics.jsonl."""
    path = Path(path)
    doc: Any = None
    f = path / RUN_FILE
    if f.is_file() and f.stat().st_size <= MAX_RUN_FILE:
        try:
            doc = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            doc = None
    if not isinstance(doc, dict):
        rows = _metrics(path)
        if not rows:
            return None
        last = rows[-1]
        final = {k: last.get(k) for k in ("train_loss", "train_acc", "val_loss", "val_acc")}
        return RunInfo(path, path.name, "", None, "unknown", None, None, int(last["epoch"]), final)

    def get(key: str, kind: type, default: Any) -> Any:
        v = doc.get(key)
        return v if isinstance(v, kind) and not isinstance(v, bool) else default
    final = get("final", dict, None) or {}
    return RunInfo(path, path.name, get("graph", str, ""), get("source", str, None), get("status", str, "unknown"),
                   get("started", str, None), get("finished", str, None), get("epochs", int, 0), final,
                   get("config", dict, None) or {}, get("overfit", int, None))


def list_runs(graph_file: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None) -> list[RunInfo]:
    """The earlier runs of a graph file (oldest first): folders under ``folder`` (default: ``runs/``
    beside the file) whose run.json names this file as its source, and older runs without a run.json
    whose folder name starts with the file's stem."""
    base = Path(folder) if folder is not None else runs_folder(graph_file)
    if not base.is_dir():
        return []
    src = str(Path(graph_file).resolve())
    stem = file_stem(graph_file)
    out = []
    for d in sorted(p for p in base.iterdir() if p.is_dir()):
        r = read_run(d)
        if r is None:
            continue
        if r.source is not None:
            if r.source != src:
                continue
        elif not d.name.startswith(stem + "-"):
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r.started or "", r.name))


CURVES = ("train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "samples_per_s", "step")


def load_curves(run: RunInfo | str | os.PathLike[str]) -> dict[str, list[Any]]:
    """A run's per-epoch series from metrics.jsonl: ``{"epoch": [1, 2, ...], "train_loss": [...], ...}``
    (None where a value is missing; ``step``, the step each epoch ended on, is None in logs written
    before it was recorded), for overlaying earlier runs on the plots."""
    path = run.path if isinstance(run, RunInfo) else Path(run)
    rows = _metrics(path)
    out: dict[str, list[Any]] = {"epoch": [r["epoch"] for r in rows]}
    for k in CURVES:
        out[k] = [r.get(k) if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool) else None
                  for r in rows]
    return out


def weights_path(run: RunInfo | str | os.PathLike[str]) -> Path:
    """The weights of a run ("load weights from run X"); RunError when it left none."""
    path = run.path if isinstance(run, RunInfo) else Path(run)
    p = path / WEIGHTS
    if not p.is_file():
        raise RunError(f"{path}: this run left no weights ({WEIGHTS} is missing)")
    return p


def adopt_runs(folder: str | os.PathLike[str], graph_file: str | os.PathLike[str],
               skip: str | os.PathLike[str] | None = None) -> dict[Path, Path]:
    """Move the run folders in ``folder`` (the runs of a graph before its first save) to the runs folder
    beside ``graph_file``, named after its stem, with ``source`` in their run.json set to the file, so
    the file's Runs list shows them. ``skip``: a run still being written (moved later). Returns
    {old path: new path}; the emptied ``folder`` is removed. OSError when a move fails (the runs moved
    so far stay moved)."""
    src = Path(folder)
    if not src.is_dir():
        return {}
    dest = runs_folder(graph_file)
    target = str(Path(graph_file).resolve())
    stem = file_stem(graph_file)
    moved: dict[Path, Path] = {}
    for d in sorted(p for p in src.iterdir() if p.is_dir()):
        if skip is not None and d.resolve() == Path(skip).resolve():
            continue
        when = d.name.rsplit("-", 2)
        suffix = "-".join(when[-2:]) if len(when) >= 3 else d.name
        dest.mkdir(parents=True, exist_ok=True)
        new, k = dest / f"{stem}-{suffix}", 1
        while new.exists():
            k += 1
            new = dest / f"{stem}-{suffix}-{k}"
        os.replace(d, new)
        moved[d] = new
        doc = _run_doc(new)
        if doc is not None:
            doc["source"] = target
            write_json_atomic(new / RUN_FILE, doc)
    if not any(src.iterdir()):
        src.rmdir()
    return moved


def _run_doc(path: Path) -> dict[str, Any] | None:
    f = path / RUN_FILE
    try:
        if f.is_file() and f.stat().st_size <= MAX_RUN_FILE:
            doc = json.loads(f.read_text(encoding="utf-8"))
            return doc if isinstance(doc, dict) else None
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    return None
