"""An ordered collection with cheap membership, removal and position lookup.

:class:`OrderedIndex` keeps distinct hashable items in a fixed order — the graph's file order of
edges and of node ids — and answers "where is this item?" without scanning:

* ``append``, ``remove`` and ``x in idx``: O(1) amortised (``remove`` also returns the item's
  former position, in O(log n));
* ``index(x)`` and ``idx[i]``: O(log n);
* ``insert(at, x)`` before the end: O(n) (it rebuilds; undo is the only caller that needs it);
* iteration: O(n), in order.

How: items sit in *slots* (a list that only grows at the end); a removed item leaves a hole, and
holes are squeezed out when they outnumber the items. While there are no holes an item's position
is its slot; after the first removal a Fenwick tree over the slots counts the live items, so a
position is the number of live slots before its own. Pure Python, no dependencies.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Hashable, Iterable, Iterator, TypeVar, overload

T = TypeVar("T", bound=Hashable)

_HOLE: Any = object()


class _Fenwick:
    """Prefix sums over 0/1 slot counts (1-indexed tree in a list)."""

    __slots__ = ("t",)

    def __init__(self, values: Iterable[int] = ()) -> None:
        t = [0]
        t.extend(values)
        n = len(t) - 1
        for i in range(1, n + 1):  # O(n) build
            j = i + (i & -i)
            if j <= n:
                t[j] += t[i]
        self.t = t

    def add(self, slot: int, delta: int) -> None:
        t, i = self.t, slot + 1
        n = len(t) - 1
        while i <= n:
            t[i] += delta
            i += i & -i

    def prefix(self, slot: int) -> int:
        """Sum over slots [0, slot)."""
        t, i, s = self.t, slot, 0
        while i > 0:
            s += t[i]
            i -= i & -i
        return s

    def append(self, value: int) -> None:
        i = len(self.t)  # the new 1-based index
        low = i - (i & -i)
        self.t.append(value + self.prefix(i - 1) - self.prefix(low))

    def find(self, k: int) -> int:
        """The slot holding the k-th (0-based) live item; k must be < the total."""
        t, pos = self.t, 0
        step = 1 << (len(t) - 1).bit_length()
        while step:
            nxt = pos + step
            if nxt < len(t) and t[nxt] <= k:
                pos = nxt
                k -= t[nxt]
            step >>= 1
        return pos  # 0-based slot = (1-based pos + 1) - 1


class OrderedIndex(Sequence, Generic[T]):
    """Distinct hashable items in order; see the module docstring for the costs."""

    __slots__ = ("_slots", "_slot_of", "_tree")

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._rebuild(list(items))

    def _rebuild(self, items: list[T]) -> None:
        self._slots: list[T] = items
        self._slot_of: dict[T, int] = {x: i for i, x in enumerate(items)}
        if len(self._slot_of) != len(items):
            raise ValueError("OrderedIndex items must be distinct")
        self._tree: _Fenwick | None = None  # built at the first removal; no holes, no tree needed

    def _counts(self) -> _Fenwick:
        if self._tree is None:
            self._tree = _Fenwick([0 if x is _HOLE else 1 for x in self._slots])
        return self._tree

    # ---- queries ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, item: object) -> bool:
        try:
            return item in self._slot_of
        except TypeError:  # unhashable: cannot be here
            return False

    def __iter__(self) -> Iterator[T]:
        if len(self._slots) == len(self._slot_of):
            return iter(list(self._slots))  # a snapshot: edits during iteration do not disturb it
        return iter([x for x in self._slots if x is not _HOLE])

    def __reversed__(self) -> Iterator[T]:
        return reversed(list(self))

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("OrderedIndex index out of range")
        if len(self._slots) == n:
            return self._slots[i]
        return self._slots[self._counts().find(i)]

    def index(self, item: Any, start: int = 0, stop: int | None = None) -> int:
        try:
            slot = self._slot_of[item]
        except (KeyError, TypeError):
            raise ValueError(f"{item!r} is not in the index") from None
        pos = slot if len(self._slots) == len(self._slot_of) else self._counts().prefix(slot)
        if pos < start or (stop is not None and pos >= stop):
            raise ValueError(f"{item!r} is not in the given range")
        return pos

    def count(self, item: Any) -> int:
        return 1 if item in self else 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (OrderedIndex, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable (mutable): typeshed allows only a method

    def __repr__(self) -> str:
        return f"OrderedIndex({list(self)!r})"

    # ---- edits ------------------------------------------------------------------------------------
    def append(self, item: T) -> None:
        if item in self._slot_of:
            raise ValueError(f"{item!r} is already in the index")
        self._slot_of[item] = len(self._slots)
        self._slots.append(item)
        if self._tree is not None:
            self._tree.append(1)

    def insert(self, at: int, item: T) -> None:
        """Place ``item`` so that it ends up at position ``at`` (``list.insert`` semantics)."""
        if item in self._slot_of:
            raise ValueError(f"{item!r} is already in the index")
        n = len(self)
        if at >= n:
            self.append(item)
            return
        items = list(self)
        items.insert(at, item)
        self._rebuild(items)

    def remove(self, item: T) -> int:
        """Remove ``item``; returns the position it had."""
        try:
            slot = self._slot_of.pop(item)
        except KeyError:
            raise ValueError(f"{item!r} is not in the index") from None
        if len(self._slots) == len(self._slot_of) + 1:  # it was the only hole-free stretch: slot = position
            pos = slot
            if slot == len(self._slots) - 1:  # the last item: nothing moves, no tree needed
                self._slots.pop()
                if self._tree is not None:
                    self._tree.t.pop()
                return pos
        tree = self._counts()
        pos = tree.prefix(slot)
        tree.add(slot, -1)
        self._slots[slot] = _HOLE
        holes = len(self._slots) - len(self._slot_of)
        if holes > 64 and holes > len(self._slot_of):
            self._rebuild([x for x in self._slots if x is not _HOLE])
        elif slot == len(self._slots) - 1:  # trailing holes cost nothing to drop
            while self._slots and self._slots[-1] is _HOLE:
                self._slots.pop()
                tree.t.pop()
        return pos

    def clear(self) -> None:
        self._rebuild([])
