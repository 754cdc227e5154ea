"""Unit polygons for the main object (v up, farthest vertex at radius 1, centred on the area centroid).

None of them has rotational symmetry, so a rotation's direction is visible from frame to frame.
The two renderers use disjoint sets, so the generalisation check also sees unseen shapes.
"""
from __future__ import annotations

import numpy as np

from apps.video.scene import arc, normalise_shape

# Drawn by the main (OpenCV) renderer.
MAIN_SHAPES: dict[str, np.ndarray] = {
    "arrow": normalise_shape([(-1.0, -0.25), (0.2, -0.25), (0.2, -0.6), (1.0, 0.0), (0.2, 0.6), (0.2, 0.25), (-1.0, 0.25)]),
    "ell": normalise_shape([(-0.5, -1.0), (0.7, -1.0), (0.7, -0.55), (0.0, -0.55), (0.0, 1.0), (-0.5, 1.0)]),
    "tee": normalise_shape([(-0.2, -1.0), (0.2, -1.0), (0.2, 0.5), (0.8, 0.5), (0.8, 0.9), (-0.8, 0.9), (-0.8, 0.5), (-0.2, 0.5)]),
    "house": normalise_shape([(-0.6, -0.8), (0.6, -0.8), (0.6, 0.2), (0.0, 1.0), (-0.6, 0.2)]),
    "scalene": normalise_shape([(-0.9, -0.6), (1.0, -0.4), (-0.3, 0.9)]),
    "half_disc": normalise_shape(arc((0.0, 0.0), 1.0, 0.0, 180.0, 24)),
    "kite": normalise_shape([(0.0, -1.0), (0.45, 0.1), (0.0, 0.55), (-0.3, 0.1)]),
}

# Drawn by the alternative (PIL) renderer.
ALT_SHAPES: dict[str, np.ndarray] = {
    "glyph_f": normalise_shape([(-0.5, -1.0), (-0.1, -1.0), (-0.1, -0.1), (0.4, -0.1), (0.4, 0.25), (-0.1, 0.25),
                                (-0.1, 0.6), (0.6, 0.6), (0.6, 1.0), (-0.5, 1.0)]),
    "tetromino_j": normalise_shape([(-1.0, -0.5), (0.5, -0.5), (0.5, 1.0), (0.0, 1.0), (0.0, 0.0), (-1.0, 0.0)]),
    "crescent": normalise_shape(arc((0.0, 0.0), 1.0, 40.0, 320.0, 28) + arc((0.45, 0.0), 0.75, 250.0, 110.0, 20)),
    "pacman": normalise_shape(arc((0.0, 0.0), 1.0, 40.0, 320.0, 28) + [(0.0, 0.0)]),
    "notched_triangle": normalise_shape([(-1.0, -0.7), (1.0, -0.7), (0.3, -0.3), (-0.6, 0.9)]),
}
