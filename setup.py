"""Packaging glue that pyproject.toml cannot express on its own: the packages are every package
under graphlab/ plus the data packages that pyproject's package-dir maps to the top-level folders
(``graphlab.examples`` = examples/, ``graphlab.resources`` = resources/, ``graphlab.docs`` = docs/, and
their subfolders)."""
from pathlib import Path

from setuptools import find_packages, setup

DATA = {"graphlab.examples": "examples", "graphlab.resources": "resources", "graphlab.docs": "docs"}


def data_packages() -> list[str]:
    found = []
    for package, folder in DATA.items():
        found.append(package)
        for sub in sorted(p for p in Path(folder).rglob("*") if p.is_dir() and "__pycache__" not in p.parts):
            found.append(".".join([package, *sub.relative_to(folder).parts]))
    return found


setup(packages=find_packages(include=["graphlab", "graphlab.*"]) + data_packages())
