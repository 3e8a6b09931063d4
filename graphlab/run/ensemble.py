"""Models from run folders, and averaging their predictions (the course's model ensembles, §7.1).

A *member* is a finished run folder: its graph (``graph.graphlab.json`` in the folder, as a search
trial writes it, else the graph file run.json names as its source), its training section as the run
recorded it (``run.json``'s ``config``: the same dataset, split and preprocessing) and its weights
(``last.safetensors``). :func:`evaluate_members` runs every member once over a split — validation,
or the held-out test split — and reports each member's data loss and accuracy beside the
ensemble's: the average of the members' softmax probabilities, its accuracy and its negative log
likelihood. Members must share the data (dataset, split and preprocessing) to be averaged. torch, no
Qt; a folder that cannot be used is one :class:`~graphlab.run.runs.RunError` line naming it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..compiler import CompileError, compile_graph, info
from ..core.graph import Graph
from ..io import FileFormatError, load
from .checkpoint import CheckpointError, restore
from .config import ConfigError, TrainConfig, parse_training
from .datasets import Data, DataError, build_dataset
from .evaluate import EVAL_BATCH
from .runs import RUN_FILE, WEIGHTS, RunError, read_run

GRAPH_FILE = "graph.graphlab.json"
#: the training fields that decide which samples a split holds and how they are scaled
DATA_KEYS = ("dataset", "val_fraction", "test_fraction", "preprocess")


@dataclass
class Member:
    run: Path
    graph: Graph
    cfg: TrainConfig
    base_dir: Path
    module: torch.nn.Module
    loss_fn: torch.nn.Module


@dataclass
class Scores:
    loss: float | None  # a member's data loss; the ensemble's negative log likelihood
    acc: float | None


@dataclass
class EnsembleResult:
    split: str
    n: int
    members: list[Scores]
    ensemble: Scores
    runs: list[str] = field(default_factory=list)

    @property
    def best_member(self) -> int:
        """The index of the member with the best accuracy (the lowest loss when there is none)."""
        def key(i: int) -> float:
            s = self.members[i]
            return -s.acc if s.acc is not None else (s.loss if s.loss is not None else math.inf)
        return min(range(len(self.members)), key=key)


def _graph_of(run: Path, source: str | None) -> Graph:
    path = run / GRAPH_FILE
    if not path.is_file():
        if not source:
            raise RunError(f"{run}: holds no {GRAPH_FILE} and run.json names no graph file")
        path = Path(source)
    try:
        return load(path)
    except FileFormatError as e:
        raise RunError(f"{run}: its graph cannot be read: {e}") from None


def load_member(run: str | Path) -> Member:
    """A finished run as a model in eval mode; RunError naming the folder otherwise."""
    run = Path(run)
    if not run.is_dir():
        raise RunError(f"{run}: no such run folder")
    r = read_run(run)
    if r is None or not (run / RUN_FILE).is_file():
        raise RunError(f"{run}: not a run folder (no {RUN_FILE})")
    if not r.config:
        raise RunError(f"{run}: run.json does not record the training section")
    if not (run / WEIGHTS).is_file():
        raise RunError(f"{run}: this run left no weights ({WEIGHTS} is missing)")
    graph = _graph_of(run, r.source)
    try:
        cfg = parse_training(r.config)
        gm = compile_graph(graph, seed=cfg.seed, init=cfg.init)
        restore(run / WEIGHTS, gm)
    except ConfigError as e:
        raise RunError(f"{run}: run.json's training section: {e}") from None
    except (CompileError, ValueError) as e:
        raise RunError(f"{run}: its graph cannot be built: {str(e).splitlines()[0]}") from None
    except CheckpointError as e:
        raise RunError(f"{run}: the weights do not fit its graph: {e}") from None
    gm.eval()
    loss = info(gm).loss
    if loss is None:  # a run trained it, so it had one
        raise RunError(f"{run}: its graph has no loss node")
    base = Path(r.source).parent if r.source else run
    return Member(run, graph, cfg, base, gm, loss)


def _data_of(cfg: TrainConfig) -> dict[str, Any]:
    d = cfg.to_dict()
    return {k: d[k] for k in DATA_KEYS}


def check_same_data(members: list[Member]) -> None:
    first = _data_of(members[0].cfg)
    for m in members[1:]:
        mine = _data_of(m.cfg)
        if mine != first:
            diff = next(k for k in DATA_KEYS if mine[k] != first[k])
            raise RunError(f"{m.run}: trained on other data than {members[0].run} (training.{diff} differs: "
                           f"{json.dumps(mine[diff])} vs {json.dumps(first[diff])}); an ensemble averages models of "
                           f"the same data")


def split_tensors(data: Data, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    if data.in_memory:
        x, y = {"val": (data.x_val, data.y_val), "test": (data.x_test, data.y_test),
                "train": (data.x_train, data.y_train)}[split]
        assert x is not None and y is not None
        return x, y
    ds = {"val": data.val_set, "test": data.test_set, "train": data.train_set}[split]
    xs, ys = zip(*(ds[i] for i in range(len(ds)))) if ds is not None and len(ds) else ((), ())
    if not xs:
        return torch.empty(0), torch.empty(0, dtype=torch.long)
    return torch.stack(list(xs)), torch.as_tensor(list(ys))


def load_split(members: list[Member], split: str) -> tuple[Data, torch.Tensor, torch.Tensor]:
    cfg = members[0].cfg
    try:
        data = build_dataset(cfg, members[0].base_dir, with_test=split == "test")
    except DataError as e:
        raise RunError(f"{members[0].run}: the data cannot be read: {e}") from None
    x, y = split_tensors(data, split)
    return data, x, y


def evaluate_members(members: list[Member], split: str = "val") -> EnsembleResult:
    """Each member's and the ensemble's figures on ``split`` (``val`` or ``test``)."""
    if not members:
        raise RunError("an ensemble needs at least one run folder")
    check_same_data(members)
    data, x, y = load_split(members, split)
    if len(x) == 0:
        what = "test_fraction" if split == "test" else "val_fraction"
        raise RunError(f"{members[0].run}: the {split} split is empty (training.{what} is 0 for this run)")
    cls = data.task == "classification"
    scores: list[Scores] = []
    prob_sum: torch.Tensor | None = None
    with torch.no_grad():
        for m in members:
            outs = [m.module(x[i:i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH)]
            out = torch.cat(outs)
            loss = float(m.loss_fn(out, y))
            if cls:
                probs = torch.softmax(out.double(), 1)
                prob_sum = probs if prob_sum is None else prob_sum + probs
                scores.append(Scores(loss, float((out.argmax(1) == y).double().mean())))
            else:
                prob_sum = out.double() if prob_sum is None else prob_sum + out.double()
                scores.append(Scores(loss, None))
    assert prob_sum is not None
    avg = prob_sum / len(members)
    if cls:
        nll = float(-torch.log(avg.gather(1, y.view(-1, 1)).clamp_min(1e-300)).mean())
        ens = Scores(nll, float((avg.argmax(1) == y).double().mean()))
    else:  # regression: the average prediction, scored by the first member's loss
        ens = Scores(float(members[0].loss_fn(avg.to(x.dtype), y)), None)
    return EnsembleResult(split, len(x), scores, ens, [str(m.run) for m in members])
