"""The fuzz suite, the layer-parameter matrix (issue 16): every parameter of every layer type ×
extreme, wrong-typed and boundary values × the input ranks (tests/fuzz/param_matrix.py).

* ``check`` answers every case (exit 0, 1 or 2, no traceback); a value the parameter refuses is an
  error on the layer's node and field. The whole matrix runs in both profiles (it is deterministic).
* A sample of the cases that check clean goes through ``step`` and ``train`` for one batch in a
  subprocess: no signal, no hang, no traceback (every clean case with GRAPHLAB_FUZZ=long).
* Hypothesis draws combinations of two or three parameters for ``check``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphlab.core import REGISTRY, analyze
from graphlab.core.spec import ParamError
from graphlab.io import FileFormatError, loads

from .harness import assert_clean, run_cli, write
from .param_matrix import RANKS, Case, cases, values_for
from .strategies import LONG, fuzz_settings

ROOT = Path(__file__).resolve().parents[2]
ALL = cases()


def _refused_by_param(case: Case) -> bool:
    p = REGISTRY.get(case.layer).param_index[case.param]
    try:
        p.coerce(case.value)
    except ParamError:
        return True
    return False


def _analysis(case: Case):
    try:
        return loads(json.dumps(case.doc))
    except FileFormatError as e:
        assert str(e) and "\n" not in str(e), case.name
        return None


def test_the_analysis_answers_every_case_and_names_the_field() -> None:
    wrong = []
    for case in ALL:
        graph = _analysis(case)
        if graph is None:
            continue
        a = analyze(graph)
        node = "x" if case.layer == "Input" else "layer"
        if _refused_by_param(case) and not any(p.node == node and p.field == f"params.{case.param}" for p in a.errors):
            wrong.append(case.name)
        if any("\n" in p.text() for p in a.problems):
            wrong.append(case.name + " (a message of several lines)")
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("part", range(4))
def test_check_on_the_command_line_answers_every_case(part: int, tmp_path: Path) -> None:
    chosen = ALL[part::4]
    for i, case in enumerate(chosen):
        path = write(tmp_path / f"c{i}.graphlab.json", case.doc)
        assert_clean(run_cli("check", path), what=case.name)


def _clean_cases() -> list[int]:
    out = []
    for i, case in enumerate(ALL):
        graph = _analysis(case)
        if graph is not None and analyze(graph).ok:
            out.append(i)
    return out


def _sample(clean: list[int], n: int) -> list[int]:
    """The clean cases at a parameter's maximum (or a large value) first, one per layer and
    parameter, then the rest in order: the values most likely to reach a kernel's limits."""
    def big(case: Case) -> bool:
        p = REGISTRY.get(case.layer).param_index[case.param]
        v = case.value
        vals = v if isinstance(v, list) else [v]
        top = p.max if p.max is not None else 64
        return any(type(x) in (int, float) and not isinstance(x, bool) and abs(x) >= top for x in vals)

    first, seen = [], set()
    for i in clean:
        key = (ALL[i].layer, ALL[i].param)
        if big(ALL[i]) and key not in seen:
            seen.add(key)
            first.append(i)
    rest = [i for i in clean if i not in first]
    return (first + rest)[:n]


def _run_cases(indices: list[int], folder: Path, timeout: float) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    try:
        proc = subprocess.run([sys.executable, "-m", "tests.fuzz.run_cases", str(folder), *map(str, indices)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        begun = [line for line in out.splitlines() if line.startswith("begin ")]
        last = ALL[int(begun[-1].split()[1])].name if begun else "?"
        raise AssertionError(f"hang: the subprocess ran past {timeout:.0f} s, in case {last}") from None
    lines = proc.stdout.splitlines()
    begun = [line for line in lines if line.startswith("begin ")]
    where = ALL[int(begun[-1].split()[1])].name if begun else "?"
    assert proc.returncode == 0 and lines and lines[-1] == "done", \
        f"exit {proc.returncode} (a signal is negative) in case {where}: {proc.stderr[-2000:]}"
    for line in lines:
        if line.startswith("{"):
            r = json.loads(line)
            assert_clean((r["code"], r["out"], r["err"]), what=f"{r['cmd']} {ALL[r['case']].name}")


def test_a_sample_of_clean_cases_steps_and_trains_one_batch_in_a_subprocess(tmp_path: Path) -> None:
    clean = _clean_cases()
    assert len(clean) > 100  # the matrix exercises real layers, not only refusals
    if LONG:
        for k in range(0, len(clean), 60):
            _run_cases(clean[k:k + 60], tmp_path / f"part{k}", timeout=600)
    else:
        _run_cases(_sample(clean, 14), tmp_path, timeout=300)


@st.composite
def combos(draw) -> dict:
    """A layer with two or three of its parameters set from the matrix's values, at a drawn rank."""
    t = draw(st.sampled_from([t for t in REGISTRY.types() if len(REGISTRY.get(t).params) >= 2]))
    spec = REGISTRY.get(t)
    names = draw(st.lists(st.sampled_from([p.name for p in spec.params]), min_size=2, max_size=3, unique=True))
    params = {n: draw(st.sampled_from(values_for(spec.param_index[n]))) for n in names}
    from .param_matrix import _doc

    return _doc(spec, params, RANKS[draw(st.sampled_from(sorted(RANKS)))])


@given(doc=combos())
@fuzz_settings(40)
def test_check_answers_combinations_of_parameters(doc: dict, tmp_path_factory) -> None:
    path = write(tmp_path_factory.mktemp("p") / "g.graphlab.json", doc)
    assert_clean(run_cli("check", path), what=json.dumps(doc, default=str)[:2000])
    assert_clean(run_cli("check", path, "--json"))
