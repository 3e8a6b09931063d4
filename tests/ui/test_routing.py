"""Edge routing costs the same for a node a million units away as for a near one (issue 16, item 3).

A cubic is sampled at most MAX_SAMPLES times per segment, whatever its length; a straight segment
(a lane, a shortcut's vertical run) is tested against cards exactly, so a long one cannot step over
a card between two samples.
"""
from __future__ import annotations

from graphlab.ui.scene.routing import MAX_SAMPLES, _line_meets, hits, lane, route_segments, s_curve_segments, samples


def test_samples_per_segment_are_capped_whatever_the_length() -> None:
    for far in (1e3, 1e6, 1e8, 1e20, 1e300):
        segs = s_curve_segments((0.0, 0.0), (far, far)) + [((0.0, 0.0), (0.0, far))]
        assert len(samples(segs)) <= 2 * (MAX_SAMPLES + 1)


def test_a_long_line_meets_a_card_between_any_two_samples() -> None:
    card = (990_000.0, 499_990.0, 990_200.0, 500_060.0)  # a card in the middle of a run of 10^6
    assert hits([((990_100.0, 0.0), (990_100.0, 1e6))], [card]) == [card]
    assert hits([((0.0, 0.0), (0.0, 1e6))], [card]) == []
    assert _line_meets(((0.0, 0.0), (10.0, 10.0)), (4.0, 4.0, 6.0, 6.0))
    assert not _line_meets(((0.0, 0.0), (10.0, 0.0)), (4.0, 1.0, 6.0, 6.0))
    assert _line_meets(((5.0, -1.0), (5.0, 0.5)), (4.0, 0.0, 6.0, 6.0)) and not _line_meets(
        ((5.0, -1.0), (5.0, -0.5)), (4.0, 0.0, 6.0, 6.0))


def test_a_route_a_million_units_long_clears_the_cards_in_its_way() -> None:
    a, b = (0.0, 0.0), (0.0, 1e6)
    cards = [(-100.0, y, 100.0, y + 70.0) for y in (1e5, 5e5, 9e5)]
    segs = route_segments(a, b, cards)
    assert not hits(segs, cards)
    assert segs != s_curve_segments(a, b) and len(samples(segs)) <= 3 * (MAX_SAMPLES + 1)
    assert lane(a, b, 200.0, 40.0)[1] == ((200.0, 40.0), (200.0, 1e6 - 40.0))
