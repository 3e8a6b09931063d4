"""Run the command line in-process, as a user would from a shell, and check what a user would see."""
from __future__ import annotations

import contextlib
import io
import re
import sys
import warnings
from pathlib import Path
from typing import Sequence

from graphlab.cli import main


def run_cli(*argv: object) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``graphlab ARGV``. An exception escaping main() is a traceback
    the user would see, so it propagates and fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _warnings_to_stderr():
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:  # argparse's usage errors: a message and exit 2, no traceback
            code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def _warnings_to_stderr():
    """Python warnings as a user's shell shows them (pytest would record them instead): printed to
    stderr, every time, for the categories Python shows by default."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=hidden)

        def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
            sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

        warnings.showwarning = show
        yield


def assert_clean(result: tuple[int, str, str], *, codes: Sequence[int] = (0, 1, 2), what: str = "") -> None:
    """Exit code 0/1/2, no traceback, no Python warning or message spread over lines on stderr, and a
    failure says what and where: exit 2 is one line on stderr
    that starts with the program's name; exit 1 lists errors (node: message), or is the report of
    ``step`` (a non-finite value) or ``gradcheck`` (nodes above the threshold)."""
    code, out, err = result
    context = f"{what}\nexit {code}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}"
    assert code in codes, context
    assert "Traceback" not in out + err, context
    assert not multi_line_warnings(err), context
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) >= 1 and lines[-1].startswith(("graphlab: ", "graphlab check: ", "graphlab train: ",
                                                          "graphlab export: ", "graphlab step: ",
                                                          "graphlab gradcheck: ")), context
        assert len([line for line in lines if not line.startswith("usage:")]) == 1, context
    elif code == 1:
        text = out + err
        if out.startswith("{"):  # --json: the errors are in the object, each naming its node
            import json

            report = json.loads(out.splitlines()[0])
            assert report.get("errors") or report.get("error"), context
        else:  # step and gradcheck also exit 1 with their report: a non-finite value, a failed check
            last = out.strip().splitlines()[-1] if out.strip() else ""
            assert ("error: " in text or "graphlab: " in text or "first non-finite value: " in out
                    or " node(s) above " in last), context


_PY_WARNING = re.compile(r"^.+:\d+: [A-Za-z]*Warning: ")


def multi_line_warnings(err: str) -> list[str]:
    """Lines of stderr that belong to a Python warning (``file:line: XWarning: text`` and the source
    line indented under it) or continue a message onto an indented second line: every message the
    user sees must be one line (GraphLab's own warnings are ``graphlab: warning: ...``)."""
    return [line for line in err.splitlines() if _PY_WARNING.match(line) or (line[:1].isspace() and line.strip())]


def write(path: Path, content: object) -> Path:
    import json

    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8", errors="surrogatepass")
    return path
