"""Export a graph and its experiment as a standalone distributed training script.

The script needs torch (and scikit-learn for the digits dataset) and runs as

    torchrun --nproc_per_node=N script.py [--epochs E] [--batch-size B] [--lr LR] [--device D] [--out DIR]

on CPUs (gloo) or GPUs (nccl, chosen at run time), on one machine or several (torchrun's
``--nnodes/--node_rank/--master_addr``), or as plain ``python script.py`` (one process, no
DistributedDataParallel). It holds the model class (as in the Python export), the dataset, the
optimizer, schedule, regularization and gradient clipping of the graph's ``training`` section
(parsed by :func:`graphlab.run.config.parse_training`), and mirrors ``graphlab train``'s loop. What it
shares with the trainer is copied from GraphLab's source (:mod:`graphlab.export.torchrun_parts`): the
dataset recipes, ``preprocess``, the optimizer and schedule table, the regularization term, augmentation
and ``load_weights``.

* Built-in datasets (spiral, digits, adding, sine) are generated in the script with the same recipe,
  seed, validation split and preprocessing. Other in-memory datasets (npz, csv, MNIST,
  Fashion-MNIST, CIFAR-10) are read, split and preprocessed by GraphLab at export time and written
  beside the script as ``<stem>_data.pt`` (tensors only). Image folders are not supported.
* Every epoch all ranks draw the same permutation of the training split (a generator seeded from
  ``seed`` and the epoch, as the trainer does); rank r takes every world-th sample of it from r
  (truncated so that all ranks take the same number of steps), in batches of
  ceil(batch_size / world): the global batch stays ``batch_size`` and DDP averages the gradients.
  With one process this is exactly the trainer's loop, so ``python script.py`` reproduces ``graphlab train`` on CPU.
* Rank 0 evaluates the validation split, prints one line per epoch, and writes ``weights.pt`` (a
  state_dict, loadable with ``weights_only=True`` and into ``graphlab.compile(graph)``) and
  ``metrics.jsonl`` under ``--out``. At the end every rank prints a checksum of its weights, so
  agreement between ranks is visible.

With ``--weights`` the checkpoint becomes the starting point (``<stem>_init.pt`` beside the script).

The script is generated through :mod:`graphlab.export.codegen`: templates of trusted text whose slots
are filled in one pass, user data (graph name, file names, dataset paths and keys, training values)
only as literals. Nothing is built to write it: the model class comes from the analysis, and the
compiled module is built only to check and ship ``--weights``.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from .. import __version__
from ..core.analysis import Analysis, analyze
from ..core.graph import Graph
from ..core.registry import REGISTRY
from ..io import atomic_write
from .codegen import Code, Lit, Name, Template, join, literal
from .model_source import LOAD_WEIGHTS_SOURCE, ExportError, loss_call, model_source, script_words
from .torchrun_parts import (DATASET_ARGS, GENERATED_DATA, SAVED_DATA, augment_source, dataset_source, optimizer_source,
                             preprocess_source, regularization_source)
from .weights import compile_with_weights, write_state_dict

if TYPE_CHECKING:  # imported when an export runs
    from ..run.config import TrainConfig
    from ..run.datasets import Data

HEADER = Template('''"""A distributed training script exported by GraphLab: class @@CLASS@@ and its experiment.

    torchrun --nproc_per_node=2 <this file>      # 2 processes on this machine (gloo on CPU, nccl on GPUs)
    torchrun --nnodes=2 --node_rank=0 --master_addr=HOST --master_port=29500 --nproc_per_node=4 <this file>
    python <this file>                           # one process, no DistributedDataParallel

Options: --epochs, --batch-size (global), --lr, --device, --out. Needs torch@@NEEDS@@.
Each epoch every rank draws the same shuffle and takes a strided slice of it; gradients are averaged
by DistributedDataParallel, so the global batch is the graph's batch_size. Rank 0 prints progress and
writes weights.pt (a state_dict, load it with torch.load(path, weights_only=True)) and metrics.jsonl.
The graph's name and file are GRAPH_NAME and SOURCE_FILE below.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
from types import SimpleNamespace

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
''')

CONSTANTS = Template('''
GRAPH_NAME = @@GRAPH_NAME@@
SOURCE_FILE = @@SOURCE_FILE@@  # the graph file it was exported from (None: not from a file)
EXPORTED_BY = @@EXPORTED_BY@@
# The graph's "training" section with every key explicit (GraphLab docs/training.md explains them).
CONFIG = @@CONFIG@@
AUGMENT = SimpleNamespace(**CONFIG["augment"])  # hflip, crop_padding, color_jitter
INIT_WEIGHTS = @@INIT_WEIGHTS@@  # starting weights (a state_dict), or None for the seeded init
CLASSIFICATION = @@CLASSIFICATION@@
''')
#: a file beside the script, found from the script's own folder
BESIDE = Template("os.path.join(os.path.dirname(os.path.abspath(__file__)), @@NAME@@)")
AUGMENT_CALL = Code("            xb = augment_batch(xb, AUGMENT)\n")

MAIN = Template('''

def make_loss() -> nn.Module:
    return @@LOSS@@


def evaluate(model: nn.Module, loss_fn: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """(mean loss, accuracy or None) over a whole split, in eval mode, in chunks of 1024."""
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), 1024):
            out = model(x[i:i + 1024])
            total += float(loss_fn(out, y[i:i + 1024])) * len(out)
            if CLASSIFICATION:
                correct += int((out.argmax(1) == y[i:i + 1024]).sum())
    model.train()
    n = max(len(x), 1)
    return total / n, (correct / n if CLASSIFICATION else None)


def save_weights(model: nn.Module, path: str) -> None:
    """A plain state_dict (tensors only), written to a temporary file and renamed over the old one."""
    tmp = path + ".tmp"
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    os.replace(tmp, path)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--batch-size", type=int, default=None, help="global batch (default: the graph's; full batch "
                   "if it says so)")
    p.add_argument("--lr", type=float, default=CONFIG["optimizer"]["lr"])
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto" if CONFIG["device"] == "mps"
                   else CONFIG["device"])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), @@OUT_NAME@@),
                   help="folder for weights.pt and metrics.jsonl (rank 0 writes them)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    use_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
        # N processes on one machine share its cores: unless told (training.threads, OMP_NUM_THREADS),
        # each takes its share, as oversubscribed OpenMP threads spin against each other
        per_machine = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
        if CONFIG["threads"]:
            torch.set_num_threads(CONFIG["threads"])
        elif "OMP_NUM_THREADS" not in os.environ:
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // per_machine))
    if distributed:
        dist.init_process_group("nccl" if use_cuda else "gloo")

    x_train, y_train, x_val, y_val = (t.to(device) for t in load_data())
    seed = CONFIG["seed"]
    model = @@CLASS@@(seed=seed)  # the same initial weights as graphlab.compile(graph, seed=seed)
    if INIT_WEIGHTS is not None:
        load_weights(model, INIT_WEIGHTS)  # checked to fit first
    model.to(device)
    loss_fn = make_loss().to(device)
    weights = [p for p in model.parameters() if p.dim() >= 2]  # regularized: weights, not biases
    train_model = DDP(model, device_ids=[local_rank] if use_cuda else None) if distributed else model
    optimizer = build_optimizer(CONFIG["optimizer"]["name"], CONFIG["optimizer"], train_model.parameters(), args.lr)
    schedule = build_schedule(CONFIG["schedule"]["name"], CONFIG["schedule"], optimizer, args.epochs)  # per epoch
    l2, l1 = CONFIG["regularization"]["l2"], CONFIG["regularization"]["l1"]
    clip = CONFIG["clip_grad_norm"]

    n = len(x_train)
    batch = args.batch_size or CONFIG["batch_size"]  # global
    batch = n if batch == "full" else min(batch, n)
    per_rank = math.ceil(batch / world)
    shard = n // world  # samples per rank per epoch (the same on every rank)
    gen = torch.Generator()
    log = None
    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        log = open(os.path.join(args.out, "metrics.jsonl"), "w", encoding="utf-8")
        init_loss, init_acc = evaluate(model, loss_fn, x_train, y_train)
        params = sum(p.numel() for p in model.parameters())
        print(f"{type(model).__name__}: {params:,} parameters, {n} training samples, "
              f"{world} process(es) on {device}; loss at initialisation {init_loss:.4f}", flush=True)

    for epoch in range(1, args.epochs + 1):
        train_model.train()
        t0 = time.perf_counter()
        # As in graphlab train, each epoch's draws depend on (seed, epoch) only: the shuffle is the same on
        # every rank; dropout and augmentation differ between ranks (rank 0 draws what graphlab train does).
        gen.manual_seed(seed * 1_000_003 + epoch)
        torch.manual_seed(seed * 1_000_003 + epoch + 500_000 + rank * 1_000_000_007)
        perm = torch.randperm(n, generator=gen)
        if world > 1:
            perm = perm[: shard * world][rank::world]
        stats = torch.zeros(3, dtype=torch.float64)  # loss sum over steps, steps, correct
        for idx in perm.to(device).split(per_rank):
            xb, yb = x_train[idx], y_train[idx]
@@AUGMENT_CALL@@            out = train_model(xb)
            loss = loss_fn(out, yb)
            if l2 or l1:
                loss = loss + regularization(l2, l1, weights)  # ½·l2·ΣW² + l1·Σ|W|
            value = loss.item()
            if not math.isfinite(value):
                print(f"rank {rank}: the loss became {value} in epoch {epoch}; try a lower --lr", file=sys.stderr)
                return 1
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(train_model.parameters(), clip)
            optimizer.step()
            stats[0] += value
            stats[1] += 1
            if CLASSIFICATION:
                stats[2] += int((out.detach().argmax(1) == yb).sum())
        if distributed:
            dist.all_reduce(stats)
        lr = optimizer.param_groups[0]["lr"]
        if schedule is not None:
            schedule.step()
        if rank == 0:
            row = {"epoch": epoch, "train_loss": float(stats[0] / max(stats[1], 1)),
                   "train_acc": float(stats[2]) / max(shard * world, 1) if CLASSIFICATION else None,
                   "val_loss": None, "val_acc": None, "lr": lr, "seconds": round(time.perf_counter() - t0, 3)}
            if len(x_val):
                row["val_loss"], row["val_acc"] = evaluate(model, loss_fn, x_val, y_val)
            log.write(json.dumps(row) + "\\n")
            log.flush()
            save_weights(model, os.path.join(args.out, "weights.pt"))
            acc = "" if row["train_acc"] is None else f"  acc {row['train_acc']:.3f}"
            val = "" if row["val_loss"] is None else f"  val loss {row['val_loss']:.4f}"
            val += "" if row["val_acc"] is None else f"  val acc {row['val_acc']:.3f}"
            print(f"epoch {epoch}/{args.epochs}  loss {row['train_loss']:.4f}{acc}{val}  lr {lr:.3g}", flush=True)
    if log is not None:
        log.close()
        print(f"weights: {os.path.join(args.out, 'weights.pt')}", flush=True)
    checksum = sum(float(v.double().sum()) for v in model.state_dict().values() if v.is_floating_point())
    print(f"rank {rank}/{world} done: weights checksum {checksum!r}", flush=True)
    if distributed:
        dist.barrier()
        # DDP's reducer holds the process group: free it (and the optimizer over its parameters) first, so
        # the group and its gloo threads end here, in order, not in the interpreter's teardown (where a
        # still-joinable thread aborted the process now and then: "terminate called without an active
        # exception", exit code -6 after a finished run)
        del optimizer, schedule, train_model
        gc.collect()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
''')


def _setup(graph: Graph, base_dir: Path) -> tuple[TrainConfig, Data, Analysis]:
    """Parse the training section and build the dataset as the trainer would; check they fit the graph."""
    from ..run.config import ConfigError, parse_training
    from ..run.datasets import DataError, build_dataset
    from ..run.setup import SetupError, check_fit, check_graph

    try:
        cfg = parse_training(graph.training)
    except ConfigError as e:
        raise ExportError(str(e)) from None
    if cfg.dataset.name == "image_folder":
        raise ExportError("training.dataset.name: the torchrun export cannot ship an image folder (it is read "
                          "lazily); convert it to an .npz file, or use the python export in your own loop")
    a = analyze(graph)
    try:
        check_graph(graph, a)
        data = build_dataset(cfg, base_dir)
        check_fit(graph, a, data, cfg)
    except SetupError as e:
        where = e.node + (f".{e.field}" if e.field else "") if e.node else (e.field or "graph")
        raise ExportError(f"{where}: {e}") from None
    except DataError as e:
        raise ExportError(f"training.dataset: {e}") from None
    return cfg, data, a


def torchrun_source(graph: Graph, cfg: Any, *, stem: str, source: str | None, data_name: str | None,
                    init_name: str | None, analysis: Analysis | None = None) -> str:
    """The script's text for a parsed training config. ``stem``: the script's name without .py (its
    default --out is ``<stem>_out`` beside it); ``data_name``/``init_name``: the data and initial
    weights files beside it (None: a built-in dataset / the seeded init)."""
    a = analysis or analyze(graph)
    shared = [optimizer_source(), regularization_source(), LOAD_WEIGHTS_SOURCE.text]
    words = script_words(HEADER, CONSTANTS, BESIDE, MAIN, GENERATED_DATA, SAVED_DATA, augment_source(),
                         preprocess_source(), *shared, *(dataset_source(n) for n in DATASET_ARGS))
    ms = model_source(graph, cfg.seed, a, taken=words)
    if a.loss is None:
        raise ExportError("the graph has no loss node, so there is nothing to train")
    if data_name is None:
        params = cfg.dataset.params
        args = join([Code(f"{k}={literal(params[k])}") for k in DATASET_ARGS[cfg.dataset.name]], ", ")
        data_src = join([Code(dataset_source(cfg.dataset.name)), GENERATED_DATA.fill(DATASET_ARGS=args),
                         Code("\n\n" + preprocess_source() + "\n")], "\n")
    else:
        origin = f"dataset {cfg.dataset.name}" + (f" of {Path(source).name}" if source else "")
        data_src = SAVED_DATA.fill(DATA_NAME=Lit(data_name), DATA_ORIGIN=Lit(origin))
    header = HEADER.fill(CLASS=Name(ms.class_name),
                         NEEDS=Code(" and scikit-learn" if cfg.dataset.name == "digits" else ""))
    constants = CONSTANTS.fill(
        GRAPH_NAME=Lit(graph.name), SOURCE_FILE=Lit(Path(source).name if source else None),
        EXPORTED_BY=Lit(f"GraphLab {__version__}"), CONFIG=Lit(cfg.to_dict(), multiline=True),
        INIT_WEIGHTS=BESIDE.fill(NAME=Lit(init_name)) if init_name else Lit(None),
        CLASSIFICATION=Lit(_spec(graph, a.loss).task == "classification"))
    main = MAIN.fill(LOSS=loss_call(graph, a), OUT_NAME=Lit(stem + "_out"), CLASS=Name(ms.class_name),
                     AUGMENT_CALL=AUGMENT_CALL if cfg.augment.active else Code(""))
    parts = [header, constants, ms.code(), data_src, *(Code(text) for text in shared)]
    if cfg.augment.active:
        parts.append(Code(augment_source()))
    parts.append(main)
    return join([Code(p.text.strip("\n") + "\n") for p in parts], "\n\n").text


def _spec(graph: Graph, nid: str) -> Any:
    spec = REGISTRY.get(graph.nodes[nid].type)
    assert spec is not None  # the analysis reported unknown types
    return spec


def export_torchrun(graph: Graph, out: Path, *, weights: str | Path | None = None,
                    source: str | Path | None = None) -> list[Path]:
    """Write the training script (and its data / initial weights files beside it); return the paths."""
    base_dir = Path(source).resolve().parent if source else Path.cwd()
    cfg, data, a = _setup(graph, base_dir)
    if not data.in_memory:
        raise ExportError(f"training.dataset: dataset {cfg.dataset.name} is not held in memory; the torchrun "
                          f"export supports in-memory datasets")
    written: list[Path] = []
    stem = out.name[:-3] if out.name.endswith(".py") else out.stem
    init_name = data_name = None
    if weights is not None:
        gm = compile_with_weights(graph, a, weights, seed=cfg.seed, init=cfg.init)
        init_path = out.with_name(stem + "_init.pt")
        init_name = init_path.name
        if init_path.resolve() != Path(weights).resolve():  # never overwrite the checkpoint itself
            write_state_dict(gm, init_path)
            written.append(init_path)
    text = torchrun_source(graph, cfg, stem=stem, source=str(source) if source else None,
                           data_name=stem + "_data.pt" if cfg.dataset.name not in DATASET_ARGS else None,
                           init_name=init_name, analysis=a)
    try:
        compile(text, "<torchrun export>", "exec")
    except (SyntaxError, ValueError) as e:  # a generator bug must not leave a broken script behind
        raise ExportError(f"internal error: the generated script does not compile ({e}); please report it") from None
    if cfg.dataset.name not in DATASET_ARGS:  # not built in: ship the tensors beside the script
        data_path = out.with_name(stem + "_data.pt")
        buf = io.BytesIO()
        torch.save({"x_train": data.x_train, "y_train": data.y_train, "x_val": data.x_val, "y_val": data.y_val}, buf)
        atomic_write(data_path, buf.getvalue())
        written.append(data_path)
    atomic_write(out, text.encode("utf-8"))
    return [out] + written


__all__ = ["export_torchrun", "torchrun_source"]
