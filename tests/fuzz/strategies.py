"""Hypothesis strategies for hostile input, the settings of the fuzz suite, and an AST normaliser.

``GRAPHLAB_FUZZ=long`` selects the long profile (many more examples, random seeds); the default is
the quick, derandomized profile the README's test command runs.
"""
from __future__ import annotations

import ast
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

LONG = os.environ.get("GRAPHLAB_FUZZ", "quick") == "long"


def fuzz_settings(quick: int, long: int | None = None) -> settings:
    """``quick`` examples (derandomized, so a run is repeatable) or, with GRAPHLAB_FUZZ=long, ``long``."""
    return settings(max_examples=(long or quick * 25) if LONG else quick, deadline=None, derandomize=not LONG,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
                    print_blob=True)


def _template_markers() -> list[str]:
    """Every @@SLOT@@ marker the exporters' templates use, and some they do not."""
    root = Path(__file__).resolve().parents[2] / "graphlab" / "export"
    found = set()
    for path in root.glob("*.py"):
        found |= set(re.findall(r"@@[A-Z][A-Z0-9_]*@@", path.read_text(encoding="utf-8")))
    return sorted(found | {"@@CLASSIFICATION@@", "@@INIT_WEIGHTS@@", "@@NAME@@", "@@X@@", "@@"})


#: pieces that break naive code generation: quotes of every kind, escapes, line and paragraph
#: separators, NUL and control characters, template markers, format placeholders, comment starts
HOSTILE_PIECES = ['"', "'", '"""', "'''", "\\", "\\n", "\\x00", "\x00", "\n", "\r", "\r\n", "\t", "\x0b", "\x0c",
                  "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\ufeff", "\u202e", "#", ";", ":", "(", ")", "{", "}",
                  "{0}", "{name}", "%s", "%(x)s", "%", "$", "`", "f'{x}'", "\\N{BULLET}", "é", "中", "😀",
                  "import os; os.system('echo pwned')", "__import__('os')", "'); exit(1) #", '"""; x = 1; """',
                  "\ndef f():\n    pass\n", " ", "a", "_", "0"] + _template_markers()


def hostile_text(min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    """Strings made of hostile pieces and arbitrary characters (including surrogates' neighbours)."""
    piece = st.one_of(st.sampled_from(HOSTILE_PIECES), st.characters(blacklist_categories=("Cs",)))
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


def file_text(min_size: int = 1) -> st.SearchStrategy[str]:
    """Hostile text that can be a file name: no NUL, no '/', not '.' or '..', not too long."""
    return hostile_text(min_size, 8).map(lambda s: s.replace("\x00", "").replace("/", "_")).filter(
        lambda s: s not in ("", ".", "..") and len(s.encode("utf-8", "surrogateescape")) < 120)


class _Normalise(ast.NodeTransformer):
    """Blank every constant; rename every identifier by order of first appearance (or, with
    ``blank_names``, to one name: then only the tree's shape and node kinds are compared)."""

    def __init__(self, blank_names: bool = False) -> None:
        self.names: dict[str, str] = {}
        self.blank_names = blank_names

    def _n(self, name: str | None) -> str | None:
        if name is None:
            return None
        if self.blank_names:
            return "N"
        return self.names.setdefault(name, f"n{len(self.names)}")

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.copy_location(ast.Constant(value="C"), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._n(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        node.attr = self._n(node.attr)
        return node

    def _named(self, node: ast.AST) -> ast.AST:
        node.name = self._n(node.name)  # type: ignore[attr-defined]
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_ClassDef = _named

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._n(node.arg)
        self.generic_visit(node)
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        node.arg = self._n(node.arg)
        self.generic_visit(node)
        return node


def normalised(source: str, *, blank_names: bool = False) -> str:
    """The syntax tree of ``source`` with constants blanked and identifiers renamed consistently, dumped:
    two sources give the same text iff they differ only in constants (and a renaming of names).
    ``blank_names``: every identifier becomes one name (for node ids, which name attributes and locals)."""
    tree = _Normalise(blank_names).visit(ast.parse(source))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def assigned_literal(source: str, name: str) -> object:
    """The value of the module-level ``name = <literal>`` in ``source``."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return ast.literal_eval(node.value)
    raise KeyError(name)


def module_bindings(source: str) -> list[str]:
    """Every name the module binds at top level, in order (a name bound twice shadows the first)."""
    names: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [a.asname or a.name.split(".")[0] for a in node.names]
    return names
