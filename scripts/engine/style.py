"""The shared figure style: sizes that read at the width figures are shown at, real text, palettes, labels.

Every figure is drawn once per theme inside `rc(theme)` (the job runner does this), so a script only
chooses sizes and labels. How a figure script adopts it:

    from scripts.engine import style

    def plot(result, theme):
        fig, ax = style.subplots(theme, width=1.0, aspect=0.55)   # full column width; sizes below
        for d, series in ...:
            ax.plot(x, y, color=style.color_for(f"d={d}"))
        style.label_lines(ax, theme)              # the line's name at its end, in its colour: no legend
        style.rasterize_dense(fig)                # only if it draws thousands of points (see below)
        return fig

Rules the helpers encode, measured in Chromium on the built site:

* **Width.** Material's content column is `COLUMN_PX` = 688 CSS px at a 1280 px viewport (358 px at
  390 px). An SVG is shown at its natural size (1 pt = 4/3 px) unless it is wider than the column, when it
  is scaled down. So a figure no wider than `COLUMN_IN` (7.17 in) shows its text at exactly the size set
  here: `FONT["small"]` 8.5 pt = 11.3 px, the smallest text allowed (`MIN_FONT_PT` = 8.25 pt = 11 px).
  Never make a figure wider than the column to fit more in: it shrinks every label. Make it taller.
* **Phones.** At 390 px the column is 358 px: the desktop figure would be scaled to half size. So `plot()` is
  called a second time inside `layout("phone")`, for the *phone rendering*: `figure`/`subplots` give it at
  most `PHONE_IN` (4.4 in) of width at the same text sizes (>= 9 px inline at 390 px), and stack
  side-by-side panels (`subplots(1, 3)` and `subfigures(fig, 1, 3)` become one column, indexed as before;
  `phone_cols=` keeps that many columns; `grid(subfigure, ...)` does the same inside a sub-figure, and
  `row_start(col, phone_cols)` says which columns begin a drawn row, for row labels).
  Where that is not enough, `if style.phone():` picks fewer ticks, shorter labels, another arrangement —
  the same data. The page serves it below `PHONE_MEDIA`; a tap still opens a figure full size.
* **Real text.** `svg.fonttype: "none"`: labels are SVG <text>, searchable and selectable. Layout is
  measured with DejaVu Sans (bundled with Matplotlib, so every machine lays out the same figure); the
  written SVG names the page's own font stack (`web_svg`, applied by the job runner), and since DejaVu is
  wider than those fonts, text that fits here fits in the browser.
* **No overlaps.** After `plot()` the runner calls `check_figure(fig)`: text overlapping other text,
  running past the figure edge or smaller than `MIN_FONT_PT` fails the job, naming the figure, theme and
  strings.
* **Labels, not legends.** `label_lines`, `label_points` and `label_bars` put names next to the data, in
  the data's colour (lightened on dark pages to keep 4.5:1 contrast); `spread` moves labels apart. If a
  legend is unavoidable, `legend_above(ax)` puts it above the axes, never on data. A number the prose
  also quotes (`{{ value() }}`) is printed with `number(v)`, the page's own formatter, so the two agree.
* **Colours.** `PALETTE[theme]` is Okabe–Ito (colour-blind safe). `color_for(key)` gives a model, head or
  series one fixed colour across every figure and both themes (`head_color(layer, head)`, the zoo's
  models named in `MODEL_COLORS`).
* **Weight.** A scatter of 20,000 points is 3 MB of SVG; the same drawn as an embedded PNG at
  `RASTER_DPI` (200 dpi: sharp on 2x screens at column width) is ~100 KB. `rasterize_dense(fig)`
  rasterises every collection or line with at least `DENSE_POINTS` points (axes, ticks and labels stay
  vector text). Use it for scatters and dense line bundles; not for heatmaps drawn with `imshow` (already
  an image) nor for a few hundred points (vector is smaller and sharper).
* **Log axes.** Matplotlib labels them 10^k with the exponent at 70 % size (8 px): use
  `plain_log_ticks(ax)`; the check reports mathtext exponents and subscripts under 11 px.
* **Values on hover.** `hover_grid` (heatmap cells), `hover_bars`, `hover_rect` and `hover_points`
  write what the reader sees under the cursor into the SVG (a hidden <text> of JSON in the SVG's own
  units); `docs/assets/javascripts/hover.js` shows it beside the cursor, offline.
* **Tokens.** Show whitespace with `visible_whitespace(" the\\n")` -> "␣the↵" (also for tables).
* **Tables** of numbers or tokens are not figures: return `Result(tables={"key": api.Table(...)})` and
  write `{{ table("figure-id.key") }}` in the page (scripts/engine/api.py).

Outputs stay deterministic: no dates, a fixed hash salt (`svg.hashsalt`), one metric font everywhere.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from collections.abc import Callable, Iterable, Sequence

from scripts.engine import api
from scripts.engine.api import visible_whitespace  # noqa: F401  (re-exported for plot() code)
from scripts.engine.errors import EngineError
from scripts.engine.paths import THEMES  # noqa: F401  (re-exported: the themes every figure is drawn in)

# -- sizes ------------------------------------------------------------------------------------------------

COLUMN_PX = 688  # Material's content column at a 1280 px viewport (measured; Material's max width)
CSS_PX_PER_IN = 96  # an SVG's natural size: 1 in = 96 CSS px, 1 pt = 4/3 px
COLUMN_IN = COLUMN_PX / CSS_PX_PER_IN  # 7.17 in: the widest figure that is shown at natural size
MIN_TEXT_PX = 11  # the smallest text at 1280 px (and full size on tap at 390 px)
MIN_FONT_PT = MIN_TEXT_PX * 72 / CSS_PX_PER_IN  # 8.25 pt
FONT = {"small": 8.5, "text": 9.5, "title": 10.5}  # pt: ticks/legend/annotations/cells, labels, titles
ROW_PT = FONT["small"] * 1.45  # the height one labelled row of a heatmap or table-like axis needs
RASTER_DPI = 200
PAD_IN = 0.05  # savefig.pad_inches: the margin `bbox: tight` adds around the drawing
DENSE_POINTS = 2000

METRIC_FONT = "DejaVu Sans"  # what Matplotlib measures with (bundled: same layout on every machine)
METRIC_MONO = "DejaVu Sans Mono"
# What the SVG names: Material's stacks with `theme.font: false` (computed font-family in Chromium).
PAGE_FONT = "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"
PAGE_MONO = "SFMono-Regular, Consolas, Menlo, 'DejaVu Sans Mono', monospace"


# Phones: at a 390 px viewport the column is `PHONE_COLUMN_PX`. Every figure is drawn a second
# time, the *phone rendering*, at most `PHONE_IN` wide (side-by-side panels stacked: `subplots`,
# `subfigures`), and the page serves it below `PHONE_MEDIA` (a <picture> source: one rendering is fetched).
# `PHONE_IN` is the width at which text of `MIN_FONT_PT`, scaled into that column, is `PHONE_MIN_PX`, less
# a margin; the text sizes themselves do not change. A script may ask `phone()` and lay out differently.
PHONE_COLUMN_PX = 358
PHONE_MIN_PX = 9.0
PHONE_IN = 4.4  # < PHONE_COLUMN_PX / CSS_PX_PER_IN * MIN_TEXT_PX / PHONE_MIN_PX = 4.56 in
PHONE_MEDIA = "(max-width: 37.5em)"  # 600 px: above it the column is >= 567 px, desktop text >= 9 px
PHONE_ROW = 0.85  # a stacked panel's height, as a fraction of its row's height on a desktop
_LAYOUT = {"phone": False}


def phone() -> bool:
    """True while the phone rendering is drawn (the job runner's `layout("phone")`)."""
    return _LAYOUT["phone"]


@contextlib.contextmanager
def layout(name: str):
    """Draw for "desktop" (the column) or "phone" (the phone rendering) inside the block."""
    if name not in ("desktop", "phone"):
        raise ValueError(f"layout {name!r}: 'desktop' or 'phone'")
    before = _LAYOUT["phone"]
    _LAYOUT["phone"] = name == "phone"
    try:
        yield
    finally:
        _LAYOUT["phone"] = before


def px(pt: float, fig_width_in: float = COLUMN_IN) -> float:
    """CSS px at 1280 px of text of `pt` points in a figure `fig_width_in` inches wide."""
    return pt * CSS_PX_PER_IN / 72 * min(1.0, COLUMN_IN / fig_width_in)


def figsize(width: float = 1.0, aspect: float | None = 0.6, height: float | None = None) -> tuple[float, float]:
    """A figure size in inches: `width` is a fraction of the column (<= 1), height `aspect` x width or
    `height` inches. Text keeps its size at any width <= 1; narrower figures are simply smaller."""
    if not 0 < width <= 1:
        raise ValueError(f"width={width}: a fraction of the column in (0, 1]; a wider figure shrinks its text")
    w = round((COLUMN_IN - 2 * PAD_IN) * width, 2)  # the saved image adds PAD_IN on each side
    h = round(height if height is not None else w * aspect, 2)
    if phone():  # narrower, as tall: text keeps its size, so rows need the height they had
        w = min(w, round(PHONE_IN - 2 * PAD_IN, 2))
    return w, h


def rows_height(n_rows: int, extra_in: float = 1.0) -> float:
    """Inches for an axis with `n_rows` labelled rows (heatmap, bar chart) so labels do not collide,
    plus `extra_in` for the x axis and title. Past ~60 rows, label every k-th row (`tick_step`)."""
    return round(n_rows * ROW_PT / 72 + extra_in, 2)


def tick_step(n: int, length_in: float, pt: float = FONT["small"]) -> int:
    """Label every k-th of `n` categories along an axis `length_in` inches long so labels do not touch."""
    fits = max(1, int(length_in / (pt * 1.45 / 72)))
    return max(1, -(-n // fits))


# -- colours ----------------------------------------------------------------------------------------------

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
PALETTE = {  # the colour cycle per theme: Okabe–Ito; yellow last on light pages (low contrast on white)
    "light": ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#F0E442"],
    "dark": OKABE_ITO,
}
INK = {"light": "#1f2328", "dark": "#e2e4e9"}
MUTED = {"light": "#59636e", "dark": "#9198a1"}  # secondary text: annotations, reference lines
GRID = {"light": "#d0d7de", "dark": "#3d4450"}
PAGE_BG = {"light": "#ffffff", "dark": "#1e2129"}  # Material's default and slate backgrounds
CMAP = {"sequential": "viridis", "diverging": "RdBu_r"}

# Fixed colours: the same model or head has the same colour in every figure and both themes.
MODEL_COLORS = {
    "attn-only-0l": "#999999", "attn-only-1l": "#E69F00", "attn-only-2l": "#0072B2",
    "attn-only-2l-sgd": "#56B4E9", "minilm": "#CC79A7", "paper": "#D55E00",
}
_HEAD_CYCLE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#999999", "#F0E442"]


def palette(theme: str) -> list[str]:
    return list(PALETTE[theme])


def head_color(layer: int, head: int, n_heads: int = 4) -> str:
    """One fixed colour per attention head ("L1H2"), stable across figures."""
    return _HEAD_CYCLE[(layer * n_heads + head) % len(_HEAD_CYCLE)]


def color_for(key: str) -> str:
    """A fixed colour for a model, head ("L1H2") or any named series: the same key, the same colour."""
    if key in MODEL_COLORS:
        return MODEL_COLORS[key]
    m = re.fullmatch(r"L(\d+)H(\d+)", key)
    if m:
        return head_color(int(m.group(1)), int(m.group(2)))
    return _HEAD_CYCLE[zlib.crc32(key.encode()) % len(_HEAD_CYCLE)]  # crc32: not salted like hash()


def _rgb(c: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(c)


def _luminance(c: str) -> float:
    lin = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in _rgb(c)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_color(color: str, theme: str, minimum: float = 4.5) -> str:
    """`color` mixed towards the theme's ink until text in it has `minimum` contrast on the page."""
    from matplotlib.colors import to_hex

    base, ink = _rgb(color), _rgb(INK[theme])
    for t in [i / 10 for i in range(11)]:
        c = to_hex(tuple((1 - t) * x + t * y for x, y in zip(base, ink)))
        if contrast(c, PAGE_BG[theme]) >= minimum:
            return c
    return INK[theme]


# -- rcParams ---------------------------------------------------------------------------------------------

_COMMON = {
    "figure.figsize": figsize(1.0, 0.55),
    "figure.dpi": 100,
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "savefig.bbox": "tight",
    "savefig.pad_inches": PAD_IN,
    "savefig.dpi": RASTER_DPI,  # only rasterised artists use it; vector parts are resolution-free
    "font.family": ["sans-serif"],
    "font.sans-serif": [METRIC_FONT],
    "font.monospace": [METRIC_MONO],
    "font.size": FONT["text"],
    "axes.titlesize": FONT["title"],
    "axes.labelsize": FONT["text"],
    "xtick.labelsize": FONT["small"],
    "ytick.labelsize": FONT["small"],
    "legend.fontsize": FONT["small"],
    "legend.title_fontsize": FONT["small"],
    "figure.titlesize": FONT["title"],
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "svg.fonttype": "none",  # text stays <text>: searchable, selectable, crisp at any zoom
    "svg.hashsalt": "circuits-blog",  # fixed ids, so the same inputs give byte-identical files
    "image.cmap": CMAP["sequential"],
}


def rc(theme: str) -> dict:
    """rcParams for one theme."""
    ink, grid = INK[theme], GRID[theme]
    from cycler import cycler

    return {
        **_COMMON,
        "figure.figsize": figsize(1.0, 0.55),  # inside layout("phone"), a plain plt.subplots() fits a phone too
        "text.color": ink, "axes.labelcolor": ink, "axes.edgecolor": ink, "axes.titlecolor": ink,
        "xtick.color": ink, "ytick.color": ink, "grid.color": grid, "legend.labelcolor": ink,
        "axes.prop_cycle": cycler(color=PALETTE[theme]),
    }


_FAMILIES = {  # what Matplotlib writes for our metric fonts -> the page's stacks
    re.compile(r"font-family: ?'DejaVu Sans', sans-serif"): f"font-family: {PAGE_FONT}",
    re.compile(r"font-family: ?'DejaVu Sans Mono', monospace"): f"font-family: {PAGE_MONO}",
}


def web_svg(svg: str) -> str:
    """The SVG as the page shows it: text in the page's font stack instead of the metric font."""
    for pattern, repl in _FAMILIES.items():
        svg = pattern.sub(repl, svg)
    return svg


# -- figures ----------------------------------------------------------------------------------------------

def figure(theme: str, width: float = 1.0, aspect: float | None = 0.6, height: float | None = None, **kw):
    """`plt.figure` at a column-fraction size with constrained layout."""
    import matplotlib.pyplot as plt

    kw.setdefault("layout", "constrained")
    return plt.figure(figsize=figsize(width, aspect, height), **kw)


_GRID_KW = ("sharex", "sharey", "squeeze", "subplot_kw", "gridspec_kw", "height_ratios", "width_ratios")


def subplots(theme: str, nrows: int = 1, ncols: int = 1, *, width: float = 1.0, aspect: float | None = 0.6,
             height: float | None = None, phone_cols: int = 1, **kw):
    """`plt.subplots` at a column-fraction size with constrained layout. In the phone rendering a grid wider
    than `phone_cols` is wrapped (`grid`) and the figure grows to hold the new rows."""
    import matplotlib.pyplot as plt

    grid_kw = {k: kw.pop(k) for k in _GRID_KW if k in kw}
    kw.setdefault("layout", "constrained")
    w, h = figsize(width, aspect, height)
    rows = _wrap(nrows, ncols, phone_cols)[0] if phone() and ncols > phone_cols else nrows
    fig = plt.figure(figsize=(w, h if rows == nrows else round(h * rows / nrows * PHONE_ROW, 2)), **kw)
    return fig, grid(fig, nrows, ncols, phone_cols=phone_cols, **grid_kw)


def grid(parent, nrows: int = 1, ncols: int = 1, *, phone_cols: int = 1, sharex=False, sharey=False,
         squeeze: bool = True, **kw):
    """`parent.subplots(nrows, ncols)` for a Figure or SubFigure. In the phone rendering a grid wider than
    `phone_cols` is wrapped: its columns in chunks of `phone_cols`, the chunks one under the other (1 x 3 ->
    3 x 1; 2 x 8 with phone_cols=4 -> 4 x 4), returned in the grid's own shape, so `plot()` indexes it the
    same way. (The parent's height is the caller's: `subplots` grows the figure; a SubFigure's is its own.)"""
    if not phone() or ncols <= phone_cols:
        return parent.subplots(nrows, ncols, sharex=sharex, sharey=sharey, squeeze=squeeze, **kw)
    gkw = dict(kw.pop("gridspec_kw", None) or {})
    heights = kw.pop("height_ratios", None) or gkw.pop("height_ratios", None)
    widths = kw.pop("width_ratios", None) or gkw.pop("width_ratios", None)
    rows, cols, place, ratios = _wrap(nrows, ncols, phone_cols, heights, widths)
    new = parent.subplots(rows, cols, squeeze=False, gridspec_kw={**gkw, **ratios}, **kw)
    axes = place(new)
    for ax in set(new.ravel()) - set(axes.ravel()):
        ax.remove()  # the last chunk's empty places
    for axis, how in (("sharex", sharex), ("sharey", sharey)):
        groups = {True: [axes.ravel()], "all": [axes.ravel()], "row": list(axes), "col": list(axes.T)}.get(how, [])
        for group in groups:
            for ax in group[1:]:
                getattr(ax, axis)(group[0])
    return (axes.squeeze() if axes.size > 1 else axes[0, 0]) if squeeze else axes


def row_start(col: int, phone_cols: int = 1) -> bool:
    """Whether grid column `col` begins a row as drawn: column 0, and in the phone rendering also every
    column a wrapped grid (`grid(..., phone_cols=)`) puts first in a row — where row labels and ticks go."""
    return col == 0 or (phone() and col % phone_cols == 0)


def subfigures(fig, nrows: int = 1, ncols: int = 1, *, phone_cols: int = 1, **kw):
    """`fig.subfigures`, wrapped like `subplots` in the phone rendering (the figure grows to hold the new
    rows), returned in the grid's own shape, so `plot()` indexes them the same way in both."""
    if not phone() or ncols <= phone_cols:
        return fig.subfigures(nrows, ncols, **kw)
    rows, cols, place, ratios = _wrap(nrows, ncols, phone_cols, kw.pop("height_ratios", None),
                                      kw.pop("width_ratios", None))
    fig.set_figheight(round(fig.get_figheight() * rows / nrows * PHONE_ROW, 2))
    out = place(fig.subfigures(rows, cols, squeeze=False, **ratios, **kw))
    return out.squeeze() if out.size > 1 else out[0, 0]


def _wrap(nrows: int, ncols: int, k: int, height_ratios=None, width_ratios=None):
    """The phone grid for an nrows x ncols grid wrapped at k columns: (rows, cols, place, ratios), where
    `place(items)` puts the wrapped grid's (rows x cols) items back in the grid's own nrows x ncols shape."""
    import numpy as np

    chunks = -(-ncols // k)

    def place(items):
        items, out = np.asarray(items).reshape(nrows * chunks, k), np.empty((nrows, ncols), dtype=object)
        for r, c in np.ndindex(nrows, ncols):
            out[r, c] = items[(c // k) * nrows + r, c % k]
        return out
    ratios = {"height_ratios": list(height_ratios or [1] * nrows) * chunks}
    if width_ratios and k > 1:
        ratios["width_ratios"] = list(width_ratios[:k])
    return nrows * chunks, k, place, ratios


# -- labels -----------------------------------------------------------------------------------------------

def root_figure(ax):
    """The Figure an axes is drawn in, also when it sits in a SubFigure (`fig.subfigures`)."""
    return ax.get_figure(root=True)


def spread(positions: Sequence[float], min_gap: float, lo: float | None = None,
           hi: float | None = None) -> list[float]:
    """Move 1-D label positions apart by at least `min_gap`, as little as possible, keeping their order,
    within [lo, hi] if given. Returns positions in the input order."""
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    ys = [float(positions[i]) for i in order]
    for _ in range(len(ys) + 1):  # push up, then pull back inside the bounds, until stable
        for k in range(1, len(ys)):
            ys[k] = max(ys[k], ys[k - 1] + min_gap)
        if hi is not None and ys and ys[-1] > hi:
            ys[-1] = hi
            for k in range(len(ys) - 2, -1, -1):
                ys[k] = min(ys[k], ys[k + 1] - min_gap)
        if lo is not None and ys and ys[0] < lo:
            ys[0] = lo
            continue
        break
    out = [0.0] * len(ys)
    for k, i in enumerate(order):
        out[i] = ys[k]
    return out


def data_per_pt(ax, pt: float) -> float:
    """How many data units (y, linear or log decades) `pt` points are at the axes' current size."""
    fig = root_figure(ax)
    h_in = ax.get_position().height * fig.get_figheight()
    y0, y1 = ax.get_ylim()
    if ax.get_yscale() == "log":
        import math

        y0, y1 = math.log10(y0), math.log10(y1)
    return (y1 - y0) * pt / 72 / h_in


def label_lines(ax, theme: str, lines: Iterable | None = None, labels: Sequence[str] | None = None, *,
                fontsize: float = FONT["small"], pad_pt: float = 4) -> list:
    """Write each line's label just right of its last point, in its colour; labels moved apart vertically.

    `lines` defaults to the axes' lines that have a label (not starting with "_"); `labels` to theirs.
    Leave room on the right (`ax.set_xlim` or a narrower `width`): the check reports a label cut off.
    """
    import math

    import numpy as np

    lines = [ln for ln in (ax.get_lines() if lines is None else lines)
             if lines is not None or not ln.get_label().startswith("_")]
    labels = list(labels) if labels is not None else [ln.get_label() for ln in lines]
    ends = []
    for ln in lines:
        x, y = (np.asarray(a, dtype=float) for a in ln.get_data())
        ok = np.isfinite(x) & np.isfinite(y)
        ends.append((x[ok][-1], y[ok][-1]))
    if not ends:
        return []
    root_figure(ax).draw_without_rendering()  # settle the layout: the axes' final height sets the gap
    log = ax.get_yscale() == "log"
    to = (lambda v: math.log10(v)) if log else (lambda v: v)
    back = (lambda v: 10 ** v) if log else (lambda v: v)
    lo, hi = (to(v) for v in sorted(ax.get_ylim()))
    n_lines = max(str(label).count("\n") + 1 for label in labels)  # two-line labels need twice the gap
    ys = spread([to(y) for _, y in ends], data_per_pt(ax, fontsize * 1.3 * n_lines), lo, hi)
    out = []
    for ln, label, (x, _), y in zip(lines, labels, ends, ys):
        out.append(ax.annotate(label, (x, back(y)), xytext=(pad_pt, 0), textcoords="offset points",
                               va="center", ha="left", fontsize=fontsize, annotation_clip=False,
                               color=text_color(ln.get_color(), theme)))
    return out


_OFFSETS = [(5, 5), (5, -5), (-5, 5), (-5, -5), (8, 0), (-8, 0), (0, 8), (0, -8)]  # points


def _data_points(ax, limit: int = 20000):
    """Display coordinates of what the axes draw (line vertices, densified every ~2 px; scatter points)."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D

    pts = []
    for a in ax.get_children():
        if isinstance(a, Line2D) and a.get_visible():
            xy = a.get_transform().transform(np.column_stack(a.get_data()).astype(float))
            xy = xy[np.isfinite(xy).all(axis=1)]
            if a.get_linestyle() not in ("None", "", " ") and len(xy) > 1:
                dense = [xy[:1]]
                for p, q in zip(xy[:-1], xy[1:]):
                    k = int(min(200, max(1, np.hypot(*(q - p)) / 2)))
                    dense.append(p + (q - p) * (np.arange(1, k + 1) / k)[:, None])
                xy = np.concatenate(dense)
            pts.append(xy)
        elif isinstance(a, Collection) and a.get_visible() and len(a.get_offsets()):
            pts.append(a.get_offset_transform().transform(np.asarray(a.get_offsets(), dtype=float)))
    pts = np.concatenate(pts) if pts else np.zeros((0, 2))
    return pts[:: max(1, len(pts) // limit)]


def label_points(ax, theme: str, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str], *,
                 color: str | Sequence[str] | None = None, fontsize: float = FONT["small"]) -> list:
    """Label points next to them. Eight positions around each point are tried; the first that overlaps no
    label placed before, stays inside the axes and covers no drawn line or point wins (else the one that
    covers least). Deterministic: the input order decides."""
    fig = root_figure(ax)
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    box = ax.get_window_extent(renderer)
    obstacles = _data_points(ax)
    placed, out = [], []
    colors = [color] * len(xs) if color is None or isinstance(color, str) else list(color)
    for x, y, label, c in zip(xs, ys, labels, colors):
        ink = text_color(c, theme) if c else INK[theme]
        best = None
        for dx, dy in _OFFSETS:
            t = ax.annotate(label, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                            ha="left" if dx > 0 else "right" if dx < 0 else "center",
                            va="bottom" if dy > 0 else "top" if dy < 0 else "center", color=ink)
            bb = t.get_window_extent(renderer)
            inside = box.x0 <= bb.x0 and bb.x1 <= box.x1 and box.y0 <= bb.y0 and bb.y1 <= box.y1
            covered = int(((obstacles[:, 0] > bb.x0 - 1) & (obstacles[:, 0] < bb.x1 + 1)
                           & (obstacles[:, 1] > bb.y0 - 1) & (obstacles[:, 1] < bb.y1 + 1)).sum())
            cost = (any(_overlap(bb, p) > 0 for p in placed), not inside, covered)
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, t, bb)
            else:
                t.remove()
            if cost == (False, False, 0):
                break
        placed.append(best[2])
        out.append(best[1])
    return out


def number(v: str | int | float) -> str:
    """A number as the page prints it for `{{ value() }}` (api.format_value): label a figure with this, so the
    figure and the prose that quotes the same number cannot disagree (`label_bars(ax, bars, fmt=number)`)."""
    return api.format_value(v)


def label_bars(ax, bars, fmt: str | Callable[[float], str] = "{:.2g}", *, fontsize: float = FONT["small"],
               inside: bool = False) -> list:
    """Write each bar's value at its end (outside by default), instead of a legend or a value axis. `fmt`: a
    format string, or a function of the value (`number`, to print it as the prose does)."""
    fmt = fmt if callable(fmt) else fmt.format if "{" in fmt else fmt
    return ax.bar_label(bars, fmt=fmt, fontsize=fontsize, padding=-12 if inside else 2)


def plain_log_ticks(ax, axis: str = "both", fmt: str = "%g") -> None:
    """Log-axis tick labels as plain numbers ("10", "100", "0.03") instead of mathtext 10^k, whose
    exponent is drawn at 70 % of the size (under 11 px); minor ticks unlabelled."""
    import matplotlib.ticker as mticker

    for name in ("x", "y") if axis == "both" else (axis,):
        a = ax.xaxis if name == "x" else ax.yaxis
        a.set_major_formatter(mticker.FormatStrFormatter(fmt))
        a.set_minor_formatter(mticker.NullFormatter())


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def decade_label(v: float) -> str:
    """A power of ten as plain text at full size: 0.01 ... 1000 as numbers, beyond as "10⁻⁴", "10⁵"."""
    import math

    if v <= 0:
        return ""
    k = round(math.log10(v))
    if abs(math.log10(v) - k) > 1e-9:
        return f"{v:g}"
    return f"{v:g}" if -2 <= k <= 3 else "10" + str(k).translate(_SUPERSCRIPT)


def decade_ticks(ax, axis: str = "y") -> None:
    """Log-axis labels at each decade as `decade_label` text (unicode exponents at full size, no mathtext
    70 % exponents); minor ticks unlabelled. For axes spanning more decades than `plain_log_ticks` reads well."""
    import matplotlib.ticker as mticker

    for name in ("x", "y") if axis == "both" else (axis,):
        a = ax.xaxis if name == "x" else ax.yaxis
        a.set_major_locator(mticker.LogLocator(base=10, numticks=12))
        a.set_major_formatter(mticker.FuncFormatter(lambda v, _: decade_label(v)))
        a.set_minor_formatter(mticker.NullFormatter())


def legend_above(ax, ncols: int | None = None, **kw):
    """A legend in one row above the axes, never on the data (when direct labels cannot work); in the phone
    rendering one entry per line."""
    handles, labels = ax.get_legend_handles_labels()
    ncols = 1 if phone() else ncols
    kw.setdefault("fontsize", FONT["small"])
    return ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 1.01), borderaxespad=0,
                     ncols=ncols or len(labels), frameon=False, **kw)


# -- values on hover --------------------------------------------------------------------------------------

HOVER_CLASS = "hover-data"  # the hidden <text> that carries a figure's hover values (read by hover.js)


def _fmt_cell(v, fmt: str) -> str:
    import math

    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return "" if not math.isfinite(f) else fmt.format(f)


class _Hover:
    """What the reader sees on hover, collected by `hover_grid`/`hover_points`/`hover_bars` and written into
    the SVG as one hidden <text> of JSON (inside <text>, numbers keep their digits: normalise.py rounds
    only coordinates), with every position already in the SVG's own units (its viewBox), so
    `docs/assets/javascripts/hover.js` maps the cursor without knowing Matplotlib."""

    def __init__(self):
        self.grids, self.rects, self.points = [], [], []


def _hover(fig) -> _Hover:
    from matplotlib.artist import Artist

    store = getattr(fig, "_circuits_hover", None)
    if store is not None:
        return store
    store = _Hover()

    class HoverArtist(Artist):
        def draw(self, renderer):  # only the SVG renderer has a writer; Agg (checks, PNG) draws nothing
            writer = getattr(renderer, "writer", None)
            if writer is None or not (store.grids or store.rects or store.points):
                return
            import json

            h = renderer.height

            def xy(ax, x, y):
                import numpy as np

                p = ax.transData.transform(np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]).astype(float))
                return [[round(float(a), 1), round(float(h - b), 1)] for a, b in p]

            out = {"grids": [], "rects": [], "points": []}
            for g in store.grids:
                ax = g["ax"]
                xs = [p[0] for p in xy(ax, g["xedges"], [g["yedges"][0]] * len(g["xedges"]))]
                ys = [p[1] for p in xy(ax, [g["xedges"][0]] * len(g["yedges"]), g["yedges"])]
                out["grids"].append({"x": xs, "y": ys, "v": g["cells"], "rows": g["rows"], "cols": g["cols"],
                                     "fmt": g["template"]})
            for ax, x0, y0, x1, y1, label in store.rects:
                import math

                (a, b), (c, d) = xy(ax, [x0, x1], [y0, y1])
                box = ax.bbox  # clip to the axes (a bar from 0 on a log axis starts at -inf)
                bx0, bx1, by0, by1 = box.x0, box.x1, h - box.y1, h - box.y0
                fix = lambda v, lo, hi: min(max(v, lo), hi) if math.isfinite(v) else lo
                a, c = sorted((fix(a, bx0, bx1), fix(c, bx0, bx1)))
                b, d = (by1, by1) if not (math.isfinite(b) or math.isfinite(d)) else (b, d)
                b, d = sorted((fix(b, by0, by1) if math.isfinite(b) else by1,
                               fix(d, by0, by1) if math.isfinite(d) else by1))
                out["rects"].append([round(a, 1), round(b, 1), round(c, 1), round(d, 1), label])
            for ax, x, y, label in store.points:
                (a, b), = xy(ax, x, y)
                out["points"].append([a, b, label])
            writer.element("text", text=json.dumps(out, ensure_ascii=False, separators=(",", ":")),
                           attrib={"class": HOVER_CLASS, "style": "display: none"})

    artist = HoverArtist()
    artist.set_in_layout(False)  # no box: neither constrained layout nor bbox "tight" see it
    artist.set_zorder(1e9)
    fig.add_artist(artist)
    fig._circuits_hover = store
    return store


def hover_grid(ax, values, rows: Sequence[str], cols: Sequence[str], *, fmt: str = "{:.2f}",
               template: str = "{row} → {col}: {v}", xedges=None, yedges=None) -> None:
    """Show each cell's value on hover, for a heatmap drawn with `imshow` (default extent: cell (i, j)
    centred on (j, i)) or with explicit `xedges`/`yedges` in data units. `template` names the row label,
    column label and formatted value."""
    import numpy as np

    values = np.asarray(values)
    n, m = values.shape
    xedges = list(np.arange(m + 1) - 0.5) if xedges is None else list(xedges)
    yedges = list(np.arange(n + 1) - 0.5) if yedges is None else list(yedges)
    _hover(root_figure(ax)).grids.append({
        "ax": ax, "xedges": xedges, "yedges": yedges, "rows": [str(r) for r in rows],
        "cols": [str(c) for c in cols], "template": template,
        "cells": [[_fmt_cell(v, fmt) for v in row] for row in values]})


def hover_points(ax, xs: Sequence[float], ys: Sequence[float], labels: Sequence[str]) -> None:
    """Show a label (its numbers) when the cursor is near a point (a few hundred points at most: each
    label is stored in the SVG)."""
    store = _hover(root_figure(ax))
    for x, y, label in zip(xs, ys, labels):
        store.points.append((ax, float(x), float(y), str(label)))


def hover_bars(ax, bars, labels: Sequence[str]) -> None:
    """Show a label over each bar (a BarContainer or a list of Rectangles), e.g. its value and interval."""
    store = _hover(root_figure(ax))
    for b, label in zip(bars, labels):
        x, y, w, hgt = b.get_x(), b.get_y(), b.get_width(), b.get_height()
        store.rects.append((ax, x, y, x + w, y + hgt, str(label)))


def hover_rect(ax, x0: float, y0: float, x1: float, y1: float, label: str) -> None:
    """Show `label` anywhere inside a data-space rectangle (a box, a band, a histogram bin)."""
    _hover(root_figure(ax)).rects.append((ax, x0, y0, x1, y1, str(label)))


# -- page weight ------------------------------------------------------------------------------------------

def rasterize_dense(fig, min_points: int = DENSE_POINTS) -> list:
    """Rasterise every collection (scatter, mesh) or line of the figure with >= `min_points` points.
    Returns the artists it rasterised. A figure with a 20,000-point scatter drops from ~3 MB to ~0.1 MB."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D

    done = []
    for ax in fig.axes:
        for a in ax.get_children():
            n = 0
            if isinstance(a, Collection):
                n = max(len(a.get_offsets()), len(a.get_paths()))
            elif isinstance(a, Line2D):
                n = len(a.get_xdata())
            if n >= min_points:
                a.set_rasterized(True)
                done.append(a)
    return done


# -- the draw-time check ----------------------------------------------------------------------------------

def _overlap(a, b) -> float:
    """Area (px²) of the intersection of two display-space boxes."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def drawn_texts(fig) -> list:
    """(text artist, display-space box) of every non-empty Text the figure actually draws (tick labels
    outside the view limits, invisible or empty texts are skipped), in drawing order."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    seen: dict[int, object] = {}
    original = type(renderer).draw_text

    def record(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None and s.strip():
            seen.setdefault(id(mtext), mtext)
        return original(self, gc, x, y, s, prop, angle, ismath, mtext)

    renderer.draw_text = record.__get__(renderer)
    try:
        fig.draw(renderer)
    finally:
        del renderer.draw_text
    return [(t, t.get_window_extent(renderer)) for t in seen.values()]


def check_no_overlaps(fig, tolerance_px: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of strings whose drawn boxes overlap by more than `tolerance_px` in both directions, and
    (text, "<figure edge>") for text running past the figure's edge. Empty: the layout is clean."""
    texts = drawn_texts(fig)
    tol = tolerance_px * fig.dpi / CSS_PX_PER_IN  # CSS px -> display px of the figure
    w, h = fig.get_figwidth() * fig.dpi, fig.get_figheight() * fig.dpi
    out = []
    for i, (a, ba) in enumerate(texts):
        if ba.x0 < -tol or ba.y0 < -tol or ba.x1 > w + tol or ba.y1 > h + tol:
            out.append((a.get_text(), "<figure edge>"))
        for b, bb in texts[i + 1:]:
            ow = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            oh = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if ow > tol and oh > tol:
                out.append((a.get_text(), b.get_text()))
    return out


def check_figure(fig) -> list[str]:
    """Every readability problem of a drawn figure, one sentence each: overlapping text, text past the
    figure edge, text smaller than `MIN_TEXT_PX` at the column width. Empty: the figure is fine."""
    problems = []
    for a, b in check_no_overlaps(fig):
        problems.append(f"text {a!r} runs past the figure edge" if b == "<figure edge>"
                        else f"text {a!r} overlaps {b!r}")
    width = fig.get_figwidth()
    if phone() and width > PHONE_IN - 2 * PAD_IN + 0.005:
        problems.append(f"the phone rendering is {width:.2f} in wide (at most {PHONE_IN - 2 * PAD_IN:.2f} in, so its "
                        f"text is >= {PHONE_MIN_PX:g} px in a {PHONE_COLUMN_PX} px column): size it with "
                        "style.figure/subplots, or ask style.phone()")

    def smallest_pt(t) -> float:  # mathtext draws ^exponents and _subscripts at 70 % of the size
        s = t.get_text()
        return t.get_fontsize() * (0.7 if s.count("$") >= 2 and ("^" in s or "_" in s) else 1.0)

    small = sorted({(round(px(smallest_pt(t), width), 1), t.get_text()) for t, _ in drawn_texts(fig)
                    if px(smallest_pt(t), width) < MIN_TEXT_PX - 0.05})
    for size, s in small[:10]:
        problems.append(f"text {s!r} is {size} px at the column width (minimum {MIN_TEXT_PX} px: "
                        f"fontsize >= {MIN_FONT_PT:.2f} pt, figure <= {COLUMN_IN:.2f} in wide)")
    if len(small) > 10:
        problems.append(f"... and {len(small) - 10} more texts under {MIN_TEXT_PX} px")
    return problems


class LayoutError(EngineError):
    """A figure's text overlaps, is cut off or is too small to read."""


def enforce(fig, figure_id: str, theme: str) -> None:
    """The job runner's check after `plot()`: raises LayoutError if the figure has problems (`check_figure`)."""
    problems = check_figure(fig)
    if problems:
        where = f"{theme} theme, phone rendering" if phone() else f"{theme} theme"
        raise LayoutError(f"figure {figure_id!r} ({where}) is not readable:\n  - " + "\n  - ".join(problems))
