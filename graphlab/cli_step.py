"""``graphlab step FILE`` and ``graphlab gradcheck FILE``: the stepper and the gradient check from a terminal.

    graphlab step FILE [--json] [--inputs X.npz] [--weights CKPT] [--seed S] [--batch B] [--train-mode]
    graphlab gradcheck FILE [--json] [--inputs X.npz] [--weights CKPT] [--seed S] [--batch B] [--coords N] [--dataset]

``step`` walks every node forward then backward and prints each node's output summary and gradient
norms (``--json``: the schema in :mod:`graphlab.step.report`); ``gradcheck`` prints each node's worst
relative error against centred differences with the course's reading (``--json``:
``{"ok", "threshold", "nodes": {id: {"max_rel_error", "reading", "params", "inputs", "coords", "kinks"}}}``).

``--inputs`` is an .npz with one array per Input node, named by the node id (with or without the batch
dimension), and optionally ``targets`` for the loss; its first ``--batch`` samples are used (a note on
stderr says so when it holds more). Object and complex arrays are refused. ``--weights`` is a checkpoint or a run folder.

Exit codes: 0 ok; 1 the graph has errors or cannot fit in the memory available (refused before
anything is built, naming the node and the sizes), a module fails on the batch, ``step`` met a
non-finite value, or ``gradcheck`` found a node above the threshold; 2 the file or an argument (inputs, weights) cannot
be used. Every problem is one line on stderr naming the node, key or file. torch is imported only when
a command runs.
"""
from __future__ import annotations

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
    p.add_argument("--weights", metavar="CKPT", help="a checkpoint (.safetensors) or a run folder")
    p.add_argument("--seed", type=int, default=0,
                   help=f"seed for weights, random inputs and the upstream gradient (0 to {MAX_SEED:,})")


def _bad_seed(args: Any) -> str | None:
    """The message for a --seed out of range (as ``train`` says it), or None."""
    if not 0 <= args.seed <= MAX_SEED:
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


def _setup(args: Any) -> tuple[Any, dict[str, Any]]:
    """(graph, Stepper keyword arguments) from the common options; raises FileFormatError/StepError.
    Small graphs run on one torch thread, as the trainer runs them (a second thread's spin-waits cost
    more than they give on small ops, badly so on a busy machine)."""
    graph = load(args.file)
    import torch

    from .core import analyze
    from .run.setup import auto_threads

    threads = auto_threads(analyze(graph), args.batch)
    if threads:
        torch.set_num_threads(threads)
    kwargs: dict[str, Any] = {"seed": args.seed, "base_dir": Path(args.file).resolve().parent,
                              "weights": args.weights, "batch": args.batch}
    if args.inputs:
        arrays, note = _first_samples(graph, _read_npz(args.inputs), args.batch)
        if note:
            print(one_line(f"graphlab: note: {note}"), file=sys.stderr)
        inputs_ids = set(analyze(graph).inputs)
        if "targets" in arrays and "targets" not in inputs_ids:
            kwargs["targets"] = arrays.pop("targets")
        kwargs["inputs"] = arrays
    return graph, kwargs


@command("step")
def cmd_step(argv: list[str]) -> int:
    p = _Parser(prog="graphlab step", description="Walk the graph forward then backward, node by node.")
    _common(p)
    p.add_argument("--batch", type=int, default=8,
                   help="samples (default 8): the first B of --inputs, of the dataset, or random ones")
    p.add_argument("--train-mode", action="store_true",
                   help="BatchNorm uses batch statistics, Dropout draws (seeded) masks; default: eval mode")
    args = p.parse_args(argv)
    if args.batch < 1:
        return fail("--batch must be at least 1")
    if _bad_seed(args):
        return fail(_bad_seed(args))
    from .step import StepError, Stepper
    from .step.report import step_report

    try:
        graph, kwargs = _setup(args)
        stepper = Stepper(graph, train_mode=args.train_mode, **kwargs)
        stepper.run(stop_at_nonfinite=False)
    except FileFormatError as e:
        return fail(str(e))
    except StepError as e:
        return fail(f"{args.file}: {e}", 1 if e.kind in ("graph", "memory", "run") else 2)
    report = step_report(stepper)
    if args.json:
        print(json.dumps(report))
    else:
        _print_step(report)
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


@command("gradcheck")
def cmd_gradcheck(argv: list[str]) -> int:
    p = _Parser(prog="graphlab gradcheck",
                description="Compare every node's gradients with centred differences (float64).")
    _common(p)
    p.add_argument("--batch", type=int, default=2, help="samples (default 2), the first B of --inputs too")
    p.add_argument("--coords", type=int, default=16, help="coordinates sampled per tensor (default 16)")
    p.add_argument("--dataset", action="store_true",
                   help="check at a validation batch of the training section's dataset (default: seeded N(0, 1) inputs)")
    args = p.parse_args(argv)
    if args.coords < 1 or args.batch < 1:
        return fail("--coords and --batch must be at least 1")
    if _bad_seed(args):
        return fail(_bad_seed(args))
    from .step import StepError
    from .step.gradcheck import gradcheck

    try:
        graph, kwargs = _setup(args)
        report = gradcheck(graph, coords=args.coords, dataset=args.dataset, **kwargs)
    except FileFormatError as e:
        return fail(str(e))
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
