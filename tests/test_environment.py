"""Guards for known-bad dependency versions (see DEVELOPERS.md, machine facts)."""
import sys


def test_pyside_does_not_leak_none_references():
    """PySide6 6.12.0 on Python < 3.12 drops a reference to None per void call and later aborts."""
    from PySide6 import QtCore

    r = QtCore.QRectF()
    before = sys.getrefcount(None)
    for _ in range(1000):
        r.setX(1.0)
    assert sys.getrefcount(None) - before > -100
