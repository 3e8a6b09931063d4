"""``graphlab evaluate RUN [RUN ...]``: evaluate on test, once (the course's honest figure).

    graphlab evaluate RUN [RUN ...] [--json]

One run folder scores that model on its held-out test split (``training.test_fraction``, which
training and search never read); several score their ensemble (the average of their softmax outputs)
and each member. The evaluation is recorded in each folder's ``test.json``; evaluating a model again
warns that its test figures are no longer unbiased. ``--json``: ``{"runs", "n", "test_loss",
"test_acc", "warnings"}`` (+ ``"members"`` for an ensemble; the ensemble's loss is the negative log
likelihood of its averaged probabilities). Exit codes: 0 done, 2 a folder or its data cannot be
used (one line). torch is imported only when the command runs.
"""
from __future__ import annotations

import json
import sys

from .cli import _Parser, command, fail
from .core.text import one_line


@command("evaluate")
def cmd_evaluate(argv: list[str]) -> int:
    p = _Parser(prog="graphlab evaluate", description="Evaluate a trained run (or the ensemble of several) on its "
                                                      "held-out test split, once.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders (several: their ensemble)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = p.parse_args(argv)
    from .run.runs import RunError
    from .run.testset import evaluate_on_test

    try:
        report = evaluate_on_test(args.runs)
    except RunError as e:
        return fail(str(e))
    for w in report.warnings:
        print(one_line(f"graphlab: warning: {w}"), file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json()))
        return 0
    r = report.result
    if len(r.runs) > 1:
        for run, s in zip(r.runs, r.members):
            print(f"member  test acc {_num(s.acc)}  loss {_num(s.loss)}  {run}")
        print(f"ensemble of {len(r.runs)} on {r.n} test samples: acc {_num(r.ensemble.acc)}, "
              f"NLL {_num(r.ensemble.loss)}")
    else:
        print(f"test ({r.n} samples): acc {_num(r.ensemble.acc)}, loss {_num(r.ensemble.loss)}")
    print("recorded in test.json; report this figure once")
    return 0


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.4f}"
