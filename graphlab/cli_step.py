"""``graphlab step FILE`` and ``graphlab gradcheck FILE``: the stepper and the gradient check from a terminal.

    graphlab step FILE [--json] [--inputs X.npz] [--weights CKPT] [--seed S] [--batch B] [--source SRC]
                       [--train-mode | --no-train-mode]
    graphlab gradcheck FILE [--json] [--inputs X.npz] [--weights CKPT] [--seed S] [--batch B] [--source SRC]
                            [--coords N] [--dataset]

Both read the file's ``step`` section (:class:`graphlab.step.config.StepConfig`: the source of the
inputs, typed values, seed, batch, weights, mode), as the editor's stepper does; each flag given
overrides its key. ``step`` walks every node forward then backward and prints each node's output
summary and gradient norms, then, for tensors of at most 4 numbers, the values and the signed
gradients as the course writes them (``∂f/∂x = -4``); ``--json``: the schema in
:mod:`graphlab.step.report`. ``gradcheck`` prints each node's worst relative error against centred
differences with the course's reading (``--json``:
``{"ok", "threshold", "nodes": {id: {"max_rel_error", "reading", "params", "inputs", "coords", "kinks"}}}``);
its batch is at most 2 unless ``--batch`` says otherwise.

``--inputs`` is an .npz with one array per Input node, named by the node id (with or without the batch
dimension), and optionally ``targets`` for the loss; it replaces the section's inputs, and only its
first ``--batch`` samples are used (a note on stderr says so when it holds more). Object and complex
arrays are refused. ``--weights`` is a checkpoint or a run folder. ``--source`` is dataset, random or
typed (``--dataset`` = ``--source dataset``).

Exit codes: 0 ok; 1 the graph has errors or cannot fit in the memory available (refused before
anything is built, naming the node and the sizes), a module fails on the batch, ``step`` met a
non-finite value, or ``gradcheck`` found a node above the threshold; 2 the file, its ``step`` section
or an argument (inputs, weights) cannot be used. Every problem is one line on stderr naming the node,
key or file. torch is imported only when a command runs.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from .cli import _Parser, command, fail
from .core.text import error_line, one_line, show_value
from .io import FileFormatError, load
from .run.schema import MAX_SEED


def _common(p: _Parser) -> None:
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--inputs", metavar="X.npz", help="one array per Input node (named by node id), optional 'targets'")
    p.add_argument("--weights", metavar="CKPT", help="a checkpoint (.safetensors or a torch state_dict) or a "
                   "run folder")
    p.add_argument("--seed", type=int, help=f"seed for weights, random inputs and the upstream gradient "
                   f"(0 to {MAX_SEED:,}; default: the file's step section, else 0)")
    p.add_argument("--source", metavar="SRC", help="where the inputs come from: dataset, random or typed "
                   "(default: the file's step section, else dataset)")


def _bad_args(args: Any) -> str | None:
    """The message for a --seed out of range (as ``train`` says it), or None (the step configuration
    checks --batch and the rest, naming the flag)."""
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        return f"--seed: must be from 0 to {MAX_SEED:,}, got {show_value(args.seed)}"
    return None


def _read_npz(path: str) -> dict[str, Any]:
    """The arrays of an .npz (never unpickled), each header read and checked before its data: an
    .npy, an object or complex array, a header that cannot be read, more than memory holds, not a
    regular file — each StepError one line naming the file (numpy's own advice never shows)."""
    import zipfile

    import numpy as np

    from .core import memory
    from .io.readfile import open_regular
    from .run.filedata import npy_header
    from .step import StepError

    p = Path(path)
    try:
        fh = open_regular(p)
    except FileNotFoundError:
        raise StepError(f"{p}: no such file (--inputs)") from None
    except OSError as e:
        raise StepError(f"{p}: cannot read: {e.strerror or error_line(e)} (--inputs)") from None
    with fh:
        if not zipfile.is_zipfile(fh):
            fh.seek(0)
            kind = "an .npy array file" if fh.read(6) == b"\x93NUMPY" else "not a readable .npz archive"
            raise StepError(f"{p}: {kind}; --inputs takes an .npz (np.savez) with one array per Input node, "
                            f"named by its node id, and optionally 'targets'")
        try:
            fh.seek(0)
            with zipfile.ZipFile(fh) as zf:
                need = 0
                for name in zf.namelist():
                    with zf.open(name) as member:
                        try:
                            shape, dtype = npy_header(member)
                        except ValueError as e:
                            raise StepError(f"{p}: member {name!r} is {e} (--inputs)") from None
                    key = name[:-4] if name.endswith(".npy") else name
                    if dtype.hasobject or dtype.kind not in "biuf":
                        what = "Python objects, which GraphLab never unpickles" if dtype.hasobject else \
                            "complex numbers; the layers take real values" if dtype.kind == "c" else f"dtype {dtype}"
                        raise StepError(f"{p}: array {key!r} holds {what}; save numeric arrays (--inputs)")
                    need += 2 * math.prod(shape) * max(dtype.itemsize, 8)
            avail = memory.available_bytes()
            if need > avail:
                raise StepError(f"{p}: its arrays need {memory.fmt_bytes(need)}, more than the "
                                f"{memory.fmt_bytes(avail)} of memory available (--inputs)")
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        except StepError:
            raise
        except Exception as e:  # noqa: BLE001 - a corrupt archive: BadZipFile, zlib.error, EOFError, ValueError...
            raise StepError(f"{p}: not a readable .npz of numeric arrays ({error_line(e)}) (--inputs)") from None


def _first_samples(graph: Any, arrays: dict[str, Any], batch: int) -> tuple[dict[str, Any], str | None]:
    """The arrays cut to their first ``batch`` samples (an array of one sample without its batch
    dimension is kept whole), and a note when something was cut."""
    from .core import analyze

    a = analyze(graph)
    out, most = {}, 0
    for key, arr in arrays.items():
        sample = tuple(a.nodes[key].shape or ()) if key in a.nodes else None
        if arr.ndim and tuple(arr.shape) != sample and arr.shape[0] > batch:
            most = max(most, arr.shape[0])
            arr = arr[:batch]
        out[key] = arr
    note = f"--inputs holds {most:,} samples; using the first {batch} (--batch)" if most else None
    return out, note


def step_config(graph: Any, args: Any, analysis: Any = None) -> Any:
    """The file's :class:`~graphlab.step.config.StepConfig` with the flags given applied. Raises
    StepConfigError (one line naming ``step.<key>`` or the flag)."""
    from .core import analyze
    from .step.config import check_typed, parse_step, with_overrides

    a = analysis if analysis is not None else analyze(graph)
    shapes = {nid: a.nodes[nid].shape for nid in a.inputs} if a.ok else None
    cfg = parse_step(graph.step, shapes)
    source = "dataset" if getattr(args, "dataset", False) else args.source
    cfg = with_overrides(cfg, source=source, seed=args.seed, batch=args.batch, weights=args.weights,
                         train_mode=getattr(args, "train_mode", None))
    if not getattr(args, "inputs", None):  # --inputs gives the values itself
        check_typed(cfg, shapes)
    return cfg


def _setup(args: Any, *, gradcheck: bool = False) -> tuple[Any, Any, dict[str, Any]]:
    """(graph, StepConfig, Stepper keyword arguments) from the file and the flags; raises
    FileFormatError/StepConfigError/StepError. Small graphs run on one torch thread, as the trainer runs
    them (a second thread's spin-waits cost more than they give on small ops, badly so on a busy machine)."""
    graph = load(args.file)
    from .core import analyze

    a = analyze(graph)
    cfg = step_config(graph, args, a)
    import torch

    from .run.setup import auto_threads

    threads = auto_threads(a, cfg.batch)
    if threads:
        torch.set_num_threads(threads)
    kwargs = cfg.stepper_kwargs(Path(args.file).resolve().parent, gradcheck=gradcheck)
    if gradcheck and args.batch is not None and "batch" in kwargs:
        kwargs["batch"] = cfg.batch  # asked for: not capped
    if args.inputs:
        arrays, note = _first_samples(graph, _read_npz(args.inputs), kwargs.get("batch", cfg.batch))
        if note:
            print(one_line(f"graphlab: note: {note}"), file=sys.stderr)
        if "targets" in arrays and "targets" not in a.inputs:
            kwargs["targets"] = arrays.pop("targets")
        kwargs["inputs"] = arrays
    return graph, cfg, kwargs


@command("step")
def cmd_step(argv: list[str]) -> int:
    p = _Parser(prog="graphlab step", description="Walk the graph forward then backward, node by node.")
    _common(p)
    p.add_argument("--batch", type=int, help="samples: the first B of --inputs, of the dataset, or random ones "
                   "(default: the file's step section, else 8)")
    p.add_argument("--train-mode", action=argparse.BooleanOptionalAction, default=None,
                   help="BatchNorm uses batch statistics, Dropout draws (seeded) masks "
                        "(default: the file's step section, else eval mode)")
    args = p.parse_args(argv)
    if _bad_args(args):
        return fail(_bad_args(args))
    from .step import StepConfigError, StepError, Stepper
    from .step.report import step_report

    try:
        graph, _cfg, kwargs = _setup(args)
        stepper = Stepper(graph, **kwargs)
        stepper.run(stop_at_nonfinite=False)
    except FileFormatError as e:
        return fail(str(e))
    except StepConfigError as e:  # a flag is named as given; the file's section after the file
        return fail(str(e) if e.field.startswith("--") else f"{args.file}: {e}")
    except StepError as e:
        return fail(f"{args.file}: {e}", 1 if e.kind in ("graph", "memory", "run") else 2)
    report = step_report(stepper)
    if args.json:
        print(json.dumps(report))
    else:
        _print_step(report)
        _print_signed(report, _objective(stepper))
    for warning in stepper.warnings:
        print(one_line(f"graphlab: warning: {warning}"), file=sys.stderr)
    return 1 if stepper.first_nonfinite else 0


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _print_step(report: dict[str, Any]) -> None:
    for note in report["notes"]:
        print(f"# {note}")
    width = max([len(n) for n in report["order"]] + [4])
    print(f"{'node':<{width}}  {'shape':<14} {'mean':>10} {'std':>10} {'min':>10} {'max':>10}  {'|dL/dout|':>10}")
    for nid in report["order"]:
        f = report["forward"].get(nid)
        b = report["backward"].get(nid, {})
        shape = ("×".join(str(d) for d in f["shape"]) or "scalar") if f else "?"
        vals = " ".join(f"{_fmt(f[k]):>10}" for k in ("mean", "std", "min", "max")) if f else ""
        print(f"{nid:<{width}}  {shape:<14} {vals}  {_fmt(b.get('grad_output_norm', '')):>10}")
    bad = report["first_nonfinite"]
    if bad:
        print(f"first non-finite value: {bad['node']} ({bad['phase']}): {bad['what']}")


#: tensors with at most this many numbers are written out with their signed gradients
SIGNED = 4


def _objective(stepper: Any) -> str:
    """What the gradients are of: the loss node, the one output of a graph without a loss, else L."""
    a = stepper.analysis
    if a.loss is not None:
        return str(a.loss)
    return str(a.sinks[0]) if len(a.sinks) == 1 else "L"


def _number(v: Any) -> str:
    if v is None:
        return "nan"
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:.4g}"


def _numbers(values: list[Any]) -> str:
    return _number(values[0]) if len(values) == 1 else "[" + ", ".join(_number(v) for v in values) + "]"


def _print_signed(report: dict[str, Any], objective: str) -> None:
    """Each small tensor's values and its gradient, signed, as the course writes them: x = -2  ∂f/∂x = -4."""
    rows = []
    for nid in report["order"]:
        values = report["forward"].get(nid, {}).get("values")
        grads = report["backward"].get(nid, {}).get("grad_output")
        if values is None or len(values) > SIGNED:
            continue
        grad = f"∂{objective}/∂{nid} = {_numbers(grads)}" if grads is not None and len(grads) <= SIGNED else ""
        rows.append((f"{nid} = {_numbers(values)}", grad))
    if not rows:
        return
    print()
    width = max(len(v) for v, _ in rows)
    for v, g in rows:
        print(f"{v:<{width}}  {g}".rstrip())


@command("gradcheck")
def cmd_gradcheck(argv: list[str]) -> int:
    p = _Parser(prog="graphlab gradcheck",
                description="Compare every node's gradients with centred differences (float64).")
    _common(p)
    p.add_argument("--batch", type=int, help="samples, the first B of --inputs too (default: the file's step "
                   "section's batch, at most 2)")
    p.add_argument("--coords", type=int, default=16, help="coordinates sampled per tensor (default 16)")
    p.add_argument("--dataset", action="store_true",
                   help="check at a validation batch of the training section's dataset (= --source dataset)")
    args = p.parse_args(argv)
    if args.coords < 1:
        return fail("--coords must be at least 1")
    if _bad_args(args):
        return fail(_bad_args(args))
    from .step import StepConfigError, StepError
    from .step.gradcheck import gradcheck

    try:
        graph, _cfg, kwargs = _setup(args, gradcheck=True)
        report = gradcheck(graph, coords=args.coords, **kwargs)
    except FileFormatError as e:
        return fail(str(e))
    except StepConfigError as e:  # a flag is named as given; the file's section after the file
        return fail(str(e) if e.field.startswith("--") else f"{args.file}: {e}")
    except StepError as e:
        return fail(f"{args.file}: {e}", 1 if e.kind in ("graph", "memory", "run") else 2)
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        _print_gradcheck(report)
    return 0 if report.ok else 1


def _print_gradcheck(report: Any) -> None:
    from .step.gradcheck import reading

    width = max([len(n) for n in report.nodes] + [4])
    for nid, c in report.nodes.items():
        err = c.max_rel_error
        params = ", ".join(f"{k} {v:.1e}" for k, v in c.params.items())
        kinks = f"; {c.kinks} at kinks left out" if c.kinks else ""
        text = f"{err:.1e}" if math.isfinite(err) else "not finite"
        print(f"{nid:<{width}}  {text:>9}  {reading(err):<24} {params}{kinks}")
    failed = report.failed
    print("ok" if not failed else f"{len(failed)} node(s) above {report.threshold:g}: {', '.join(failed)}")
