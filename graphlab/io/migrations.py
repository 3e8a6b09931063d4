"""Upgrades of older graph-file versions, applied in order before a file is read.

``MIGRATIONS[n]`` turns a version-n document (a plain dict) into a version n+1 document. Version 1
is the first format, so the table is empty; when version 2 arrives, add ``MIGRATIONS[1] = v1_to_v2``
and bump ``FORMAT_VERSION``. Migrations work on plain data and never execute anything from the file.
"""
from __future__ import annotations

from typing import Any, Callable

Doc = dict[str, Any]
MIGRATIONS: dict[int, Callable[[Doc], Doc]] = {}


def migrate(doc: Doc, version: int, target: int) -> Doc:
    while version < target:
        doc = MIGRATIONS[version](doc)
        version += 1
        doc["graphlab"] = version
    return doc
