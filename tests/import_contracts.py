"""An import-linter contract type for "only lazily": what a module imports *when it is imported*.

``import_time_forbidden`` works like import-linter's ``forbidden`` contract, but first drops every
import statement that sits inside a function or lambda body (a lazy import runs only when that
function is called). What is left is the import-time graph: the chains of module-level imports
that run as soon as a module is imported. The contract is broken when such a chain leads from a
source module to a forbidden one — e.g. the editor importing torch just to open a window.

Imports under ``if TYPE_CHECKING:`` never run; the root option ``exclude_type_checking_imports``
drops them for every contract. Registered in pyproject.toml under ``[tool.importlinter]``
``contract_types``; lint-imports runs from the repository root, which puts this package on the path.
"""
from __future__ import annotations

import ast
import sys
from functools import lru_cache
from pathlib import Path

from importlinter import Contract, ContractCheck, fields, output


def _source(module: str) -> str | None:
    """The file of ``module`` on the path, found without importing anything (finding a submodule with
    importlib would import its package, which fails in a copy whose imports are broken on purpose)."""
    rel = Path(*module.split("."))
    for entry in sys.path:
        base = Path(entry or ".")
        for cand in (base / rel.with_suffix(".py"), base / rel / "__init__.py"):
            if cand.is_file():
                return str(cand)
    return None


@lru_cache(maxsize=None)
def _function_lines(module: str) -> frozenset[int]:
    """Line numbers inside function and lambda bodies of a module's source."""
    origin = _source(module)
    if origin is None:
        return frozenset()
    with open(origin, encoding="utf-8") as f:
        tree = ast.parse(f.read(), origin)
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            body = node.body if isinstance(node.body, list) else [node.body]
            for stmt in body:
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return frozenset(lines)


class ImportTimeForbiddenContract(Contract):
    """Source modules must not import the forbidden modules at import time (lazily is fine).

    Options: ``source_modules``, ``forbidden_modules`` (lists; external packages need the root
    option ``include_external_packages``); ``as_packages`` (default true: a source or forbidden
    module stands for its whole package; false: for that one module, e.g. a package's
    ``__init__`` alone). A source or forbidden module missing from the graph is skipped, so a
    contract can name a package that does not exist yet.
    """

    type_name = "import_time_forbidden"

    source_modules = fields.ListField(subfield=fields.StringField())
    forbidden_modules = fields.ListField(subfield=fields.StringField())
    as_packages = fields.BooleanField(required=False, default=True)

    def check(self, graph, verbose: bool) -> ContractCheck:  # type: ignore[no-untyped-def]
        roots = tuple(self.session_options.get("root_packages") or [self.session_options.get("root_package")])
        removed = 0
        for importer in sorted(graph.modules):
            if not importer.split(".")[0] in roots:
                continue
            lazy_lines = _function_lines(importer)
            if not lazy_lines:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                details = graph.get_import_details(importer=importer, imported=imported)
                if details and all(d["line_number"] in lazy_lines for d in details):
                    graph.remove_import(importer=importer, imported=imported)
                    removed += 1
        output.verbose_print(verbose, f"Dropped {removed} lazy (function-level) imports.")
        broken = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            if source not in graph.modules:
                continue
            for forbidden in self.forbidden_modules:  # type: ignore[attr-defined]
                if forbidden not in graph.modules:
                    continue
                for chain in sorted(graph.find_shortest_chains(importer=source, imported=forbidden,
                                                               as_packages=self.as_packages)):
                    steps = []
                    for a, b in zip(chain, chain[1:]):
                        lines = [d["line_number"] for d in graph.get_import_details(importer=a, imported=b)]
                        steps.append(f"{a} -> {b} (l.{', '.join(map(str, lines)) or '?'})")
                    broken.append((source, forbidden, steps))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for source, forbidden, steps in check.metadata["broken"]:
            output.print_error(f"{source} imports {forbidden} at import time (make the import lazy):")
            for step in steps:
                output.print_error(f"    {step}", bold=False)
            output.new_line()
