"""The page syntax: figures numbered in order, values placed, code left alone, typos reported by line."""

from __future__ import annotations

import dataclasses
import pathlib

from scripts.engine import declarations
from scripts.engine.declarations import Job
from scripts.engine.shortcodes import render


class FakeCatalog:
    def __init__(self):
        self.jobs = {
            fid: Job(id=fid, kind="figure", script=pathlib.Path(f"scripts/figures/{fid}.py"),
                     declared_in=pathlib.Path("figures/x.yml"), caption=f"About {fid}.", alt=f"Alt <{fid}>")
            for fid in ("alpha", "beta", "atlas-m")
        }
        self.jobs["heads"] = Job(id="heads", kind="figure", script=pathlib.Path("scripts/figures/heads.py"),
                                 declared_in=pathlib.Path("figures/x.yml"), params={"model": "m"}, caption="c", alt="a")

    def job(self, fid):
        return self.jobs.get(fid)

    def values(self, fid):
        if fid == "atlas-m":  # a head atlas (scripts/figures/atlas.py): seeds 0 and 2 of model "m"
            return {f"{kind}.{seed}.L1H0": ("9000" if kind == "thumb" else f"induction 0.{seed}")
                    for kind in ("card", "thumb") for seed in (0, 2)}
        if fid == "heads":  # a figure about model "m": head names in its values
            return {"heads": "seed 2: L1H0 0.9; seed 0: L1H0 0.8; L7H7", "head": "L1H0"}
        return {"ratio": "0.25", "verdict": "holds"} if fid == "alpha" else {}

    def image_url(self, fid, theme, page_url, phone=False):
        return f"../figures/{fid}.{theme}{'.phone' if phone else ''}.svg"

    def image_size(self, fid, phone=False):  # beta has no phone rendering yet (say, computed before #26)
        return None if phone and fid == "beta" else (430, 300) if phone else (688, 400)

    def data_url(self, fid, page_url):
        return f"../figures/{fid}.data.json"

    def failed(self, fid):
        return fid == "beta"

    def verdicts(self, fid):
        if fid != "alpha":
            return {}
        from scripts.engine.api import Estimate
        from scripts.engine.verdicts import record

        spec = {"claim": "Alpha copies | well.", "statistic": "positivity", "rule": "> 0.4", "cite": "[@x]"}
        seeds = {"seed 0": Estimate(0.91, 0.88, 0.93, 64, "sequences", "bootstrap"),
                 "seed 1": Estimate(0.42, 0.35, 0.5, 64, "sequences", "bootstrap")}
        return {"copies": record("copies", spec, seeds)}

    def claims_url(self, page_url):
        return "../claims/"

    def source_url(self, script, page_url):
        return f"../source/{script.with_suffix('')}/"

    def values_url(self, fid, page_url):
        return f"../figures/{fid}.json"

    def tables(self, fid):
        if fid != "alpha":
            return {}
        from scripts.engine.api import Table, visible_whitespace

        t = Table(["token", "p"], [[visible_whitespace(" the"), 0.5], ["<b>", 12345], [visible_whitespace("\n\t"), "1e-3"]],
                  caption="Top | tokens")
        return {"top": t.as_json()}


def test_a_figure_with_a_phone_rendering_is_a_picture_per_theme_and_one_without_is_a_plain_image():
    from scripts.engine.style import PHONE_MEDIA

    out, errors = render('{{ figure("alpha") }}\n\n{{ figure("beta") }}\n', "posts/x/", FakeCatalog())
    alpha, beta = out.split('id="fig-beta"')
    for theme in ("light", "dark"):
        assert (f'<picture><source media="{PHONE_MEDIA}" srcset="../figures/alpha.{theme}.phone.svg" width="430" '
                f'height="300"><img src="../figures/alpha.{theme}.svg#only-{theme}" alt="Alt &lt;alpha&gt;" '
                'loading="lazy" width="688" height="400"></picture>') in alpha
    assert "<picture>" not in beta and 'src="../figures/beta.light.svg#only-light"' in beta
    assert "figure-phone-note" not in alpha  # its caption places nothing left or right
    catalog = FakeCatalog()
    catalog.jobs["alpha"] = dataclasses.replace(catalog.jobs["alpha"], caption="Left: one thing. Right: another.")
    out, _ = render('{{ figure("alpha") }}\n\n{{ figure("beta") }}\n', "posts/x/", catalog)
    alpha, beta = out.split('id="fig-beta"')
    assert 'class="figure-phone-note"' in alpha and "stacked" in alpha
    catalog.jobs["beta"] = dataclasses.replace(catalog.jobs["beta"], caption="Left: one thing.")
    assert "figure-phone-note" not in render('{{ figure("beta") }}', "p/", catalog)[0]  # no phone rendering: no note
    css = (pathlib.Path(__file__).parents[1] / "docs/assets/stylesheets/extra.css").read_text()
    assert f"@media {PHONE_MEDIA} {{ .figure-phone-note" in css  # the note shows exactly when the picture switches


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
    # inside a link's target (a feature of the browser, say) the value is part of the URL, not a span
    out, errors = render('[ratio {{ value("alpha.ratio") }}](#r-{{ value("alpha.ratio") }}) and (x) {{ value("alpha.ratio") }}',
                         "p/", FakeCatalog())
    assert errors == [] and "(#r-0.25)" in out and out.count('<span class="computed-value"') == 2


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
            '!!! verdict "Verdict"\n    It held ([below](#details)).\n\n!!! experiment "Later"\n    Not yet.\n')
    page = open_questions_page({"posts/a.md": post})
    assert "**Why?** — [A note](posts/a.md)" in page and "Because." in page
    assert "We ran [this](posts/other.md)." in page  # links rewritten for the page's location
    assert "*Verdict:* It held ([below](posts/a.md#details))." in page and "*Verdict: not yet run.*" in page


def test_verdict_renders_outcome_interval_rule_and_seeds_with_an_anchor_once():
    md = 'It {{ verdict("alpha.copies") }} and again {{ verdict("alpha.copies") }}.\n'
    out, errors = render(md, "posts/x/", FakeCatalog())
    assert errors == []
    assert out.count('id="v-alpha-copies"') == 1  # the Claims page links to the first placement
    assert 'data-outcome="inconclusive"' in out  # seed 1 straddles the threshold
    assert 'href="../claims/#claim-alpha-copies"' in out
    # In the sentence: the headline number and a compact outcome button; the rest one click/tap/key away.
    assert '<span class="verdict-numbers">0.91 [0.88, 0.93]</span> <button type="button" class="verdict-outcome"' in out
    assert 'aria-expanded="false"' in out and '<span class="verdict-details" role="note" hidden>' in out
    details = out.split('<span class="verdict-details" role="note" hidden>')[1].split("</span></span>")[0]
    assert "Rule, fixed before looking: supported if the interval lies above 0.4" in details
    assert "Each seed (1 of 2 support it): seed 0 0.91 [0.88, 0.93], seed 1 0.42 [0.35, 0.50]" in details
    assert "seed 1: 0.42 [0.35, 0.50] inconclusive" in out  # the button's title, for hover without script


def test_scorecard_lists_the_pages_verdicts_even_above_them():
    md = "{{ scorecard() }}\n\nText {{ verdict(\"alpha.copies\") }}.\n"
    out, errors = render(md, "posts/x/", FakeCatalog())
    assert errors == []
    wrap, body = out.split("\n\n")[:2]
    assert wrap == '<div class="scorecard" markdown>'  # a class for the phone's card layout
    table = body.splitlines()
    assert table[0].startswith("| the paper claims") and len(table) == 3
    assert "Alpha copies \\| well." in table[2] and "holds in 1 of 2 seeds" in table[2]


def test_verdict_mistakes_are_reported_by_line():
    md = 'a\n{{ verdict("alpha.nope") }}\n{{ verdict("gamma.x") }}\n{{ verdict() }}\n{{ scorecard() }}\n'
    out, errors = render(md.replace("{{ scorecard() }}\n", ""), "posts/x/", FakeCatalog())
    assert [e.line for e in errors] == [2, 3, 4]
    assert 'has no verdict "nope" (known: copies)' in errors[0].message
    _, errors = render("{{ scorecard() }}\n", "posts/x/", FakeCatalog())
    assert "has none" in errors[0].message


def test_table_is_html_with_visible_whitespace_and_escaped_cells():
    md = 'Before.\n\n{{ table("alpha.top") }}\n\nAfter.\n'
    out, errors = render(md, "posts/x/", FakeCatalog())
    assert errors == []
    block = out.split("Before.")[1].split("After.")[0]
    assert '<div class="computed-table" id="tbl-alpha-top">' in block and "<caption>Top | tokens</caption>" in block
    assert "<thead><tr><th>token</th><th>p</th></tr></thead>" in block  # columns default: text left
    assert '<td><span class="ws">␣</span>the</td><td>0.5</td>' in block  # the number column: strings decide
    assert "<td>&lt;b&gt;</td><td>12,345</td>" in block  # escaped; numbers formatted like values
    assert '<td><span class="ws">↵</span><span class="ws">⇥</span></td>' in block
    assert 'href="../source/scripts/figures/alpha/"' in block
    assert "\n\n" not in block.strip()  # one raw HTML block: no blank line inside it


def test_table_alignment_defaults_to_right_for_number_columns():
    from scripts.engine.api import Table
    from scripts.engine.shortcodes import table_html

    catalog = FakeCatalog()
    t = Table(["n", "name"], [[1, "a"], [2.5, "b"]]).as_json()
    assert t["align"] == ["right", "left"] and t["rows"] == [["1", "a"], ["2.5", "b"]]
    html = table_html(catalog.job("alpha"), "k", t, "src/")
    assert '<td style="text-align: right">1</td><td>a</td>' in html


def test_table_mistakes_are_reported_by_line_like_values():
    md = 'a\n{{ table("alpha.nope") }}\n{{ table("gamma.top") }}\nText {{ table("alpha.top") }}\n{{ table("beta.x") }}\n'
    _, errors = render(md, "posts/x/", FakeCatalog())
    got = [(e.line, e.message.split(" (")[0]) for e in errors]
    assert got == [
        (2, 'table("alpha.nope"): figure "alpha" has no table "nope"'),
        (3, 'table("gamma.top"): unknown figure id "gamma"'),
        (4, "{{ table(...) }} must stand on a line of its own"),
        (5, 'table("beta.x"): figure "beta" has no table "x"'),
    ]
    assert "(known: top)" in errors[0].message and "none yet: build the figure" in errors[3].message


def test_table_rows_must_match_columns():
    import pytest

    from scripts.engine.api import Table

    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        Table(["a", "b"], [[1, 2], [3]]).as_json()


def test_open_questions_find_inline_verdicts_keep_lists_and_show_answers():
    from scripts.engine.callouts import open_questions_page

    post = ("# A post\n\n!!! confusion \"Why?\"\n    It seems odd:\n    - first\n    - second\n\n"
            "    *The answer:* it is not odd.\n\n    A third paragraph, not shown.\n\n"
            "!!! experiment \"Test it\"\n    Measure the thing.\n\nProse, then {{ verdict(\"fig.holds\") }}.\n\n"
            "!!! experiment \"Later\"\n    Not run.\n\n## Next section\n\n{{ verdict(\"fig.other\") }}\n")
    page = open_questions_page({"posts/a.md": post})
    assert "    - first\n    - second" in page and " - first - second" not in page
    assert "*The answer:* it is not odd." in page and "A third paragraph" not in page
    test_it, later = page.split("**Test it**")[1].split("**Later**")
    assert 'settled in the note by {{ verdict("fig.holds") }}' in test_it
    assert "not yet run" in later and "fig.other" not in later  # a chip in another section is not its verdict


def test_findings_sum_up_the_pages_verdicts_in_plain_lines_and_sit_inside_callouts():
    md = '{{ findings() }}\n\n!!! note "x"\n    {{ scorecard() }}\n\nIt {{ verdict("alpha.copies") }}.\n'
    out, errors = render(md, "posts/x/", FakeCatalog())
    assert errors == []
    first = out.split("\n")[0]
    assert first.startswith('<div class="findings">') and "<strong>Not settled:</strong> alpha copies" in first
    assert "Held in our models" not in first  # no empty line for an outcome no verdict has
    block = out.split('!!! note "x"\n')[1].split("\n\nIt ")[0]
    assert all(line.startswith("    ") or not line.strip() for line in block.split("\n"))  # indented: stays in the callout
    _, errors = render("{{ findings() }}\n", "posts/x/", FakeCatalog())
    assert "has none" in errors[0].message
    from scripts.engine.shortcodes import short_claim

    assert short_claim("Features read better than neurons (here, by a proxy — not by raters).") == \
        "features read better than neurons"  # a dash inside brackets never leaves one open
    assert short_claim("MLP neurons are polysemantic — most of them.") == "MLP neurons are polysemantic"


def test_the_papers_own_number_shows_beside_ours_and_is_not_part_of_the_fingerprint(tmp_path):
    """`paper:` in a verdict declaration is for the reader: the chip, the scorecard and the Claims page show it
    beside our estimate; the job never sees it, so quoting or correcting it re-runs nothing."""
    import shutil

    from scripts.engine import manifest
    from scripts.engine.declarations import load_declarations
    from scripts.engine.publish import with_provenance

    shutil.copytree(pathlib.Path(__file__).parents[1] / "scripts" / "engine", tmp_path / "scripts" / "engine",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "scripts" / "f.py").write_text("def compute(params):\n    pass\n")
    decl = ("alpha:\n  script: scripts/f.py\n  caption: c\n  alt: a\n  verdicts:\n    copies:\n"
            "      claim: Alpha copies.\n      statistic: positivity\n      rule: '> 0.4'\n{paper}")
    (tmp_path / "figures").mkdir()
    fps = []
    for paper in ("", "      paper: 10 of 12 heads\n"):
        (tmp_path / "figures" / "a.yml").write_text(decl.format(paper=paper))
        job = load_declarations(tmp_path, tmp_path / "figures", tmp_path / "docs").jobs["alpha"]
        fps.append(manifest.fingerprint(job, tmp_path).digest)
    assert fps[0] == fps[1] and job.papers == {"copies": "10 of 12 heads"} and "paper" not in job.verdicts["copies"]

    class History:
        def get(self, vid):
            return type("Line", (), {"provenance": lambda self: ""})()

    catalog = FakeCatalog()
    plain = catalog.verdicts("alpha")
    catalog.verdicts = lambda fid: with_provenance(fid, plain, History(), {"copies": "10 of <12> heads"})
    out, errors = render('{{ scorecard() }}\n\nIt {{ verdict("alpha.copies") }}.\n', "posts/x/", catalog)
    assert errors == []
    assert "<small>the paper: 10 of &lt;12&gt; heads</small>" in out  # the scorecard's cell, escaped
    assert '<span class="verdict-line">The paper: 10 of &lt;12&gt; heads</span>' in out  # the chip's details


def test_a_paper_quote_that_is_not_text_is_refused_at_its_line(tmp_path):
    """A list or mapping under `paper:` would be published as its Python repr: the declaration is refused."""
    from scripts.engine.declarations import load_declarations

    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "f.py").write_text("def compute(params):\n    pass\n")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "a.yml").write_text(
        "alpha:\n  script: scripts/f.py\n  caption: c\n  alt: a\n  verdicts:\n    copies:\n"
        "      claim: Alpha copies.\n      statistic: positivity\n      rule: '> 0.4'\n      paper: [oops, a list]\n")
    decl = load_declarations(tmp_path, tmp_path / "figures", tmp_path / "docs")
    assert "alpha" not in decl.jobs
    [err] = decl.errors
    assert "'paper' must be the paper's number as one line of text" in str(err) and "a.yml" in str(err)



def test_a_head_gets_its_card_from_its_models_atlas_and_mistakes_are_reported():
    out, errors = render('Seed 2 has {{ head("m-seed2.L1H0") }}; seed 0 {{ head("m.L1H0") }}.', "posts/p/",
                         FakeCatalog())
    assert errors == []
    assert 'data-head="m.2.L1H0">L1H0<span class="gloss-card"' in out and "induction 0.2" in out
    assert 'href="../../atlas/m/#seed-2"' in out and 'href="../../atlas/m/#seed-0"' in out
    assert 'width="8" height="8" data-thumb="9000"' in out  # a 2 x 2 pattern, 4 px a cell
    md = '{{ head("m.L9H9") }}\n{{ head("nobody.L1H0") }}\n{{ head("m-seed1.L1H0") }}'
    _, errors = render(md, "p/", FakeCatalog())
    assert [e.line for e in errors] == [1, 2, 3]
    assert 'no head "L9H9" in seed 0 (known: L1H0)' in errors[0].message
    assert 'no head atlas for model "nobody"' in errors[1].message
    assert 'no head "L1H0" in seed 1 (known: none' in errors[2].message


def test_a_series_skips_a_post_left_out_of_the_preview_instead_of_calling_it_missing():
    import pytest

    from scripts.engine import series

    extra = {"series": {"f": {"title": "F", "posts": ["posts/a.md", "posts/b.md", "posts/c.md"]}}}
    (s,) = series.load(extra, {"posts/a.md", "posts/c.md"}, left_out=frozenset({"posts/b.md"}))
    assert s.posts == ("posts/a.md", "posts/c.md")  # the neighbours link around the broken post
    with pytest.raises(series.SeriesError, match=r"lists \['posts/b.md'\], which do not exist"):
        series.load(extra, {"posts/a.md", "posts/c.md"})  # a post truly missing is still an error


def test_head_names_in_a_figures_values_get_cards_for_the_seed_they_name_once_a_page():
    out, errors = render('By seed: {{ value("heads.heads") }}. Seed 0 again: {{ value("heads.head") }}.', "p/",
                         FakeCatalog())
    assert errors == []
    assert out.count('class="gloss head-ref"') == 2  # L1H0 of seed 2 and of seed 0; the second seed-0 one is plain
    assert out.index('data-head="m.2.L1H0"') < out.index('data-head="m.0.L1H0"')
    assert "L7H7" in out and 'data-head="m.0.L7H7"' not in out  # not in the atlas: left as text


def test_a_figure_about_several_models_says_per_value_which_model_its_head_names_are_of(tmp_path):
    """`heads:` in a declaration: a model for every value ("*"), or one per value key; without it a figure with
    no single `model` param links no head (it cannot know which model's L1H0 a value means)."""
    catalog = FakeCatalog()
    many = Job(id="many", kind="figure", script=pathlib.Path("scripts/figures/many.py"),
               declared_in=pathlib.Path("figures/x.yml"), params={"models": ["m", "n"]}, caption="c", alt="a")
    catalog.jobs["many"] = many
    catalog.values = lambda fid, v=catalog.values: {"z_n": "L1H0 3.1", "z_m": "seed 2: L1H0 0.9"} if fid == "many" else v(fid)
    md = '{{ value("many.z_n") }} and {{ value("many.z_m") }}'
    out, errors = render(md, "p/", catalog)
    assert errors == [] and "head-ref" not in out
    catalog.jobs["many"] = dataclasses.replace(many, heads={"*": "m", "z_n": "n"})
    out, errors = render(md, "p/", catalog)  # "n" has no atlas: its value stays text; "m", seed 2, is linked
    assert errors == [] and out.count("head-ref") == 1 and 'data-head="m.2.L1H0"' in out
    (tmp_path / "figures").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "s.py").write_text("")
    for heads, ok in (("attn-only-2l", {"*": "attn-only-2l"}), ("{z_1l: attn-only-1l, '*': m}", {"z_1l": "attn-only-1l", "*": "m"}),
                      ("[a, b]", None)):
        (tmp_path / "figures" / "x.yml").write_text(f"f:\n  script: scripts/s.py\n  caption: c\n  alt: a\n  heads: {heads}\n")
        decl = declarations.load_declarations(tmp_path, tmp_path / "figures", tmp_path / "docs")
        if ok is None:
            assert "'heads' names the model" in str(decl.errors[0]) and "x.yml:5" in str(decl.errors[0])
        else:
            assert decl.jobs["f"].heads == ok
