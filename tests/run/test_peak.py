"""The matmul peak: measured once per key, cached in the user's cache folder, read without torch; a run
reports its FLOPs a step before it starts and its achieved GFLOP/s and share of the peak at the end."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from graphlab.core import analyze
from graphlab.io import load
from graphlab.run import peak


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHLAB_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_measured_once_then_read_from_the_cache(cache, monkeypatch) -> None:
    calls = []
    real = peak.measure_peak

    def counting(device: str = "cpu", seconds: float = 0.05):
        calls.append(device)
        return real(device, 0.05)

    monkeypatch.setattr(peak, "measure_peak", counting)
    assert peak.cached_peak("cpu", 1) is None
    first = peak.calibrated_peak("cpu", 1)
    assert first > 0 and calls == ["cpu"]
    assert peak.calibrated_peak("cpu", 1) == pytest.approx(first, abs=0.01) and calls == ["cpu"]
    assert peak.cached_peak("cpu", 1) == pytest.approx(first, abs=0.01)
    data = json.loads((cache / peak.CACHE_NAME).read_text())
    assert list(data["peaks"]) == [peak.peak_key("cpu", 1)]
    assert peak.torch_version() in peak.peak_key("cpu", 1)
    peak.calibrated_peak("cpu", 2)  # another thread count is another key
    assert calls == ["cpu", "cpu"] and len(json.loads((cache / peak.CACHE_NAME).read_text())["peaks"]) == 2


def test_an_unreadable_cache_is_measured_again_and_rewritten(cache, monkeypatch) -> None:
    (cache / peak.CACHE_NAME).write_text("{not json")
    assert peak.cached_peak("cpu", 1) is None
    monkeypatch.setattr(peak, "measure_peak", lambda device="cpu", seconds=0.3: (123.0, 512))
    assert peak.calibrated_peak("cpu", 1) == 123.0
    assert peak.cached_peak("cpu", 1) == 123.0


def test_reading_the_cache_imports_no_torch(cache) -> None:
    code = ("import sys; from graphlab.run.peak import cached_peak; cached_peak('cpu', 1); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_achieved_is_flops_over_seconds_against_the_peak() -> None:
    got = peak.achieved(4e9, 2.0, 100.0)
    assert got == {"gflops": 2.0, "peak_gflops": 100.0, "peak_percent": 2.0}
    assert peak.achieved(0, 0.0, 100.0)["gflops"] is None


def test_a_run_reports_its_flops_and_its_share_of_the_peak(cache, examples_dir) -> None:
    from graphlab.run import events as ev
    from graphlab.run.trainer import train

    g = load(examples_dir / "spiral_two_layer.graphlab.json")
    g.training["epochs"] = 3
    fin, events = train(g)
    start = next(e for e in events if isinstance(e, ev.RunStarted))
    a = analyze(g)
    assert g.training["batch_size"] == "full" and g.training["val_fraction"] == 0
    batch = 3 * 100  # the whole spiral: 3 classes of 100 points
    assert start.flops_per_step == (a.total_flops + a.total_flops_backward) * batch
    assert start.peak_gflops in (peak.cached_peak("cpu", 1), peak.cached_peak("cpu", 2))  # the run's threads
    assert start.predicted_ms == pytest.approx(start.flops_per_step / start.peak_gflops / 1e6)
    f = fin.final
    assert f["gflops"] > 0 and f["peak_gflops"] == pytest.approx(start.peak_gflops, abs=0.01)
    assert f["peak_percent"] == pytest.approx(100 * f["gflops"] / f["peak_gflops"], rel=0.01)
    assert "GFLOP/s" in ev.compute_figures(f) and "ms a step" in ev.predicted_text(start)
