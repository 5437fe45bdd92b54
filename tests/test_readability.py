"""Figures a reader can read, pages a phone can load (issue #14), measured in Chromium on the built site.

For every post and head-atlas page, at a 1280 px and a 390 px wide viewport:

* the smallest text of each computed figure, in CSS px as the reader sees it: the font size in the SVG ×
  the width the image is shown at / the SVG's viewBox width. SVGs are <img>, so their text is read from the
  file; the shown width is measured in the page (an image the browser has not loaded yet — `loading=lazy` —
  gets the width CSS will give it: its natural width, at most the column's). At 390 px it is measured twice:
  inline, in the rendering the page serves there (the phone rendering, a <picture> source; issue #26),
  and full size, in the dialog a tap opens (lightbox.js), really opened. A page never fetches both
  renderings of one image;
* the page weight on first load: the bytes transferred for every response before any scrolling, served
  gzip-compressed as GitHub Pages serves the site (`gzip_server`); the uncompressed bytes are reported too.

Thresholds: text >= 11 px at 1280 px, >= 9 px at 390 px inline and after the tap, <= 2 MB per page. An SVG whose
text is drawn as glyph paths (no <text>: `svg.fonttype: path`, every figure before the conversion) fails:
its text can be neither searched nor selected.

Figures not yet converted to `scripts/engine/style.py` are listed in LEGACY_FIGURES: they are reported, not
failed, and their image bytes are left out of the page weight. Every listed figure must still fail, so the
list can only shrink: convert a figure, delete its line.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import os
import pathlib
import re
import subprocess
import threading
import urllib.parse
import urllib.request

import pytest

from tests.conftest import BIN, REPO, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MIN_PX_DESKTOP, MIN_PX_PHONE, MAX_PAGE_BYTES = 11.0, 9.0, 2_000_000  # phone: inline, and after a tap
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}

# Figures not yet converted to the shared style (issue #14). Convert one (style.subplots, sizes, real
# text, direct labels; see scripts/engine/style.py), rebuild it, delete its line here.
LEGACY_FIGURES: set[str] = set()  # every figure converted (issue #14); keep it empty

_FONT_SIZE = re.compile(r"font-size:\s*([\d.]+)px|font:\s*(?:[a-z-]+\s+)*([\d.]+)px")
_TEXT_STYLE = re.compile(r"<(?:text|tspan)\b[^>]*?style=\"([^\"]*)\"")
_VIEWBOX = re.compile(r"viewBox=\"\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)\s+([\d.]+)\s*\"")
_WIDTH = re.compile(r"<svg\b[^>]*?\bwidth=\"([\d.]+)(pt|px)?\"")
_GLYPH_SCALE = re.compile(r"scale\((0?\.\d+) -\1\)")  # Matplotlib's glyph groups: font size / 100
_GLYPHS = re.compile(r"<path\b[^>]*\bid=\"[A-Za-z][\w-]*-[0-9a-f]+\"|xlink:href=\"#DejaVu")


def svg_text_facts(svg: str) -> dict:
    """What an SVG's text is: the smallest font size (user units), viewBox and natural width (CSS px)."""
    sizes = []
    for style in _TEXT_STYLE.findall(svg):
        m = _FONT_SIZE.search(style)
        if m:
            sizes.append(float(m.group(1) or m.group(2)))
    n_text = len(re.findall(r"<text\b", svg))
    if n_text and not sizes:
        sizes = [16.0]  # SVG's default font size
    vb_w = float(_VIEWBOX.search(svg).group(1))
    w = _WIDTH.search(svg)
    natural = float(w.group(1)) * (4 / 3 if (w.group(2) or "px") == "pt" else 1) if w else vb_w
    glyph_sizes = [100 * float(x) for x in _GLYPH_SCALE.findall(svg)]
    return {"min_font": min(sizes) if sizes else None, "n_text": n_text, "glyphs": bool(_GLYPHS.search(svg)),
            "min_glyph_font": min(glyph_sizes) if glyph_sizes else None,
            "viewbox_w": vb_w, "natural_px": natural}


def text_px(facts: dict, shown_px: float) -> float | None:
    """The smallest text of an SVG shown `shown_px` wide, in CSS px (None: it has no text to read).
    For glyph-path text (no <text> elements; always a failure) the size Matplotlib drew the glyphs at."""
    if facts["n_text"] == 0:
        font = facts["min_glyph_font"] if facts["glyphs"] else None
        return None if font is None else font * shown_px / facts["viewbox_w"]
    return facts["min_font"] * shown_px / facts["viewbox_w"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The repository's site, built once with the committed figures (FIGURES_BUILD=0: nothing computed)."""
    out = tmp_path_factory.mktemp("readability-site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "FIGURES_BUILD": "0"}
    proc = subprocess.run([str(BIN / "mkdocs"), "build", "-d", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out


class _GzipHandler(http.server.SimpleHTTPRequestHandler):
    """A static server that compresses text (HTML, JS, CSS, SVG, JSON) like GitHub Pages does."""

    COMPRESS = (".html", ".js", ".css", ".svg", ".json", ".xml", ".txt", ".map")
    cache: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = pathlib.Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if not (path.is_file() and path.suffix in self.COMPRESS and "gzip" in self.headers.get("Accept-Encoding", "")):
            return super().do_GET()
        if path not in self.cache:
            self.cache[path] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        body = self.cache[path]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def gzip_server(directory: pathlib.Path):
    handler = functools.partial(_GzipHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def posts(site) -> list[str]:
    return sorted(p.parent.relative_to(site).as_posix() + "/" for p in site.glob("20*/*/*/*/index.html"))


def atlas_pages(site) -> list[str]:
    return sorted(p.parent.relative_to(site).as_posix() + "/" for p in site.glob("atlas/*/index.html"))


def _local_only(route):
    host = urllib.parse.urlparse(route.request.url).hostname
    if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


# Each figure's shown image (the palette's variant) and the rendering the page serves at this width: the
# <picture>'s <source> when its media query matches (the phone rendering), else the <img>'s own src. A lazy
# image not loaded yet has no currentSrc, so the choice is read the way the browser makes it (matchMedia).
_FIGURES_JS = """() => [...document.querySelectorAll('.computed-figure')].map(f => {
  const img = [...f.querySelectorAll('img')].find(i => !i.closest('.widget') && getComputedStyle(i).display !== 'none');
  const r = img ? img.getBoundingClientRect() : null;
  const source = img && img.parentElement.tagName === 'PICTURE' ? img.parentElement.querySelector('source') : null;
  const served = source && matchMedia(source.media).matches ? new URL(source.srcset, location.href).href : (img ? img.src : null);
  return {id: f.id.replace(/^fig-/, ''), src: img ? img.getAttribute('src').split('#')[0] : null,
          url: served ? served.split('#')[0] : null, current: img && img.currentSrc ? img.currentSrc.split('#')[0] : null,
          phone_source: !!source, loaded: !!(img && img.complete && img.naturalWidth > 0),
          shown: r ? r.width : 0, column: f.getBoundingClientRect().width};
})"""

_TAP_JS = """async (id) => {
  const img = [...document.querySelectorAll(`#fig-${id} img`)]
    .find(i => !i.closest('.widget') && getComputedStyle(i).display !== 'none');
  img.click();
  const big = document.querySelector('dialog.figure-lightbox[open] img');
  if (!big) return null;
  const deadline = Date.now() + 20000;
  while (!(big.complete && big.naturalWidth && big.style.width) && Date.now() < deadline)
    await new Promise(ok => setTimeout(ok, 50));
  const w = big.getBoundingClientRect().width;
  document.querySelector('dialog.figure-lightbox').close();
  return w;
}"""


def local_page(browser, width: int, height: int):
    """(context, page, errors): a page that may load only the local site, collecting its script errors."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.route("**/*", _local_only)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def measure_post(browser, base: str, rel: str, viewport: str, svgs: dict) -> dict:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    context.set_default_timeout(180_000)  # a 10 MB page on a busy 2-core machine
    page = context.new_page()
    page.route("**/*", _local_only)
    requests = []
    page.on("requestfinished", lambda r: requests.append(r))
    page.goto(f"{base}/{rel}", wait_until="networkidle")
    page.wait_for_timeout(300)
    requests = [r for r in requests if not r.url.startswith("data:")]
    sizes = [(r.url, (lambda s: s["responseBodySize"] + s["responseHeadersSize"])(r.sizes())) for r in requests]
    raw = sum(len(r.response().body()) for r in requests if r.response())
    figures = []
    for f in page.evaluate(_FIGURES_JS):
        if not f["src"]:
            continue
        path = urllib.parse.urlparse(f["url"]).path
        if path not in svgs:
            svgs[path] = svg_text_facts(urllib.request.urlopen(f["url"]).read().decode())
        facts = svgs[path]
        shown = f["shown"] if f["loaded"] else min(facts["natural_px"], f["column"])
        if f["loaded"]:  # the rule used for lazy images is what CSS does with loaded ones, served as predicted
            assert abs(f["shown"] - min(facts["natural_px"], f["column"])) < 2, (rel, f)
            assert f["current"] == f["url"], (rel, f)
        stem = path.rsplit("/", 1)[-1].split(".")[0]
        both = {u.rsplit("/", 1)[-1] for u, _ in sizes if f"/figures/{stem}." in u and u.endswith(".svg")}
        assert not ({f"{stem}.light.svg", f"{stem}.light.phone.svg"} <= both
                    or {f"{stem}.dark.svg", f"{stem}.dark.phone.svg"} <= both), f"{rel}: both renderings fetched"
        tapped = page.evaluate(_TAP_JS, f["id"]) if viewport == "phone" else None
        figures.append({"id": f["id"], "inline_px": text_px(facts, shown), "phone": path.endswith(".phone.svg"),
                        "tap_px": text_px(facts, tapped) if tapped else None, "facts": facts,
                        "legacy": f["id"] in LEGACY_FIGURES})
    legacy_bytes = sum(n for url, n in sizes
                       if any(f"/figures/{fid}." in url and url.endswith(".svg") for fid in LEGACY_FIGURES))
    context.close()
    return {"bytes": sum(n for _, n in sizes), "raw_bytes": raw, "legacy_bytes": legacy_bytes, "figures": figures}


def _fails(fig: dict, viewport: str) -> str | None:
    facts = fig["facts"]
    if facts["n_text"] == 0 and facts["glyphs"]:
        return "text drawn as glyph paths (no <text>): not searchable or selectable"
    if viewport == "desktop" and fig["inline_px"] is not None and fig["inline_px"] < MIN_PX_DESKTOP:
        return f"smallest text {fig['inline_px']:.1f} px at 1280 px (minimum {MIN_PX_DESKTOP:g})"
    if viewport == "phone" and fig["inline_px"] is not None:
        if not fig["phone"]:
            return "the page serves no phone rendering at 390 px"
        if fig["inline_px"] < MIN_PX_PHONE:
            return f"smallest text {fig['inline_px']:.1f} px inline at 390 px (minimum {MIN_PX_PHONE:g})"
        if fig["tap_px"] is None:
            return "no full-size view opened on tap"
        if fig["tap_px"] < MIN_PX_PHONE:
            return f"smallest text {fig['tap_px']:.1f} px at 390 px after a tap (minimum {MIN_PX_PHONE:g})"
    return None


def _px(v):
    return "  -  " if v is None else f"{v:4.1f}"


def test_figure_text_is_readable_and_pages_are_light(browser, site):
    import sys

    problems, still_failing, seen = [], set(), set()
    report = ["", "readability per post (smallest figure text in CSS px; page weight on first load)"]
    svgs: dict = {}
    with gzip_server(site) as base:
        for rel in posts(site) + atlas_pages(site):  # every figure of the site: the notes', then the atlas's
            results = {vp: measure_post(browser, base, rel, vp, svgs) for vp in VIEWPORTS}
            d, p = results["desktop"], results["phone"]
            print(f"measured {rel}", file=sys.stderr)
            report.append(f"{rel}: transferred {d['bytes'] / 1e6:.2f} MB at 1280 px (of which legacy figures "
                          f"{d['legacy_bytes'] / 1e6:.2f} MB; uncompressed {d['raw_bytes'] / 1e6:.2f} MB), "
                          f"{p['bytes'] / 1e6:.2f} MB at 390 px (uncompressed {p['raw_bytes'] / 1e6:.2f} MB)")
            for fd, fp in zip(d["figures"], p["figures"]):
                seen.add(fd["id"])
                why = _fails(fd, "desktop") or _fails(fp, "phone")
                mark = "LEGACY" if fd["legacy"] else "ok" if why is None else "FAIL"
                report.append(f"  {fd['id']:<22} 1280: {_px(fd['inline_px'])}  390 inline: {_px(fp['inline_px'])}"
                              f"  390 tap: {_px(fp['tap_px'])}  {mark}{'  (' + why + ')' if why else ''}")
                if why and fd["legacy"]:
                    still_failing.add(fd["id"])
                elif why:
                    problems.append(f"{rel} {fd['id']}: {why}")
            for vp, r in results.items():
                if r["bytes"] - r["legacy_bytes"] > MAX_PAGE_BYTES:
                    problems.append(f"{rel}: {r['bytes'] - r['legacy_bytes']:,} bytes on first load at "
                                    f"{VIEWPORTS[vp][0]} px without legacy figures (maximum {MAX_PAGE_BYTES:,})")
    print("\n".join(report), file=sys.stderr)
    for fid in sorted(LEGACY_FIGURES - still_failing):
        problems.append(f"LEGACY_FIGURES lists {fid!r}, but it " + (
            "passes now: delete it from the list" if fid in seen else "is on no post: delete it from the list"))
    assert not problems, "\n".join(problems)


def test_tap_opens_full_size_and_escape_closes_after_instant_navigation(browser, site):
    """Reach a post through Material's instant navigation, tap a figure, read it, press Esc."""
    with gzip_server(site) as base:
        context, page, errors = local_page(browser, 390, 844)
        page.goto(f"{base}/", wait_until="networkidle")
        page.locator("article", has_text="superposition").locator("a", has_text="Continue reading").first.click()
        page.wait_for_selector(".computed-figure img")
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
        img = page.locator(".computed-figure img:visible").first
        img.scroll_into_view_if_needed()
        natural = img.evaluate("i => i.naturalWidth")
        img.click()
        dialog = page.locator("dialog.figure-lightbox[open]")
        dialog.wait_for()
        big = dialog.locator("img")
        page.wait_for_function("() => document.querySelector('dialog.figure-lightbox[open] img')?.complete")
        assert big.bounding_box()["width"] >= natural - 1  # full size (the dialog scrolls on a phone)
        page.keyboard.press("Escape")
        page.wait_for_function("() => !document.querySelector('dialog.figure-lightbox[open]')")
        img.focus()
        page.keyboard.press("Enter")  # keyboard users open it too
        dialog.wait_for()
        page.keyboard.press("Escape")
        assert errors == []
        context.close()


def test_notebook_plots_are_not_white_boxes_in_dark_mode(browser, site):
    import io

    import numpy as np
    from PIL import Image

    with gzip_server(site) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
        page = context.new_page()
        page.route("**/*", _local_only)
        page.goto(f"{base}/notebooks/near_orthogonal/", wait_until="networkidle")
        assert page.get_attribute("body", "data-md-color-scheme") == "slate"
        img = page.locator(".jp-RenderedImage img").first
        img.scroll_into_view_if_needed()
        pixels = np.asarray(Image.open(io.BytesIO(img.screenshot())).convert("RGB"), dtype=float) / 255
        luminance = pixels @ [0.2126, 0.7152, 0.0722]
        assert (luminance > 0.9).mean() < 0.05, "the notebook plot is a light box on the dark page"
        assert luminance.mean() < 0.4
        # transparent: the plot's background is the page's (not a black box either)
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page_rgb = np.array([float(v) for v in re.findall(r"[\d.]+", bg)[:3]]) / 255
        assert np.abs(pixels[2, 2] - page_rgb).max() < 0.05, (pixels[2, 2] * 255, bg)
        context.close()


def test_hovering_a_heatmap_cell_or_bar_shows_its_number(browser, site):
    """Values on hover (docs/assets/javascripts/hover.js): pointing at a heatmap cell shows its row, column
    and value, read from the hidden data the figure script wrote into its SVG; leaving hides it."""
    with gzip_server(site) as base:
        context, page, errors = local_page(browser, 1280, 900)
        page.goto(f"{base}/{[r for r in posts(site) if 'residual-stream' in r][0]}", wait_until="networkidle")
        img = page.locator("#fig-virtual-weights img:visible")
        img.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('#fig-virtual-weights img').complete")
        box = img.bounding_box()
        tip = page.locator(".figure-hover")
        for _ in range(2):  # the first move fetches the SVG's hover data (from the cache)
            page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.04)  # the W_E row
            page.wait_for_timeout(300)
        tip.wait_for(state="visible")
        assert re.fullmatch(r"W_E → L\dH\d [QKV]: z = -?\d+\.\d", tip.inner_text()), tip.inner_text()
        page.mouse.move(5, 5)
        page.wait_for_timeout(100)
        assert not tip.is_visible()
        assert errors == []
        context.close()


def test_a_phone_is_served_the_phone_rendering_and_a_desktop_the_column_one(browser, site):
    """Issue #26: below style.PHONE_MEDIA the <picture> serves the phone rendering, in the palette's variant,
    and the desktop rendering of that image is never fetched; at 1280 px the reverse."""
    with gzip_server(site) as base:
        rel = [r for r in posts(site) if "superposition" in r][0]
        for (width, height), scheme, want, never in (((390, 844), "dark", ".dark.phone.svg", ".dark.svg"),
                                                     ((1280, 900), "light", ".light.svg", ".light.phone.svg")):
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
            page = context.new_page()
            page.route("**/*", _local_only)
            fetched = []
            page.on("requestfinished", lambda r, fetched=fetched: fetched.append(r.url))
            page.goto(f"{base}/{rel}", wait_until="networkidle")
            if scheme == "dark":  # the site follows the reader's system palette until they choose one
                assert page.get_attribute("body", "data-md-color-scheme") == "slate"
            img = page.locator(".computed-figure img:visible").first
            img.scroll_into_view_if_needed()
            page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle())
            current = img.evaluate("i => i.currentSrc").split("#")[0]
            assert current.endswith(want), current
            stem = current.rsplit("/", 1)[-1].split(".")[0]
            assert not any(u.endswith(f"/{stem}{never}") for u in fetched), fetched
            context.close()
