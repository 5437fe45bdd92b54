"""The page syntax: figures numbered in order, values placed, code left alone, typos reported by line."""

from __future__ import annotations

import pathlib

from scripts.engine.declarations import Job
from scripts.engine.shortcodes import render


class FakeCatalog:
    def __init__(self):
        self.jobs = {
            fid: Job(id=fid, kind="figure", script=pathlib.Path(f"scripts/figures/{fid}.py"),
                     declared_in=pathlib.Path("figures/x.yml"), caption=f"About {fid}.", alt=f"Alt <{fid}>")
            for fid in ("alpha", "beta")
        }

    def job(self, fid):
        return self.jobs.get(fid)

    def values(self, fid):
        return {"ratio": "0.25", "verdict": "holds"} if fid == "alpha" else {}

    def image_url(self, fid, theme, page_url):
        return f"../figures/{fid}.{theme}.svg"

    def data_url(self, fid, page_url):
        return f"../figures/{fid}.data.json"

    def failed(self, fid):
        return fid == "beta"


def test_figures_are_numbered_in_page_order_and_refs_point_forward():
    md = 'See {{ ref("beta") }}.\n\n{{ figure("alpha") }}\n\n{{ figure("beta") }}\n'
    out, errors = render(md, "posts/x/", FakeCatalog())
    assert errors == []
    assert '<a href="#fig-beta">Figure 2</a>' in out
    assert "**Figure 1.** About alpha." in out and "**Figure 2.** About beta." in out
    assert 'src="../figures/alpha.light.svg#only-light"' in out and 'src="../figures/alpha.dark.svg#only-dark"' in out
    assert 'alt="Alt &lt;alpha&gt;"' in out
    assert "out of date" in out.split('id="fig-beta"')[1]  # a failed figure says so on the page
    assert "out of date" not in out.split('id="fig-beta"')[0]


def test_values_inline_and_inside_math():
    out, errors = render('Ratio {{ value("alpha.ratio") }} and $r = {{ value("alpha.ratio") }}$.', "p/", FakeCatalog())
    assert errors == []
    assert '<span class="computed-value"' in out and "$r = 0.25$" in out


def test_code_blocks_and_inline_code_are_left_alone():
    md = '```markdown\n{{ figure("nope") }}\n```\nWrite `{{ value("x.y") }}` to quote a number.\n'
    out, errors = render(md, "p/", FakeCatalog())
    assert errors == [] and out == md


def test_unknown_ids_keys_and_shortcodes_are_errors_with_lines():
    md = 'ok\n{{ figure("gamma") }}\n{{ value("alpha.nope") }}\n{{ value("zeta.k") }}\n{{ figur("alpha") }}\n{{ ref("beta") }}'
    _, errors = render(md, "p/", FakeCatalog())
    got = [(e.line, e.message.split(";")[0].split(" (")[0]) for e in errors]
    assert got == [
        (2, 'unknown figure id "gamma"'),
        (3, 'value("alpha.nope"): figure "alpha" has no value "nope"'),
        (4, 'value("zeta.k"): unknown figure id "zeta"'),
        (5, 'unknown shortcode "figur"'),
        (6, 'ref("beta"): no {{ figure("beta") }} on this page'),
    ]
    assert "known: ratio, verdict" in errors[1].message


def test_figure_must_stand_alone():
    _, errors = render('Text {{ figure("alpha") }} text', "p/", FakeCatalog())
    assert [e.message for e in errors] == ["{{ figure(...) }} must stand on a line of its own"]


def test_unknown_callout_types_are_errors_with_lines():
    from scripts.engine.callouts import check

    md = '!!! verdict "V"\n    ok\n\n!!! verdic "typo"\n\n??? experiment "folded"\n\n```\n!!! nonsense\n```\n!!! note\n'
    errors = check(md)
    assert [(e.line, e.message.split(";")[0]) for e in errors] == [(4, 'unknown callout "verdic"')]
    assert "confusion, interest, experiment, verdict" in errors[0].message


def test_open_questions_gathers_confusions_and_experiments_with_verdicts():
    from scripts.engine.callouts import open_questions_page

    post = ('# A note\n\n!!! confusion "Why?"\n    Because.\n\n!!! experiment "Try it"\n    We ran [this](other.md).\n\n'
            '!!! verdict "Verdict"\n    It held.\n\n!!! experiment "Later"\n    Not yet.\n')
    page = open_questions_page({"posts/a.md": post})
    assert "**Why?** — [A note](posts/a.md)" in page and "Because." in page
    assert "We ran [this](posts/other.md)." in page  # links rewritten for the page's location
    assert "*Verdict:* It held." in page and "*Verdict: not yet run.*" in page
