"""Refusals are one line naming what and where (file:line); a refused import writes nothing. Also the
command line's own behaviour: exit codes, the weights it writes, the shape it guesses, and the
torch.export fallback giving the same graph torch.fx gives."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from graphlab.cli import main
from graphlab.compiler import compile_graph
from graphlab.importer import ImportRefused, import_model
from graphlab.importer import tracing
from graphlab.io import dumps, load
from graphlab.run.checkpoint import read_checkpoint
from tests.importer import zoo

MODELS = textwrap.dedent('''\
    import torch
    from torch import nn


    class Sine(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return torch.sin(self.fc(x))


    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            if x.sum() > 0:
                return self.fc(x)
            return self.fc(x).relu()


    def needs(num_classes, width=3):
        return Sine()


    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(self.fc(x))


    class ShapeBranch(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            if x.shape[-1] > 8:
                x = nn.functional.max_pool2d(x, 2)
            x = torch.relu(self.conv(x))
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


    class InPlace(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.act = nn.ReLU(inplace=True)

        def forward(self, x):
            y = self.fc(x)
            z = self.act(y)
            return z + y
    ''')


@pytest.fixture
def models(tmp_path: Path) -> Path:
    p = tmp_path / "models.py"
    p.write_text(MODELS)
    return p


def _line(text: str) -> int:
    return next(i for i, line in enumerate(MODELS.splitlines(), 1) if text in line)


@pytest.mark.parametrize("name, shape, words, line", [
    ("Sine", (4,), "torch.sin has no palette equivalent", "return torch.sin"),
    ("Branchy", (4,), "branches on the values in a tensor", "if x.sum() > 0"),
    ("needs", (4,), "needs arguments (num_classes)", "def needs"),
    ("Shared", (4,), "sharing its weights with node fc", "return self.fc(self.fc(x))"),
    ("InPlace", (4,), "changes its input in place", "z = self.act(y)"),
])
def test_each_refusal_is_one_line_naming_the_source_line(models: Path, name: str, shape: tuple, words: str,
                                                         line: str) -> None:
    with pytest.raises(ImportRefused) as e:
        import_model(f"{models}:{name}", shape)
    text = str(e.value)
    assert words in text and "\n" not in text and "Traceback" not in text
    assert text.startswith(f"models.py:{_line(line)}: "), text


def test_a_file_that_raises_on_import_names_its_line(tmp_path: Path) -> None:
    p = tmp_path / "broken.py"
    p.write_text("import torch\n\nWIDTH = undefined_name * 2\n")
    with pytest.raises(ImportRefused, match=r"^broken.py:3: running the file raised NameError: name 'undefined_name'"):
        import_model(f"{p}:Net", (3,))


def test_the_command_line_refuses_with_exit_1_and_one_line(models: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.graphlab.json"
    assert main(["import", f"{models}:Sine", "--input-shape", "4", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("graphlab: models.py:") and "torch.sin" in err
    assert not out.exists()
    assert main(["import", f"{models}:Sine", "--input-shape", "4,x", "-o", str(out)]) == 2
    assert main(["import", f"{models}:Nope", "--input-shape", "4", "-o", str(out)]) == 1
    assert "has no 'Nope' (it defines" in capsys.readouterr().err


def test_torch_export_takes_over_where_fx_cannot_trace(models: Path) -> None:
    result = import_model(f"{models}:ShapeBranch", (3, 16, 16))
    assert result.tracer == "torch.export" and any("torch.export" in n for n in result.notes)
    assert [n.type for n in result.graph.nodes.values()] == ["Input", "MaxPool2d", "Conv2d", "ReLU",
                                                              "AdaptiveAvgPool2d", "Flatten", "Linear"]


@pytest.mark.parametrize("name", ["resnet_basic", "squeezenet", "lstm_classifier", "gru_by_state", "mobilenet_v2"])
def test_torch_export_gives_the_graph_torch_fx_gives(name: str, monkeypatch) -> None:
    target = f"{zoo.__file__}:{name}"
    by_fx = import_model(target, zoo.INPUTS[name])

    def no_fx(*args, **kwargs):
        raise RuntimeError("fx disabled for this test")

    monkeypatch.setattr(tracing, "trace_fx", no_fx)
    by_export = import_model(target, zoo.INPUTS[name])
    assert by_export.tracer == "torch.export"
    assert dumps(by_export.graph) == dumps(by_fx.graph) and by_export.keys == by_fx.keys


def test_weights_are_written_beside_the_graph_in_checkpoint_form(tmp_path: Path, capsys) -> None:
    torch.manual_seed(0)
    model = zoo.lstm_classifier().eval()
    pt = tmp_path / "lstm.pt"
    torch.save({"state_dict": model.state_dict()}, pt)
    out = tmp_path / "net.graphlab.json"
    assert main(["import", f"{zoo.__file__}:lstm_classifier", "--input-shape", "9,12", "--weights", str(pt),
                 "-o", str(out)]) == 0
    assert "weights:" in capsys.readouterr().out
    state, optim, meta = read_checkpoint(tmp_path / "net.safetensors")
    assert meta["format"] == "graphlab-checkpoint-1" and not optim
    gm = compile_graph(load(out)).eval()
    gm.load_state_dict(state, strict=True)
    x = torch.randn(3, 9, 12)
    assert torch.allclose(gm(x), model(x), atol=1e-6)
    wrong = {k: (v[:1] if k == "fc.weight" else v) for k, v in model.state_dict().items()}
    torch.save(wrong, pt)
    assert main(["import", f"{zoo.__file__}:lstm_classifier", "--input-shape", "9,12", "--weights", str(pt),
                 "-o", str(tmp_path / "other.graphlab.json")]) == 1
    assert "fc.weight is [1, 32] but node fc needs [5, 32]" in capsys.readouterr().err
    assert not (tmp_path / "other.graphlab.json").exists()


def test_the_input_shape_is_guessed_from_the_first_layer(capsys, tmp_path: Path) -> None:
    result = import_model(f"{zoo.__file__}:squeezenet")
    assert result.input_shape == (3, 224, 224) and "guessed" in result.notes[0]
    assert import_model(f"{zoo.__file__}:gru_by_state").input_shape == (8, 6)
