"""HTML report: how each text is cut into styled segments."""

from hypothesis import given
from hypothesis import strategies as st

from copytrace.web.report import Mark as _Mark, Segment, segment_text as _segments


def test_later_marks_show_over_earlier_ones_and_equal_neighbours_merge():
    text = "abcdefghij"
    marks = [_Mark(0, 10, "kept"), _Mark(2, 5, "changed", "was X"), _Mark(5, 7, "kept")]
    assert _segments(text, marks) == [
        Segment("ab", "kept"),
        Segment("cde", "changed", "was X"),
        Segment("fghij", "kept"),
    ]
    assert _segments("xyz", []) == [Segment("xyz", "plain")]


STYLES = ["kept", "cut", "changed"]


@given(
    st.text(min_size=0, max_size=60),
    st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.sampled_from(STYLES)), max_size=12),
)
def test_each_character_shows_the_last_mark_covering_it(text, raw_marks):
    marks = [_Mark(min(a, b, len(text)), min(max(a, b), len(text)), css) for a, b, css in raw_marks]
    segments = _segments(text, marks)
    assert "".join(s.text for s in segments) == text
    shown = [s.css for s in segments for _ in s.text]
    expected = [next((m.css for m in reversed(marks) if m.start <= i < m.end), "plain") for i in range(len(text))]
    assert shown == expected
    assert all(a.css != b.css for a, b in zip(segments, segments[1:]))
