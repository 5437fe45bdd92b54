"""The attention explorer (docs/assets/javascripts/widgets.js) in a real browser: numbers, keyboard, the BOS
option, the sticky header, a phone-sized screen, MiniLM's bidirectional mode, instant navigation.

The site is built once for the module, from a copy of the project with FIGURES_BUILD=0: the committed
figures and their data, nothing computed.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import urllib.parse

import pytest

from tests.conftest import BIN, copy_project, static_server

pytestmark = pytest.mark.browser

ZOO_POST = "2026/11/21/circuits/"
MINILM_POST = "2026/11/21/minilm/"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if os.environ.get("EXPLORER_SITE"):  # iterating on widgets.js: a site built once by hand
        return pathlib.Path(os.environ["EXPLORER_SITE"])
    root = tmp_path_factory.mktemp("explorer")
    project = copy_project(root / "p")
    env = {**os.environ, "FIGURES_BUILD": "0", "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([str(BIN / "mkdocs"), "build", "-d", str(root / "site")], cwd=project, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return root / "site"


@pytest.fixture(scope="module")
def base(site):
    with static_server(site) as url:
        yield url


def data_of(site, page, index: int = 0) -> dict:
    src = page.locator("[data-widget]").nth(index).get_attribute("data-src")
    url = page.evaluate("s => new URL(s, location.href).pathname", src)
    return json.loads((site / url.lstrip("/")).read_text())


def explorer(browser, url: str, *, widget: bool = True, **context):
    """A page in a fresh context (viewport, touch, colour scheme), recording console errors and any request
    to another host (aborted); waits for the explorer to render."""
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(120_000)  # a loaded 2-core CI machine can be slow to serve the first page
    page.errors, page.external = [], []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))

    def route(r):
        url = urllib.parse.urlparse(r.request.url)
        if url.path.endswith(".svg"):  # the figures' images and the math play no part here: stubs keep it quick
            r.fulfill(status=200, content_type="image/svg+xml", body='<svg xmlns="http://www.w3.org/2000/svg"/>')
        elif url.path.startswith("/assets/mathjax/"):
            r.fulfill(status=200, content_type="text/javascript", body="")
        elif url.hostname in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            page.external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    if widget:
        page.wait_for_selector("[data-widget][data-ready=yes]")
    return page


def token_weights(page) -> list[str]:
    return page.locator(".attention-explorer .ae-tok").evaluate_all("els => els.map(e => e.dataset.weight)")


def readout(page) -> tuple[dict[int, float], float]:
    chips = page.locator(".ae-readout .ae-chip[data-pos]").evaluate_all(
        "els => els.map(e => [+e.dataset.pos, +e.dataset.weight, e.querySelector('.ae-num').textContent])")
    for _, w, text in chips:
        assert float(text) == w  # the number shown is the number kept
    rest = page.locator(".ae-readout .ae-rest")
    return {p: w for p, w, _ in chips}, float(rest.get_attribute("data-weight")) if rest.count() else 0.0


def query(page) -> int:
    return int(page.locator(".ae-tok.ae-query").get_attribute("data-pos"))


def choose_head(page, name: str) -> None:
    layer, head = name[1:].split("H")
    page.select_option(".ae-layer", f"L{layer}")
    page.select_option(".ae-head", label=f"Head {head}")


def test_instant_navigation_then_hover_numbers_match_the_data(browser, site, base):
    """Reach the post through Material's instant navigation (no reload); hover a token: the tints and the
    numbers are that head's row of the data file, and they sum to 1."""
    page = explorer(browser, f"{base}/", widget=False)
    article = page.locator("article", has_text="Zero, one and two layers")
    article.locator("a:visible", has_text="Continue reading").first.click()
    page.wait_for_selector("[data-widget][data-ready=yes]")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no full reload happened
    data = data_of(site, page)
    assert data["causal"] is True and len(data["heads"]) == 8
    for name in ("L0H1", data["head"]):
        choose_head(page, name)
        h = data["heads"].index(name)
        for q in (10, 40):
            page.locator(".ae-tok").nth(q).hover()
            assert query(page) == q and f"#{q} of {len(data['tokens'])}" in page.locator(".ae-readout").inner_text()
            row = data["patterns"][h][q]
            shown = token_weights(page)
            assert [float(x) for x in shown[: q + 1]] == row and all(x == "" for x in shown[q + 1:])  # causal
            assert abs(sum(row) - 1) < 1e-9
            top, rest = readout(page)
            assert all(row[p] == w for p, w in top.items())
            assert sorted(top.values(), reverse=True) == sorted(row, reverse=True)[:len(top)]
            assert abs(sum(top.values()) + rest - 1) < 1e-6
    tinted = page.locator(".ae-tok").evaluate_all(
        "els => els.filter(e => getComputedStyle(e).backgroundColor !== 'rgba(0, 0, 0, 0)').length")
    assert tinted >= 2
    assert page.errors == [] and page.external == []
    page.context.close()


def test_keyboard_one_tab_stop_arrows_home_end_and_focus_ring(browser, site, base):
    page = explorer(browser, f"{base}/{ZOO_POST}")
    data = data_of(site, page)
    n = len(data["tokens"])
    assert page.locator(".ae-tokens [tabindex='0']").count() == 1
    start = query(page)
    page.locator(".ae-renorm").focus()
    page.keyboard.press("Tab")  # the next tab stop after the header is the token area: its current token
    assert page.evaluate("document.activeElement.dataset.pos") == str(start)
    ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                         "return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert ring[0] != "none" and ring[1] >= 2
    for key, expect in (("ArrowRight", start + 1), ("ArrowLeft", start), ("Home", 0), ("ArrowLeft", 0), ("End", n - 1),
                        ("ArrowRight", n - 1)):
        page.keyboard.press(key)
        assert query(page) == expect, key
        assert page.evaluate("document.activeElement.dataset.pos") == str(expect)
        assert page.locator(".ae-tokens [tabindex='0']").count() == 1
        assert page.locator(".ae-tok[aria-selected=true]").get_attribute("data-pos") == str(expect)
    top = lambda i: page.locator(".ae-tok").nth(i).bounding_box()["y"]
    page.keyboard.press("ArrowUp")
    assert top(query(page)) < top(n - 1) - 5  # the line above
    page.keyboard.press("ArrowDown")
    assert abs(top(query(page)) - top(n - 1)) < 5
    # Numbers follow the focused token too.
    assert f"#{query(page)} of {n}" in page.locator(".ae-readout").inner_text()
    page.keyboard.press("Tab")  # and the token area is left in one press
    assert page.evaluate("!document.activeElement.classList.contains('ae-tok')")
    assert page.errors == []
    page.context.close()


def test_leaving_out_bos_renormalises_every_row(browser, site, base):
    page = explorer(browser, f"{base}/{ZOO_POST}")
    data = data_of(site, page)
    h = data["heads"].index(data["head"])
    page.locator(".ae-option").click()
    assert page.locator(".ae-renorm").is_checked()
    for q in (5, 30, len(data["tokens"]) - 1):
        page.locator(".ae-tok").nth(q).click()
        row = data["patterns"][h][q]
        shown = token_weights(page)
        assert shown[0] == ""  # BOS left out
        kept = [float(x) for x in shown[1: q + 1]]
        assert abs(sum(kept) - 1) < 1e-9  # thousandths that add up
        assert all(abs(k - w / (1 - row[0])) < 0.001 for k, w in zip(kept, row[1:]))
        top, rest = readout(page)
        assert 0 not in top and abs(sum(top.values()) + rest - 1) < 1e-9
        assert "BOS had" in page.locator(".ae-readout").inner_text()
    page.locator(".ae-tok").nth(0).click()  # BOS's own row is all BOS: nothing to renormalise
    assert "nothing is left" in page.locator(".ae-readout").inner_text()
    page.locator(".ae-option").click()
    page.locator(".ae-tok").nth(5).click()
    assert [float(x) for x in token_weights(page)[:6]] == data["patterns"][h][5]
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("size", [{"viewport": {"width": 1280, "height": 500}}, PHONE], ids=["desktop", "phone"])
def test_header_stays_in_view_while_the_tokens_scroll(browser, base, size):
    page = explorer(browser, f"{base}/{ZOO_POST}", **size)
    # Scroll until the first lines of text have gone under Material's bar and our header (40 px of text).
    page.evaluate("""(() => {
        const bar = document.querySelector('.md-header').getBoundingClientRect().bottom;
        const header = document.querySelector('.ae-header').getBoundingClientRect().height;
        window.scrollBy(0, document.querySelector('.ae-tokens').getBoundingClientRect().top - (bar + header) + 40);
    })()""")
    page.wait_for_timeout(100)
    head = page.evaluate("""(() => {
        const h = document.querySelector('.ae-header').getBoundingClientRect();
        const bar = document.querySelector('.md-header').getBoundingClientRect();
        const text = document.querySelector('.ae-tokens').getBoundingClientRect();
        const hit = document.elementFromPoint(h.left + 10, h.top + h.height / 2);
        return {top: h.top, bottom: h.bottom, bar: bar.bottom, text: text.top, inside: !!hit.closest('.ae-header')};
    })()""")
    assert head["text"] < head["bottom"] - 30  # the text scrolled on, under the header
    assert head["inside"] and abs(head["top"] - head["bar"]) < 2 and head["bottom"] > head["top"] + 20, head
    # and it still works from there: the numbers change with the token under the pointer
    q = page.evaluate("""(() => { const hb = document.querySelector('.ae-header').getBoundingClientRect().bottom;
        return [...document.querySelectorAll('.ae-tok')].find(e => e.getBoundingClientRect().top > hb + 30).dataset.pos;
    })()""")
    if size is PHONE:
        page.locator(".ae-tok").nth(int(q)).tap()
    else:
        page.locator(".ae-tok").nth(int(q)).hover()
    assert f"#{q} of" in page.locator(".ae-readout").inner_text()
    page.context.close()


@pytest.mark.parametrize("post", [ZOO_POST, MINILM_POST])
def test_phone_tap_selects_and_page_never_scrolls_sideways(browser, base, post):
    page = explorer(browser, f"{base}/{post}", **PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widget = page.locator(".attention-explorer").bounding_box()
    assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 390
    page.locator(".ae-tok").nth(3).tap()
    assert query(page) == 3 and page.locator(".ae-tok").nth(3).get_attribute("aria-selected") == "true"
    page.locator(".ae-option").tap()  # the options wrap, they do not widen the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.errors == []
    page.context.close()


def test_minilm_explorer_is_bidirectional(browser, site, base):
    page = explorer(browser, f"{base}/{MINILM_POST}")
    assert page.locator(".attention-explorer").get_attribute("data-mode") == "bidirectional"
    data = data_of(site, page)
    n = len(data["tokens"])
    assert data["causal"] is False and len(data["heads"]) == 72 and data["tokens"][0] == "[CLS]"
    assert all(len(row) == n for pattern in data["patterns"] for row in pattern)  # every row sees every token
    later = [sum(row[q + 1:]) for pattern in data["patterns"] for q, row in enumerate(pattern[:-1])]
    assert sum(later) / len(later) > 0.2  # attention to later tokens is common, not a rounding artefact
    choose_head(page, data["head"])
    h = data["heads"].index(data["head"])
    q = 3
    page.locator(".ae-tok").nth(q).click()
    shown = [float(x) for x in token_weights(page)]
    assert shown == data["patterns"][h][q] and sum(shown[q + 1:]) > 0.2
    assert page.locator(".ae-tok.ae-future").count() == 0
    top, _ = readout(page)
    assert any(p > q for p in top)  # a later token among the largest weights, marked "→"
    assert "→" in page.locator(".ae-readout").inner_text()
    page.locator(".ae-option").click()  # [CLS] and [SEP] left out
    shown = token_weights(page)
    assert shown[0] == shown[-1] == "" and abs(sum(float(x) for x in shown[1:-1]) - 1) < 1e-9
    assert page.errors == []
    page.context.close()
