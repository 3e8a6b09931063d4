"""Run the user's file and build their model on the meta device.

``FILE.py:NAME`` names a class or a function that takes no arguments and returns an ``nn.Module``
(or a module-level ``nn.Module`` instance). The file is imported as a fresh module with its folder on
``sys.path``, so it can import its neighbours. Running it is the user's explicit choice; see
docs/security.md. The model is built under ``torch.device("meta")``: its tensors have shapes but no
storage, so a ResNet-50 costs no memory and nothing is downloaded or initialised for real.

Every failure is an :class:`ImportRefused` whose line names the file and line where it happened.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import torch
from torch import nn

from ..core.text import error_line, quote
from .errors import ImportRefused


def split_target(target: str) -> tuple[Path, str]:
    """``model.py:make_net`` → (path, name); a Windows drive letter's colon is not the separator."""
    path_text, sep, name = str(target).rpartition(":")
    if not sep or not path_text or not name:
        raise ImportRefused(f"{quote(target)}: name the file and the model as FILE.py:NAME "
                            "(a class, or a function that returns the model)")
    if not name.isidentifier():
        raise ImportRefused(f"{quote(name)} is not a Python name; give FILE.py:NAME")
    return Path(path_text), name


def user_frame(tb: Any, path: Path) -> str | None:
    """``file.py:line`` of the deepest frame of ``tb`` in the user's file, else of the deepest frame
    outside torch (a library the file uses), else None."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    return where_in(frames, path)


def where_in(frames: list[traceback.FrameSummary], path: Path | None) -> str | None:
    mine = [f for f in frames if path is not None and _same_file(f.filename, path)]
    if mine:
        return f"{Path(mine[-1].filename).name}:{mine[-1].lineno}"
    torch_dir = str(Path(torch.__file__).parent)
    outside = [f for f in frames if not f.filename.startswith(torch_dir) and "importlib" not in f.filename
               and "/graphlab/importer/" not in f.filename.replace("\\", "/")]
    if outside:
        return f"{Path(outside[-1].filename).name}:{outside[-1].lineno}"
    return None


def _same_file(name: str, path: Path) -> bool:
    try:
        return Path(name).resolve() == path.resolve()
    except OSError:
        return False


@contextlib.contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(folder))


def run_file(path: Path) -> ModuleType:
    """Import the user's file as a fresh module (its folder on sys.path while it runs)."""
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    if path.suffix != ".py":
        raise ImportRefused(f"{path}: a model is imported from a Python file (.py)")
    tag = hashlib.sha1(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    name = f"graphlab_user_model_{tag}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportRefused(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling-free helpers look their module up here
    try:
        with _on_path(path.resolve().parent):
            spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:  # the user's code: anything can happen; one line says what
        sys.modules.pop(name, None)
        where = user_frame(e.__traceback__, path) or path.name
        raise ImportRefused(f"running the file raised {error_line(e, 300, with_type=True)}", where) from None
    return module


def required_arguments(obj: Any) -> list[str]:
    """The parameters a call of ``obj`` must be given (none for a factory GraphLab can call)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                           inspect.Parameter.KEYWORD_ONLY)]


def build_model(target: str) -> tuple[nn.Module, Path, str, str]:
    """(the model in eval mode, on the meta device unless the file made it already; its file; NAME;
    ``file.py:line`` where NAME is defined)."""
    path, name = split_target(target)
    module = run_file(path)
    obj = getattr(module, name, None)
    if obj is None:
        found = sorted(k for k, v in vars(module).items()
                       if not k.startswith("_") and (isinstance(v, nn.Module) or _makes_module(v, module)))
        hint = f" (it defines {', '.join(found[:8])})" if found else ""
        raise ImportRefused(f"{path.name} has no {quote(name)}{hint}")
    if isinstance(obj, nn.Module):
        model = obj
    else:
        if not callable(obj):
            raise ImportRefused(f"{name} is a {type(obj).__name__}, not a model class or a function that makes one",
                                path.name)
        needs = required_arguments(obj)
        if needs:
            where = _definition(obj, path)
            raise ImportRefused(f"{name} needs arguments ({', '.join(needs)}); name a function that takes none, "
                                f"e.g. def make_model(): return {name}(...)", where)
        try:
            with torch.device("meta"):
                model = obj()
        except (Exception, SystemExit) as e:
            where = user_frame(e.__traceback__, path) or path.name
            raise ImportRefused(f"building {name}() raised {error_line(e, 300, with_type=True)}", where) from None
        if not isinstance(model, nn.Module):
            raise ImportRefused(f"{name}() returned a {type(model).__name__}, not an nn.Module", _definition(obj, path))
    model.eval()
    return model, path, name, _definition(obj, path)


def _makes_module(v: Any, module: ModuleType) -> bool:
    return isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__


def _definition(obj: Any, path: Path) -> str:
    if isinstance(obj, nn.Module):
        obj = type(obj)
    try:
        line = inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return path.name
    return f"{path.name}:{line}"
