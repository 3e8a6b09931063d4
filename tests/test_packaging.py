"""Packaging (issue 7 B7, B8): a built wheel carries the examples and resources inside the package,
and the Examples menu of an installed (non-editable) GraphLab lists every example; an editable
install finds the same files in the checkout.

Builds from a copy of the source tree (nothing is written into the repository), without build
isolation (no network: the setuptools already installed builds it), and installs into throw-away
virtual environments that see the packages of the interpreter running the tests (torch, PySide6, pip,
setuptools: in a venv made as the README says, that venv's, not the base interpreter's) but not this
checkout.
"""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from graphlab.core.registry import CATEGORY_ORDER

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.graphlab.json"))

pytestmark = pytest.mark.slow

PROBE = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import graphlab
from graphlab.assets import examples_dir, list_examples, resources_dir
from graphlab.ui.app import make_app
from graphlab.ui.examples_menu import fill_examples_menu
from graphlab.ui.icons import app_icon, category_icon
from PySide6.QtWidgets import QMenu
make_app([])
menu = QMenu()
count = fill_examples_menu(menu, lambda p: None)
print(json.dumps({
    "package": graphlab.__file__,
    "examples_dir": str(examples_dir()),
    "resources_dir": str(resources_dir()),
    "examples": sorted(e.path.name for g in list_examples().values() for e in g),
    "groups": list(list_examples()),
    "menu_entries": count,
    "submenus": [a.text() for a in menu.actions() if a.menu() is not None],
    "app_icon": not app_icon().isNull(),
    "category_icons": {c: not category_icon(c).isNull() for c in sys.argv[1:]},
}))
"""


def _copy_source(dest: Path) -> Path:
    src = dest / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    # the package and every folder pyproject maps into it (examples, resources, docs…)
    with open(ROOT / "pyproject.toml", "rb") as f:
        mapped = tomllib.load(f)["tool"]["setuptools"]["package-dir"].values()
    for name in ("graphlab", *mapped):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    return src


def _run(cmd: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def running_site_dirs() -> list[str]:
    """The site-packages folders of the interpreter running the tests (a venv's own, not its base's)."""
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        dirs.append(site.getusersitepackages())
    return dirs


def _venv(where: Path) -> Path:
    """A throw-away venv that sees the running interpreter's packages. ``--system-site-packages`` would
    show the *base* interpreter's (no torch, no PySide6, an old setuptools when the tests run in a venv),
    so a ``.pth`` file lists the running one's site folders instead: plain path lines, whose own ``.pth``
    files (this checkout's editable install among them) are not processed. --without-pip: the running
    pip and setuptools do the work (ensurepip would shadow them with older ones)."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(where)], cwd=where.parent)
    python = where / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=where.parent).stdout.strip()
    Path(purelib, "running_interpreter.pth").write_text("\n".join(running_site_dirs()) + "\n")
    return python


def _probe(python: Path, cwd: Path) -> dict:
    script = cwd / "probe.py"
    script.write_text(PROBE)
    r = _run([str(python), str(script), *CATEGORY_ORDER], cwd=cwd)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_the_wheel_ships_examples_and_resources_and_the_menu_lists_them(tmp_path):
    src = _copy_source(tmp_path)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), "."], cwd=src)
    (wheel,) = dist.glob("graphlab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"graphlab/examples/{n}" for n in EXAMPLES} <= names
    assert "graphlab/resources/graphlab.svg" in names
    assert {f"graphlab/resources/categories/{c.lower()}.svg" for c in CATEGORY_ORDER} <= names
    assert not any(n.startswith(("examples/", "resources/")) for n in names)  # one copy, inside the package

    python = _venv(tmp_path / "venv")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    info = _probe(python, elsewhere)
    venv = str((tmp_path / "venv").resolve())
    assert info["package"].startswith(venv), info["package"]  # the installed copy, not this checkout
    assert info["examples_dir"].startswith(venv) and info["resources_dir"].startswith(venv)
    assert info["examples"] == EXAMPLES
    assert info["menu_entries"] == len(EXAMPLES)
    assert info["submenus"][:4] == ["Basics", "CNNs", "Recurrent", "Optimizers"]
    assert info["app_icon"] and all(info["category_icons"].values()), info["category_icons"]


def test_an_editable_install_finds_the_checkouts_examples(tmp_path):
    src = _copy_source(tmp_path)
    python = _venv(tmp_path / "venv")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-e", str(src)], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    info = _probe(python, elsewhere)
    assert info["package"].startswith(str(src.resolve()))
    assert info["examples_dir"] == str((src / "examples").resolve())
    assert info["resources_dir"] == str((src / "resources").resolve())
    assert info["examples"] == EXAMPLES and info["menu_entries"] == len(EXAMPLES)
    assert info["app_icon"] and all(info["category_icons"].values())
