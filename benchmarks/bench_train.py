"""Training throughput: graphlab's trainer against hand-written PyTorch loops, in one run.

Run: python benchmarks/bench_train.py [--quick] [--repeats R]

For each case (MLP on spiral, the digits CNN, LeNet-5 on 28×28, an LSTM on the adding problem) the
same architecture, data, optimizer (SGD with momentum), batch size and torch thread count are
trained by:

* ``graphlab``        — Trainer on the example graph as ``graphlab train`` runs it (Step events
  every 0.1 s), statistics off (``stats.budget`` 0);
* ``graphlab+stats``  — the same with the default statistics budget (2% of wall time);
* ``DataLoader loop`` — a hand-written nn.Module, TensorDataset + DataLoader(shuffle=True), as most
  tutorials write it;
* ``in-memory loop``  — the same module, batches indexed from tensors with a randperm.

Every loop does the same bookkeeping the trainer reports: the running loss (``loss.item()``) and,
for classification, the running accuracy. Throughput = training samples per second of one epoch;
each variant runs ``repeats`` times, interleaved in counterbalanced order (ABCD DCBA ...), and the
figure is the median over all epochs but the first of each run. The table prints medians and the ratios graphlab / baseline (goal: ≥ 1.0×
the DataLoader loop, ≥ 0.97× the in-memory loop) and graphlab+stats / graphlab (goal: ≥ 0.95).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402

import graphlab  # noqa: E402
from graphlab.run import events as ev  # noqa: E402
from graphlab.run.config import parse_training  # noqa: E402
from graphlab.run.datasets import build_dataset  # noqa: E402
from graphlab.cli_run import STEP_INTERVAL  # noqa: E402
from graphlab.run.trainer import Trainer  # noqa: E402


class LastStep(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(2, 32, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def hand_model(case: str) -> nn.Module:
    if case == "mlp_spiral":
        return nn.Sequential(nn.Linear(2, 100), nn.ReLU(), nn.Linear(100, 3))
    if case == "digits_cnn":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Dropout(0.25), nn.Linear(32 * 4 * 4, 10))
    if case == "lenet5":
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                             nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    return LastStep()


# case -> (example file, dataset section, batch size, epochs per run)
CASES = {
    "mlp_spiral": ("spiral_two_layer", {"name": "spiral", "points": 1000}, 32, 6),
    "digits_cnn": ("digits_cnn", "digits", 32, 4),
    "lenet5": ("lenet5", {"name": "digits", "size": 28}, 64, 3),
    "lstm_adding": ("adding_lstm", {"name": "adding", "length": 50, "samples": 2000}, 32, 3),
}


def section(case: str, budget: float, epochs: int) -> dict:
    _, ds, bs, _ = CASES[case]
    return {"dataset": ds, "val_fraction": 0, "optimizer": {"name": "momentum", "lr": 0.01}, "batch_size": bs,
            "epochs": epochs, "stats": {"budget": budget}, "seed": 0}


def run_graphlab(case: str, budget: float, epochs: int) -> list[float]:
    g = graphlab.load(ROOT / "examples" / f"{CASES[case][0]}.graphlab.json")
    g.training = section(case, budget, epochs)
    out: list[float] = []
    fin = Trainer(g, step_interval=STEP_INTERVAL).run(lambda e: out.append(e.samples_per_s) if isinstance(e, ev.Epoch) else None)
    assert fin.reason == "completed", fin
    return out[1:]


def run_hand(case: str, loader: bool, epochs: int, threads: int) -> list[float]:
    torch.set_num_threads(threads)
    cfg = parse_training(section(case, 0, epochs))
    data = build_dataset(cfg)
    x, y = data.x_train, data.y_train
    cls = data.task == "classification"
    torch.manual_seed(0)
    model = hand_model(case)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss() if cls else nn.MSELoss()
    bs = cfg.batch_size
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=bs, shuffle=True)
    rates = []
    for _ in range(epochs):
        model.train()
        t = time.perf_counter()
        running, correct = 0.0, 0
        batches = iter(dl) if loader else ((x[i], y[i]) for i in torch.randperm(len(x)).split(bs))
        for xb, yb in batches:
            out = model(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running += loss.item()
            if cls:
                correct += int((out.argmax(1) == yb).sum())
        rates.append(len(x) / (time.perf_counter() - t))
    return rates[1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 repeats, fewer epochs")
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--cases", default=",".join(CASES))
    args = ap.parse_args()
    repeats = 2 if args.quick else args.repeats
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads available; medians of {repeats} "
          "counterbalanced runs (samples/s, epochs after the first)")
    rows = []
    for case in args.cases.split(","):
        epochs = max(2, CASES[case][3] - (1 if args.quick else 0))
        from graphlab.run.setup import auto_threads

        g = graphlab.load(ROOT / "examples" / f"{CASES[case][0]}.graphlab.json")
        threads = auto_threads(graphlab.analyze(g), CASES[case][2]) or torch.get_num_threads()
        res: dict[str, list[float]] = {k: [] for k in ("graphlab", "graphlab+stats", "DataLoader loop",
                                                       "in-memory loop")}
        runs = [("DataLoader loop", lambda: run_hand(case, True, epochs, threads)),
                ("graphlab", lambda: run_graphlab(case, 0.0, epochs)),
                ("in-memory loop", lambda: run_hand(case, False, epochs, threads)),
                ("graphlab+stats", lambda: run_graphlab(case, 0.02, epochs))]
        for i in range(repeats):  # counterbalanced: forward order, then reversed, ...
            for name, fn in (runs if i % 2 == 0 else runs[::-1]):
                res[name] += fn()
        med = {k: statistics.median(v) for k, v in res.items()}
        rows.append((case, threads, med))
    hdr = (f"{'case':<12} {'thr':>3} {'graphlab':>10} {'+stats':>10} {'DataLoader':>10} {'in-memory':>10} "
           f"{'vs DL':>7} {'vs mem':>7} {'stats':>7}")
    print(hdr)
    print("-" * len(hdr))
    for case, threads, m in rows:
        print(f"{case:<12} {threads:>3} {m['graphlab']:>10,.0f} {m['graphlab+stats']:>10,.0f} "
              f"{m['DataLoader loop']:>10,.0f} {m['in-memory loop']:>10,.0f} "
              f"{m['graphlab'] / m['DataLoader loop']:>6.2f}× {m['graphlab'] / m['in-memory loop']:>6.2f}× "
              f"{m['graphlab+stats'] / m['graphlab']:>6.2f}×")
    print("vs DL / vs mem: graphlab ÷ hand-written loop (goals ≥ 1.00 / ≥ 0.97); "
          "stats: graphlab with 2% statistics budget ÷ without (goal ≥ 0.95)")


if __name__ == "__main__":
    main()
