"""The shared figure style (issue #14): the draw-time overlap check, sizes, real SVG text, labels, weight."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after matplotlib.use)
import numpy as np  # noqa: E402  (after matplotlib.use)
import pytest  # noqa: E402  (after matplotlib.use)

from scripts.engine import style  # noqa: E402  (after matplotlib.use)


@pytest.fixture(params=style.THEMES)
def theme(request):
    with plt.rc_context(style.rc(request.param)):
        yield request.param
    plt.close("all")


def svg_of(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return style.web_svg(buf.getvalue())


def test_overlapping_texts_are_reported_by_their_strings(theme):
    fig, ax = style.subplots(theme, width=0.8)
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")  # a few points to the right: the two collide
    ax.text(0.1, 0.9, "alone")
    pairs = style.check_no_overlaps(fig)
    assert pairs == [("first label", "second label")]
    with pytest.raises(style.LayoutError) as err:
        style.enforce(fig, "my-figure", theme)
    msg = str(err.value)
    assert "'my-figure'" in msg and f"({theme} theme)" in msg and "'first label' overlaps 'second label'" in msg


def test_clean_figure_passes(theme):
    fig, ax = style.subplots(theme, width=1.0, aspect=0.5)
    x = np.linspace(0, 1, 50)
    for k in range(3):
        ax.plot(x, x ** (k + 1), label=f"power {k + 1}")
    ax.set(xlabel="x", ylabel="y", title="Powers", xlim=(0, 1.25))
    style.label_lines(ax, theme)  # three labels whose ends are close: spread apart
    assert style.check_no_overlaps(fig) == []
    assert style.check_figure(fig) == [] and style.enforce(fig, "clean", theme) is None


def test_text_past_the_edge_and_tiny_text_are_reported(theme):
    fig, ax = style.subplots(theme, width=0.5)
    ax.plot([0, 1], [0, 1])
    fig.text(0.8, 0.5, "a label that runs off the right edge")  # figure text: no layout moves it
    ax.text(0.1, 0.1, "tiny", fontsize=5)
    problems = style.check_figure(fig)
    assert "text 'a label that runs off the right edge' runs past the figure edge" in problems
    assert any(p.startswith("text 'tiny' is 6.7 px") for p in problems)


def test_figures_not_made_by_style_are_checked_too(theme):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.text(0.5, 0.5, "one")
    ax.text(0.5, 0.5, "two")
    with pytest.raises(style.LayoutError, match="'one' overlaps 'two'"):
        style.enforce(fig, "plain", theme)


def test_hidden_texts_and_ticks_outside_the_view_are_ignored(theme):
    fig, ax = style.subplots(theme, width=0.6)
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "shown")
    ax.text(0.5, 0.5, "hidden").set_visible(False)
    ax.set_xticks([0, 0.5, 1, 5])  # 5 is outside the view: not drawn
    assert style.check_no_overlaps(fig) == []
    assert "5" not in [t.get_text() for t, _ in style.drawn_texts(fig)]


def test_text_is_real_svg_text_in_the_page_font_and_numbers_are_not_rounded(theme):
    from scripts.engine.normalise import canonical_svg

    fig, ax = style.subplots(theme, width=0.6)
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("cosine 0.03162")
    svg = canonical_svg(svg_of(fig))
    assert ">cosine 0.03162</text>" in svg  # searchable, selectable, and the label's digits kept
    assert f"font-family: {style.PAGE_FONT}" in svg and "DejaVu" not in svg
    assert "<dc:date>" not in svg


def test_sizes_put_text_at_11_px_at_the_column_width():
    w, h = style.figsize(1.0, 0.5)
    assert w == pytest.approx(7.07) and h == pytest.approx(3.54, abs=0.01)  # + 2 x 0.05 in pad = 7.17 in
    assert style.px(style.FONT["small"], w) >= style.MIN_TEXT_PX
    assert style.px(style.FONT["small"], 2 * w) < style.MIN_TEXT_PX  # a figure twice as wide halves its text
    with pytest.raises(ValueError, match="shrinks its text"):
        style.figsize(1.3)
    assert style.tick_step(1000, 7.0) >= 20 and style.tick_step(10, 7.0) == 1


def test_spread_keeps_order_and_gap_within_bounds():
    ys = style.spread([0.5, 0.52, 0.51, 0.1], 0.1, lo=0, hi=0.6)
    assert ys[3] == 0.1
    top = sorted(ys[:3])
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(top, top[1:])) and max(ys) <= 0.6 + 1e-9
    assert ys[0] < ys[2] < ys[1]  # same order as the input values


def test_fixed_colours_and_readable_text_colours():
    assert style.color_for("attn-only-2l") == style.MODEL_COLORS["attn-only-2l"]
    assert style.color_for("L1H2") == style.head_color(1, 2)
    assert style.color_for("some series") == style.color_for("some series")  # crc32: no hash salt
    for theme in style.THEMES:
        for c in style.OKABE_ITO:
            assert style.contrast(style.text_color(c, theme), style.PAGE_BG[theme]) >= 4.5


def test_label_points_avoids_overlaps(theme):
    fig, ax = style.subplots(theme, width=0.7)
    xs, ys = [0.5, 0.505, 0.51, 0.2], [0.5, 0.5, 0.505, 0.8]
    ax.scatter(xs, ys)
    ax.set(xlim=(0, 1), ylim=(0, 1))
    style.label_points(ax, theme, xs, ys, ["alpha", "beta", "gamma", "delta"])
    assert style.check_no_overlaps(fig) == []


def test_rasterize_dense_shrinks_a_big_scatter(theme):
    rng = np.random.default_rng(0)
    fig, ax = style.subplots(theme, width=0.7)
    ax.scatter(*rng.standard_normal((2, 20_000)), s=2)
    ax.plot([0, 1], [0, 1])  # a short line stays vector
    before = len(svg_of(fig))
    assert len(style.rasterize_dense(fig)) == 1
    after = len(svg_of(fig))
    assert before > 1_500_000 and after < before / 5, (before, after)


def _hover_json(svg: str) -> dict:
    import html
    import json
    import re

    m = re.search(r'<text class="hover-data" style="display: none">(.*?)</text>', svg, re.S)
    assert m, "no hover data in the SVG"
    return json.loads(html.unescape(m.group(1)))


def test_hover_data_maps_svg_units_to_cells_bars_and_points(theme):
    """What hover.js reads: cell edges, bar boxes and points in the SVG's own units (its viewBox), the
    values as formatted text (inside <text>, canonical_svg keeps every digit)."""
    import re

    from scripts.engine.normalise import canonical_svg

    fig, (a1, a2) = style.subplots(theme, 1, 2, width=1.0, height=2.5)
    m = np.array([[0.12345, 0.5], [np.nan, 1.0], [0.25, 0.75]])
    a1.imshow(m)
    style.hover_grid(a1, m, ["r0", "r1", "r2"], ["c0", "c1"], fmt="{:.4f}", template="{row} → {col}: {v}")
    bars = a2.bar([0, 1], [2.0, 3.0])
    style.hover_bars(a2, bars, ["first bar", "second bar"])
    style.hover_points(a2, [1], [3.0], ["a point"])
    svg = canonical_svg(svg_of(fig))
    assert style.check_figure(fig) == []  # the hidden data is no text of the drawing
    data = _hover_json(svg)
    g = data["grids"][0]
    assert g["v"][0][0] == "0.1235" and g["v"][1][0] == "" and g["rows"] == ["r0", "r1", "r2"]
    assert len(g["x"]) == 3 and len(g["y"]) == 4 and g["y"][0] < g["y"][-1]  # SVG y grows downwards
    vb_w, vb_h = (float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups())
    assert 0 <= g["x"][0] < g["x"][-1] <= vb_w / 2 + 5  # the left panel, inside the picture
    (x0, y0, x1, y1, label), second = data["rects"]
    assert label == "first bar" and vb_w / 2 < x0 < x1 <= vb_w and 0 <= y0 < y1 <= vb_h
    assert second[1] < y0  # the taller bar reaches higher (smaller SVG y)
    px, py, plabel = data["points"][0]
    assert plabel == "a point" and abs(px - (second[0] + second[2]) / 2) < 1 and abs(py - second[1]) < 1


def test_label_lines_works_in_subfigures_and_spaces_two_line_labels(theme):
    fig = style.figure(theme, width=1.0, height=4)
    top, _ = fig.subfigures(2, 1)
    ax = top.subplots()
    x = np.arange(10)
    ax.plot(x, np.full(10, 1.0), label="first\nline")
    ax.plot(x, np.full(10, 1.02), label="second\nline")
    ax.set_xlim(0, 14)
    style.label_lines(ax, theme)
    assert style.check_no_overlaps(fig) == []


def test_the_phone_rendering_wraps_a_grid_and_keeps_its_shape(theme):
    """Issue #26: inside layout("phone") a 1 x 3 grid is one column, a 2 x 8 grid wrapped at 4 columns is
    4 x 4 with each column's panels kept together, and plot() indexes both as on the desktop."""
    with style.layout("phone"):
        assert style.phone()
        fig, axes = style.subplots(theme, 1, 3, width=1.0, height=3.0, sharey=True)
        assert axes.shape == (3,) and fig.get_figwidth() <= style.PHONE_IN - 2 * style.PAD_IN
        assert fig.get_figheight() == pytest.approx(3.0 * 3 * style.PHONE_ROW)
        rows = [ax.get_subplotspec().rowspan.start for ax in axes]
        cols = {ax.get_subplotspec().colspan.start for ax in axes}
        assert rows == [0, 1, 2] and cols == {0}
        axes[0].set_ylim(0, 7)
        assert axes[2].get_ylim() == (0, 7)  # sharey still shares
        fig, axes = style.subplots(theme, 2, 8, height=2.3, phone_cols=4)
        assert axes.shape == (2, 8)
        spec = lambda ax: (ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start)
        assert [spec(axes[r, c]) for r, c in ((0, 0), (1, 0), (0, 3), (0, 4), (1, 7))] == [
            (0, 0), (1, 0), (0, 3), (2, 0), (3, 3)]
        fig = style.figure(theme)
        top = style.subfigures(fig, 1, 2)
        assert top.shape == (2,)
        wide = plt.figure(figsize=(7.0, 3.0))
        assert any("phone rendering is 7.00 in wide" in p for p in style.check_figure(wide))
        with pytest.raises(style.LayoutError, match=r"figure 'f' \(\w+ theme, phone rendering\) is not readable"):
            style.enforce(wide, "f", theme)  # the job's error names the rendering that failed
        with plt.rc_context(style.rc(theme)):
            plain, _ = plt.subplots()  # a script that sizes nothing still fits a phone
        assert plain.get_figwidth() <= style.PHONE_IN - 2 * style.PAD_IN
    assert not style.phone()  # the layout is restored
    fig, axes = style.subplots(theme, 1, 3)
    assert {ax.get_subplotspec().rowspan.start for ax in axes} == {0}  # the desktop's grid is untouched
    assert style.check_figure(plt.figure(figsize=(7.0, 3.0))) == []


def test_every_committed_rendering_fits_its_column():
    """The draw-time check reads text; a drawing can still spill past the figure (constrained layout giving
    up on panels too narrow for it), and `bbox: tight` then saves a wider image that the page shrinks. Read
    every committed image's saved width: the column's at most COLUMN_IN, the phone's at most PHONE_IN."""
    import pathlib
    import re

    out = pathlib.Path(__file__).resolve().parents[1] / "figures" / "out"
    wide = []
    for svg in sorted(out.glob("*.svg")):
        width_pt = float(re.search(r'<svg[^>]*?width="([\d.]+)pt"', svg.read_text()[:2000]).group(1))
        limit_in = style.PHONE_IN if svg.name.endswith(".phone.svg") else style.COLUMN_IN
        if width_pt / 72 > limit_in + 0.01:
            wide.append(f"{svg.name}: {width_pt / 72:.2f} in (at most {limit_in:.2f})")
    assert len(list(out.glob("*.phone.svg"))) >= 90 and not wide, wide
