"""Matplotlib styles for the two site themes, so every figure reads on light and on dark pages.

Backgrounds are transparent (the page shows through); text and axes take the theme's ink colour; the
colour cycle is Okabe–Ito, distinguishable by colour-blind readers and on both backgrounds.
"""

from __future__ import annotations

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
INK = {"light": "#1f2328", "dark": "#e2e4e9"}
GRID = {"light": "#d0d7de", "dark": "#3d4450"}
from scripts.engine.paths import THEMES  # noqa: E402,F401  (re-exported: the themes every figure is drawn in)

_COMMON = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "svg.fonttype": "path",  # glyphs as paths: identical rendering everywhere, no font requests
    "svg.hashsalt": "circuits-blog",  # fixed ids, so the same inputs give byte-identical files
    "image.cmap": "viridis",
}


def rc(theme: str) -> dict:
    """rcParams for one theme."""
    ink, grid = INK[theme], GRID[theme]
    from cycler import cycler

    return {
        **_COMMON,
        "text.color": ink, "axes.labelcolor": ink, "axes.edgecolor": ink, "axes.titlecolor": ink,
        "xtick.color": ink, "ytick.color": ink, "grid.color": grid, "legend.labelcolor": ink,
        "axes.prop_cycle": cycler(color=OKABE_ITO),
    }
