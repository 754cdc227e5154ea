"""The 8 motion classes of the generated video set and what each one means.

Every class is defined by the motion of the main object under a static camera, and the
classes come in time-reversed pairs: a clip of one class played backwards is a clip of its
partner. So a single frame (or any order-free pooling of frames) cannot tell a pair apart.
"""
from __future__ import annotations

CLASS_MEANINGS: dict[str, str] = {
    "move_left": "the main object translates towards the left edge of the screen",
    "move_right": "the main object translates towards the right edge of the screen",
    "move_up": "the main object translates towards the top edge of the screen",
    "move_down": "the main object translates towards the bottom edge of the screen",
    "rotate_cw": "an asymmetric main object rotates in place, clockwise as seen on screen",
    "rotate_ccw": "an asymmetric main object rotates in place, counter-clockwise as seen on screen",
    "zoom_in": "the main object grows in place (it comes closer)",
    "zoom_out": "the main object shrinks in place (it goes away)",
}

# Fixed order: a class's index is its label everywhere (folders, models, metrics).
CLASSES: tuple[str, ...] = tuple(CLASS_MEANINGS)

# Each pair is one motion and its time reversal; the per-frame baseline is judged within a pair.
DIRECTION_PAIRS: tuple[tuple[str, str], ...] = (
    ("move_left", "move_right"),
    ("move_up", "move_down"),
    ("rotate_cw", "rotate_ccw"),
    ("zoom_in", "zoom_out"),
)


def class_index(name: str) -> int:
    """The label of class ``name``; ValueError for an unknown name."""
    return CLASSES.index(name)


def partner(name: str) -> str:
    """The time-reversed partner of class ``name`` (``move_left`` -> ``move_right``)."""
    for first, second in DIRECTION_PAIRS:
        if name == first:
            return second
        if name == second:
            return first
    raise ValueError(f"unknown class {name!r}")
