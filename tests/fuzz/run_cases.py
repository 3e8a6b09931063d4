"""Run matrix cases through ``graphlab step`` and ``graphlab train`` (one batch) in this process, for
tests/fuzz/test_fuzz_params.py, which starts it as a subprocess so that a crash (a signal) or a hang
of torch's kernels fails the test instead of taking pytest down.

    python -m tests.fuzz.run_cases FOLDER INDEX [INDEX ...]

For each case index: ``begin INDEX`` on stdout (flushed: a crash names its case), then one JSON line
``{"case", "cmd", "code", "out", "err"}`` per command. The memory available is taken to be 300 MB, so
a case whose sizes check clean but are huge is refused, fast, instead of allocated.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def main(folder: str, indices: list[int]) -> int:
    import torch

    from graphlab.core import memory

    from .harness import run_cli, write
    from .param_matrix import cases, npz_bytes

    torch.set_num_threads(1)
    memory.available_bytes = lambda: 300 * 10 ** 6  # type: ignore[assignment]
    every = cases()
    for i in indices:
        case = every[i]
        print(f"begin {i}", flush=True)
        where = Path(folder) / f"c{i}"
        where.mkdir(parents=True, exist_ok=True)
        (where / "d.npz").write_bytes(npz_bytes(case.data))
        path = write(where / "g.graphlab.json", case.doc)
        for argv in (("step", path, "--batch", 2), ("train", path, "--epochs", 1, "--out", where / "run")):
            code, out, err = run_cli(*argv)
            print(json.dumps({"case": i, "cmd": argv[0], "code": code, "out": out[-1500:], "err": err[-1500:]}),
                  flush=True)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], [int(a) for a in sys.argv[2:]]))
