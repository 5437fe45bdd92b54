"""The built site in a real browser (Debian's chromium through Playwright, headless).

Every page: figure images load, math is typeset, the console shows no error, no request leaves localhost.
Then the palette toggle, and the author's loop: `mkdocs serve`, edit a figure's script, the open page
reloads with the number the edited script computed.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.conftest import BIN, copy_project, free_port, static_server

pytestmark = pytest.mark.browser


def site_pages(site) -> list[str]:
    pages = []
    for html in sorted(site.rglob("index.html")):
        rel = html.parent.relative_to(site).as_posix()
        if rel.startswith(("assets", "search")):
            continue
        pages.append("" if rel == "." else rel + "/")
    return pages


def open_page(browser, url: str, wait_until: str = "networkidle"):
    """A page with listeners that record console errors and any request to another host."""
    page = browser.new_page()
    page.errors, page.external = [], []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))

    def route(r):
        host = urllib.parse.urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            page.external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until=wait_until)
    return page


def on_a_phone(browser, url: str, ready: str, widget: str):
    """(context, page): `url` on a 390 px touch screen, once `ready` is there; `widget` must fit the screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(ready)
    scroll, client, right = page.eval_on_selector(
        widget, "e => [e.scrollWidth, e.clientWidth, e.getBoundingClientRect().right]")
    assert scroll <= client + 1 and right <= 390 + 1, (scroll, client, right)
    return context, page


def test_every_page_loads_images_math_and_stays_local(browser, built_site):
    with static_server(built_site) as base:
        pages = site_pages(built_site)
        assert len(pages) >= 5
        for rel in pages:
            page = open_page(browser, f"{base}/{rel}")
            # Figures load lazily, and only the variant the palette shows (the other is display: none and must
            # never be fetched): bring each shown image into view, then every shown image must have loaded.
            shown = "els => els.filter(e => e.offsetParent !== null)"
            for i in range(page.eval_on_selector_all("img", f"els => ({shown})(els).length")):
                page.eval_on_selector_all("img", f"(els, i) => ({shown})(els)[i].scrollIntoView()", i)
                page.wait_for_timeout(30)
            try:  # lazy loads start when an image nears the viewport; give them time to finish
                page.wait_for_function(f"() => ({shown})([...document.images])"
                                       ".every(e => e.complete && e.naturalWidth > 0)", timeout=20_000)
            except Exception:
                pass  # the assertion below names what did not load
            broken = page.eval_on_selector_all(
                "img", f"els => ({shown})(els).filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src)")
            assert broken == [], f"{rel}: images that did not load: {broken}"
            hidden_fetched = page.eval_on_selector_all(
                "img[loading=lazy]",
                "els => els.filter(e => e.offsetParent === null && e.complete && e.naturalWidth > 0).map(e => e.src)")
            assert hidden_fetched == [], f"{rel}: the hidden theme's variants were fetched: {hidden_fetched}"
            notebook_math = "els => els.filter(e => e.textContent.includes('$')).length"
            if page.locator(".arithmatex").count() or page.eval_on_selector_all(".jp-RenderedMarkdown", notebook_math):
                page.wait_for_selector("mjx-container", timeout=10_000)
                page.wait_for_timeout(300)  # let the typesetting pass finish
                untypeset = page.eval_on_selector_all(
                    ".arithmatex", "els => els.filter(e => !e.querySelector('mjx-container')).length")
                assert untypeset == 0, f"{rel}: {untypeset} formulas not typeset"
                leftover = page.eval_on_selector_all(".jp-RenderedMarkdown", notebook_math)
                assert leftover == 0, f"{rel}: $...$ left untypeset in {leftover} notebook cells"
            assert page.errors == [], f"{rel}: console errors {page.errors}"
            assert page.external == [], f"{rel}: requests left localhost: {page.external}"
            page.close()


def test_palette_toggle_switches_theme_and_figure_variant(browser, built_site):
    with static_server(built_site) as base:
        post = next(built_site.glob("20*/*/*/superposition/index.html")).parent.relative_to(built_site).as_posix()
        page = open_page(browser, f"{base}/{post}/")
        scheme = lambda: page.get_attribute("body", "data-md-color-scheme")
        visible = lambda: page.eval_on_selector_all(
            ".computed-figure img", "els => els.filter(e => getComputedStyle(e).display !== 'none').map(e => e.src)")
        first = scheme()
        shown_before = visible()
        page.locator("form[data-md-component=palette] label:visible").first.click()
        page.wait_for_function(f"document.body.getAttribute('data-md-color-scheme') !== '{first}'")
        assert {first, scheme()} == {"default", "slate"}
        shown_after = visible()
        n_figures = page.locator(".computed-figure").count()
        assert len(shown_before) == len(shown_after) == n_figures >= 1  # one variant of each figure at a time
        assert all(".dark.svg" in s for s in (shown_after if scheme() == "slate" else shown_before))
        assert all(".light.svg" in s for s in (shown_before if scheme() == "slate" else shown_after))
        page.close()


def test_serve_rebuilds_figure_when_imported_module_changes(browser, tmp_path):
    """Edit a module a figure script imports; the served page reloads with the new computed number."""
    project = copy_project(tmp_path / "p")
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen([str(BIN / "mkdocs"), "serve", "--dev-addr", f"127.0.0.1:{port}", "--livereload"],
                              cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        page = open_page(browser, base + "/2026/11/21/superposition/", wait_until="load")  # livereload never idles
        page.wait_for_selector(".computed-figure")
        # the measured standard deviation at the largest dimension, the first value written as 0.dddd
        find = ("() => [...document.querySelectorAll('.computed-value')].map(e => e.innerText)"
                ".find(t => /^0\\.\\d{4}$/.test(t))")
        before = page.evaluate(find)
        assert before, "no 0.dddd value on the page"
        geometry = project / "scripts" / "analysis" / "geometry.py"
        # Stretch the coordinates unevenly (effective dimension ~0.9 d): the spread of the cosines grows by ~6 %, so
        # the number changes while the figure keeps its layout (a collapsed one would fail the overlap check and
        # rightly keep its last good version).
        geometry.write_text(geometry.read_text().replace(
            "rng.standard_normal((n, d))", "rng.standard_normal((n, d)) * np.arange(1, d + 1) ** 0.25", 1))
        page.wait_for_function(f"() => {{ const v = ({find})(); return v !== undefined && v !== {before!r}; }}",
                               timeout=90_000)
        after = page.evaluate(find)
        assert re.fullmatch(r"\d\.\d{4}", after) and after != before
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


# The attention explorer's browser tests (instant navigation included) are in tests/test_explorer.py.


def test_citation_jumps_to_its_reference_and_shows_it_on_hover(browser, built_site):
    with static_server(built_site) as base:
        page = open_page(browser, f"{base}/conventions/")
        cite = page.locator("a.citation", has_text="Olsson et al., 2022").first
        assert "Induction heads" in cite.get_attribute("title") or "induction heads" in cite.get_attribute("title")
        cite.click()
        page.wait_for_function("location.hash === '#ref-olsson2022induction'")
        entry = page.locator("#ref-olsson2022induction")
        assert entry.is_visible() and entry.locator("a[href^='https://']").count() >= 1
        box = entry.bounding_box()
        assert box is not None and 0 <= box["y"] < page.viewport_size["height"]  # scrolled into view
        assert page.errors == [] and page.external == []
        page.close()


def test_on_a_phone_verdict_details_open_by_tap_and_keyboard_and_display_math_shows(browser, built_site):
    """At 390 px: a verdict chip's details open with a tap and with the keyboard (Enter, Escape back to the
    button), and the display equations keep their size (MathJax's SVG once collapsed to 1 x 1 px there)."""
    post = next(built_site.glob("20*/*/*/channel/index.html")).parent.relative_to(built_site).as_posix()
    with static_server(built_site) as base:
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.goto(f"{base}/{post}/", wait_until="networkidle")
        sizes = page.eval_on_selector_all("mjx-container[display='true'] svg",
                                          "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
        assert sizes and all(w > 40 and h > 10 for w, h in sizes), sizes
        chip = page.locator(".md-content .verdict-chip:has(.verdict-numbers)").first
        button, details = chip.locator("button.verdict-outcome"), chip.locator(".verdict-details")
        assert details.is_hidden()
        button.scroll_into_view_if_needed()
        button.tap()
        assert details.is_visible() and button.get_attribute("aria-expanded") == "true"
        box = details.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, box  # inside the phone's width
        assert "Rule, fixed before looking" in details.inner_text()
        page.locator("h1").first.tap()  # a tap elsewhere closes it
        assert details.is_hidden()
        button.focus()
        page.keyboard.press("Enter")
        assert details.is_visible()
        page.keyboard.press("Escape")
        assert details.is_hidden() and page.evaluate("document.activeElement.classList.contains('verdict-outcome')")
        context.close()


def test_on_a_phone_scorecards_and_claims_are_cards_whose_outcome_stays_on_screen(browser, built_site):
    """At 390 px a scorecard row and a Claims row are cards: nothing scrolls sideways and the outcome is on
    screen (a five-column table once cut it to "SUPP"); the Claims page's per-seed lines are folded."""
    post = next(built_site.glob("20*/*/*/channel/index.html")).parent.relative_to(built_site).as_posix()
    with static_server(built_site) as base:
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        for url, selector in ((f"{base}/{post}/", ".scorecard .verdict-outcome"),
                              (f"{base}/claims/", ".claims-table .verdict-outcome")):
            page.goto(url, wait_until="networkidle")
            for summary in page.locator("details:has(.scorecard) > summary").all():  # the scorecard is folded
                summary.tap()
            boxes = page.eval_on_selector_all(selector, "els => els.map(e => e.getBoundingClientRect().right)")
            assert min(boxes) > 0, url  # laid out, not hidden
            assert boxes and max(boxes) <= 390, (url, max(boxes))
            assert page.evaluate("document.documentElement.scrollWidth") <= 391, url
        assert page.locator(".claims-table details:not([open])").count() >= 10  # per-seed lines folded
        context.close()


def test_back_to_top_sits_in_a_bottom_corner_not_over_the_page_header(browser, built_site):
    post = next(built_site.glob("20*/*/*/circuits/index.html")).parent.relative_to(built_site).as_posix()
    with static_server(built_site) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/{post}/", wait_until="networkidle")
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(300)
        page.mouse.wheel(0, -600)  # Material shows the button while scrolling up
        page.wait_for_selector(".md-top:not([hidden])")
        box = page.locator(".md-top").bounding_box()
        assert box["y"] > 800 / 2 and box["x"] > 1280 / 2, box
        page.close()


def test_notebook_page_offers_its_ipynb_and_wraps_code_and_output_at_column_width(browser, built_site):
    with static_server(built_site) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/notebooks/grokking/", wait_until="networkidle")
        href = page.get_attribute("a[download][href$='.ipynb']", "href")
        assert href and urllib.request.urlopen(urllib.parse.urljoin(page.url, href)).status == 200
        cut = page.evaluate("[...document.querySelectorAll('.highlight-ipynb, .jp-OutputArea-output pre')]"
                            ".filter(e => e.scrollWidth > e.clientWidth + 1).length")
        assert cut == 0  # no code line hidden behind a scroll box
        assert "engine-inputs" not in page.inner_text(".md-content")  # the engine's header stays out of the page
        page.close()


def test_training_slider_keeps_one_spectrum_scale_and_labels_its_epochs(browser, built_site):
    """The spectrum is drawn on one y scale for the whole run (so the key frequencies' concentration shows as
    bars growing); the loss chart labels its epochs; the arrow keys move the slider."""
    post = next(built_site.glob("20*/*/*/grokking/index.html")).parent.relative_to(built_site).as_posix()
    with static_server(built_site) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/{post}/", wait_until="networkidle")
        page.wait_for_selector(".training-slider .ts-bars rect")
        texts = lambda sel: page.eval_on_selector_all(sel, "els => els.map(e => e.textContent)")
        scale = lambda: texts(".training-slider .ts-bars text")
        tallest = lambda: max(float(r.get_attribute("height")) for r in page.locator(".training-slider .ts-bars rect").all())
        ticks = texts(".training-slider .ts-curves text")
        assert "10k" in ticks and "epoch" in ticks, ticks
        end_scale, end_tallest = scale(), tallest()
        slider = page.locator(".training-slider input[type=range]")
        slider.focus()
        page.keyboard.press("Home")
        assert scale() == end_scale  # the same axis at the first epoch as at the last
        assert tallest() < 0.5 * end_tallest  # early on no frequency stands out yet
        page.keyboard.press("ArrowRight")
        assert "epoch 200:" in page.inner_text(".training-slider .ts-status")
        page.close()


def test_superposition_explorer_is_driven_by_keyboard_and_reads_on_a_phone(browser, built_site):
    """The toy-models explorer: the sparsity slider works from the keyboard (End: the sparsest setting, all five
    features represented; Home: dense, fewer), the plane and its description change with it, every WᵀW cell names
    its pair; on a 390 px phone the widget fits its column, stacks its panels and keeps its SVG text >= ~11 px."""
    post = next(built_site.glob("20*/*/*/toy-models/index.html")).parent.relative_to(built_site).as_posix()
    widget = ".superposition-explorer"

    def represented(page):
        status = page.inner_text(f"{widget} .se-status")
        found = re.search(r"(\d+) of (\d+) features represented", status)
        assert found, status
        return int(found[1]), int(found[2])

    with static_server(built_site) as base:
        page = open_page(browser, f"{base}/{post}/")
        # an arrow's head: Playwright calls a shaft along an axis (0 px wide) invisible
        page.wait_for_selector(f"{widget} .se-plane .se-vec polygon")
        tips = lambda: page.eval_on_selector_all(
            f"{widget} .se-plane .se-arrow", "els => els.map(e => [e.getAttribute('x2'), e.getAttribute('y2')])")
        described = lambda: page.get_attribute(f"{widget} .se-plane", "aria-label")
        slider = page.locator(f'{widget} input[type=range][aria-label="sparsity"]')
        assert slider.input_value() == "0"  # starts dense
        slider.focus()
        page.keyboard.press("End")
        assert slider.input_value() == slider.get_attribute("max")
        assert represented(page) == (5, 5)  # sparse: a pentagon, every feature kept
        sparse_tips, sparse_text = tips(), described()
        assert len(sparse_tips) == 5
        page.keyboard.press("Home")
        assert slider.input_value() == "0"
        kept, n = represented(page)
        assert n == 5 and kept < 5  # dense: the most important features only
        assert tips() != sparse_tips and described() != sparse_text
        cells = page.eval_on_selector_all(f"{widget} .se-heat title", "els => els.map(e => e.textContent)")
        assert len(cells) == 25 and cells[1].startswith("feature 0 · feature 1 = "), cells[:3]
        assert page.locator(f'{widget} select[aria-label="importance decay"] option').count() >= 2
        assert page.errors == [] and page.external == []
        page.close()

        context, page = on_a_phone(browser, f"{base}/{post}/", f"{widget} .se-plane .se-vec polygon", widget)
        plane, heat = (page.locator(f"{widget} {svg}").bounding_box() for svg in (".se-plane", ".se-heat"))
        assert heat["y"] >= plane["y"] + plane["height"], (plane, heat)  # stacked, not squeezed side by side
        sizes = page.eval_on_selector_all(  # rendered size: the font size times the SVG's scale
            f"{widget} svg text", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize)"
            " * e.ownerSVGElement.getBoundingClientRect().width / e.ownerSVGElement.viewBox.baseVal.width)")
        assert sizes and min(sizes) >= 10.5, min(sizes)
        context.close()


def test_feature_browser_loads_little_fetches_shards_on_demand_and_follows_the_prose(browser, built_site):
    """The Towards Monosemanticity post's feature browser: the first load stays under 2 MB as a server sends it
    (gzip, as GitHub Pages does; MathJax alone is 2.1 MB raw on every page) with one shard of the 6,656 features
    fetched (the start feature's); a link in the prose opens its feature (and fetches its shard only then) and
    puts it in the address; ←/→ page through features; a token search lists the features that fire on it; the
    dictionary select changes the range; on a 390 px phone nothing overflows."""
    import gzip
    import json

    from scripts.engine.paths import ROOT

    post = next(built_site.glob("20*/*/*/monosemanticity/index.html")).parent.relative_to(built_site).as_posix()
    values = json.loads((ROOT / "figures" / "out" / "sae-browser.json").read_text())["values"]
    widget = ".feature-browser"
    with static_server(built_site) as base:
        page = browser.new_page()
        got: dict = {}
        page.on("response", lambda r: got.__setitem__(r.url, r))
        page.goto(f"{base}/{post}/", wait_until="networkidle")
        page.wait_for_selector(f"{widget} .fb-title")
        shards = lambda: sorted(u for u in got if ".shard-" in u)
        assert len(shards()) == 1, shards()
        sent = {u: len(gzip.compress(r.body(), 6)) for u, r in got.items() if r.status == 200}
        assert sum(sent.values()) <= 2_000_000, sorted(sent.items(), key=lambda kv: -kv[1])[:5]
        title = lambda: page.inner_text(f"{widget} .fb-title")
        assert title().startswith(f"Feature {values['specific']}")
        assert page.locator(f"{widget} .fb-ctx").count() >= 4 and page.locator(f"{widget} .fb-bar").count() > 0

        page.click(f'a[href$="#feature-4096-{values["diffuse_id"]}"]')  # Material makes in-page links absolute
        page.wait_for_function("t => document.querySelector('.feature-browser .fb-title').textContent.startsWith(t)",
                               arg=f"Feature {values['diffuse']}")
        # the address must still name the feature once the scroll has settled: Material's navigation.tracking
        # rewrites the hash to the section in view 250 ms after a scroll ends
        page.wait_for_timeout(1000)
        assert page.evaluate("location.hash") == f"#feature-4096-{values['diffuse_id']}"
        assert len(shards()) == 2  # its block of 64 features, fetched when opened

        page.focus(f"{widget} .fb-step >> nth=1")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("t => document.querySelector('.feature-browser .fb-title').textContent.startsWith(t)",
                               arg=f"Feature {int(values['diffuse_id']) + 1:,}")

        page.fill(f"{widget} .fb-search", values["specific_token"].strip("“”"))
        hit = page.locator(f"{widget} .fb-hit", has_text=values["specific"]).first
        hit.wait_for()
        hit.click()
        page.wait_for_function("t => document.querySelector('.feature-browser .fb-title').textContent.startsWith(t)",
                               arg=f"Feature {values['specific']}")

        page.select_option(f"{widget} .fb-size", "512")
        assert page.get_attribute(f"{widget} .fb-num", "max") == "511"
        page.wait_for_function("() => document.querySelector('.feature-browser .fb-title').textContent.includes('of 512')")
        page.close()

        context, page = on_a_phone(browser, f"{base}/{post}/#feature-4096-{values['specific_id']}",
                                   f"{widget} .fb-ctx", widget)
        page.wait_for_timeout(1000)  # a shared link keeps naming its feature after the scroll to the widget
        assert page.evaluate("location.hash") == f"#feature-4096-{values['specific_id']}"
        page.tap(f"{widget} .fb-top >> nth=0")
        assert "activation" in page.inner_text(f"{widget} .fb-readout")
        context.close()


def test_glossary_cards_open_by_mouse_keyboard_and_touch_without_moving_the_text(browser, built_site):
    """A term's first use on a page (docs/glossary.yml) shows its definition card on hover, on keyboard focus
    (Tab reaches it; Escape closes it) and on a tap (a tap elsewhere closes it); the text around it does not move,
    the card stays inside a 390 px screen, and its links lead to pages that exist. A head named with head() has
    the same card, with its pattern drawn and a link to its seed's section of the head atlas."""
    post = next(built_site.glob("20*/*/*/causal/index.html")).parent.relative_to(built_site).as_posix()
    visible = lambda page: page.locator(".gloss >> nth=0 >> .gloss-card").is_visible()
    with static_server(built_site) as base:
        page = open_page(browser, f"{base}/{post}/")
        term = page.locator(".gloss").first
        term.scroll_into_view_if_needed()
        after = page.locator(".gloss >> nth=0 >> xpath=ancestor::p[1]/following-sibling::*[1]")
        before = after.bounding_box()
        assert not visible(page)
        term.hover()
        assert visible(page) and after.bounding_box() == before  # absolutely placed: no layout shift
        for href in page.eval_on_selector_all(".gloss >> nth=0 >> .gloss-card a", "els => els.map(a => a.href)"):
            target = urllib.parse.urlparse(href)
            assert (built_site / target.path.lstrip("/") / "index.html").exists() or target.path == urllib.parse.urlparse(page.url).path, href
        page.mouse.move(0, 0)
        assert not visible(page)
        page.keyboard.press("Tab")
        for _ in range(200):  # Tab through the page until the first term has focus
            if page.evaluate("document.activeElement.classList.contains('gloss')"):
                break
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement === document.querySelector('.gloss')")
        assert visible(page)
        page.keyboard.press("Escape")
        assert not visible(page)
        # a head named in the prose (shortcode head()): the same card, with the head's pattern drawn, linking to
        # its entry in the head atlas
        head = page.locator(".head-ref").first
        head.scroll_into_view_if_needed()
        head.hover()
        card = page.locator(".head-ref >> nth=0 >> .gloss-card")
        assert card.is_visible() and "induction" in card.inner_text()
        assert page.get_attribute(".head-ref >> nth=0 >> canvas.head-thumb", "data-drawn") == "yes"
        atlas = urllib.parse.urlparse(page.eval_on_selector(".head-ref >> nth=0 >> .gloss-card a", "a => a.href"))
        assert (built_site / atlas.path.lstrip("/") / "index.html").exists() and atlas.fragment.startswith("seed-")
        assert f'id="{atlas.fragment}"' in (built_site / atlas.path.lstrip("/") / "index.html").read_text()
        assert page.errors == [] and page.external == []
        page.close()

        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.goto(f"{base}/{post}/", wait_until="networkidle")
        term = page.locator(".gloss").first
        term.scroll_into_view_if_needed()
        term.tap()
        assert visible(page)
        box = page.locator(".gloss >> nth=0 >> .gloss-card").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        page.tap("h1")
        assert not visible(page)
        context.close()
