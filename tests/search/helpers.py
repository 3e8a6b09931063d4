"""A small spiral net with a search section, and ways to run the command line, shared by the search tests."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import graphlab
from graphlab import cli

SPIRAL: dict[str, Any] = {
    "graphlab": 2,
    "name": "spiral search",
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [2]}},
        {"id": "fc1", "type": "Linear", "params": {"out_features": 50}},
        {"id": "relu", "type": "ReLU"},
        {"id": "scores", "type": "Linear", "params": {"out_features": 3}},
        {"id": "loss", "type": "CrossEntropyLoss"},
    ],
    "edges": [{"from": "x", "to": "fc1"}, {"from": "fc1", "to": "relu"}, {"from": "relu", "to": "scores"},
              {"from": "scores", "to": "loss"}],
    "training": {"dataset": {"name": "spiral", "points": 60}, "optimizer": {"name": "sgd", "lr": 1.0},
                 "batch_size": "full", "epochs": 10, "val_fraction": 0.3},
    "search": {
        "space": {"training.optimizer.lr": {"log_uniform": [0.01, 10.0]},
                  "training.regularization.l2": {"log_uniform": [1e-5, 1e-3]},
                  "fc1.out_features": {"choice": [20, 50]}},
        "trials": 20, "sampler": "random", "epochs": 200, "metric": "val_acc", "pruning": True,
    },
}


def spiral_doc(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(SPIRAL)
    for key, value in changes.items():
        section, _, name = key.partition("__")
        if name:
            doc[section][name] = value
        else:
            doc[section] = value
    return doc


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc))
    return path


def gl(*args: Any, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`graphlab ARGS` as a user runs it, in a subprocess."""
    return subprocess.run([sys.executable, "-m", "graphlab", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def main(capsys: Any, *args: Any) -> tuple[int, str, str]:
    """`graphlab ARGS` in this process (the command line's own function): exit code, stdout, stderr."""
    code = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def load(path: Path) -> graphlab.Graph:
    return graphlab.load(path)
