"""Start a new note in one command: a dated post, a figure script wired into the engine, its declaration.

    python -m scripts.authoring.new_note "Attention sinks in small models" --paper https://arxiv.org/abs/… \
        --paper-title "Efficient Streaming Language Models with Attention Sinks"
    make note TITLE="Attention sinks in small models" PAPER=https://arxiv.org/abs/… PAPER_TITLE="…"

Writes docs/posts/<date>-<slug>.md, scripts/figures/<slug>.py, figures/<slug>.yml and
tests/test_claims_<slug>.py. The figure is a real (small) computation on the 2-layer zoo model's three seeds,
to be replaced by the note's own experiment, drawn in the shared style (`style.subplots`) with its bar labels
printed by `style.number`, the formatter `{{ value(...) }}` uses, so figure and prose agree. Its declaration
states an example claim with its statistic and rule, `compute()` returns the claim's `Estimate` per seed, and
the post places the figure with {{ figure(...) }}, the verdict with {{ verdict(...) }} and quotes numbers with
{{ value(...) }}. The claim's can-fail test is a stub that fails until the author writes it, and `python -m
scripts.engine check` reports the claim until a test names it (scripts/engine/claim_tests.py). Nothing
existing is overwritten. Under `mkdocs serve` the new post and its figure appear at the next rebuild, which
creating them triggers.

The post is a draft (`draft: true`): Material's blog shows it under `mkdocs serve` and leaves it out of a
built site and its feed. Its placeholder text — the example.org paper link when no PAPER is given, the link
text "Title of the paper" when no PAPER_TITLE is (never the raw URL), the placeholder quotation and its
section, the placeholder callouts, the example claim's key and the verdict — fails a strict build, each with
its line (scripts/engine/preflight.py, PLACEHOLDERS), until the author replaces it; then the author deletes the
`draft` line to publish. The check matches the scaffold's own sentences: there are no markers to remove.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import re
import sys

from scripts.engine.errors import EngineError
from scripts.engine.paths import ROOT

PLACEHOLDER_PAPER = "https://example.org"  # a strict build fails on it (preflight.PLACEHOLDER_LINK)
PLACEHOLDER_PAPER_TITLE = "Title of the paper"  # and on this link text (preflight.PLACEHOLDERS)
CLAIM = "example-claim"  # the example claim's key; a strict build fails on it in the post (preflight.PLACEHOLDERS)

POST = '''---
date: {date}
draft: true  # delete this line to publish, once `make build` reports no placeholder left
authors: [circuits]
categories: [Papers]
tags: [{tags}]
description: "{title} — annotated, with every claim checked by a computed figure."
slug: {slug}
---

# {title}

*Reading [{paper_title}]({paper}).* One or two sentences on what the paper claims and why it matters; they
become the excerpt on the front page.

<!-- more -->

## The claim

> "A short quotation from the paper."
> — [§ Section name]({paper}#section-id)

Your reading of it, in your own words. Cite related work by its key in `docs/references.bib`, like the
framework paper [@elhage2021framework]; the page then ends with its references. Footnotes, margin notes
and the other conventions: see the site's Conventions page.

!!! confusion "Point of confusion"
    What is not obvious, or seems to contradict something else.

!!! experiment "Experiment"
    What you computed, on which model and data. *What would falsify it:* the outcome that would prove the
    claim wrong.

{{{{ figure("{fid}") }}}}

!!! verdict "Verdict"
    The 2-layer model has an induction head:
    {{{{ verdict("{fid}.{claim}") }}}}. The strongest, {{{{ value("{fid}.best_head") }}}},
    scores {{{{ value("{fid}.best_score") }}}} on sequences it was not chosen on.
    Replace this example with the numbers your own script computes.
'''

SCRIPT = '''"""Figure for the note "{title}". Replace this example computation with the note's experiment."""

from __future__ import annotations

import torch

from scripts.analysis.induction import attention_patterns, repeated_random_tokens, stripe_score
from scripts.analysis.stats import bootstrap_mean
from scripts.engine import style
from scripts.engine.api import Result
from scripts.zoo.load import load_model, seed_label, seed_variants


def held_out_scores(model, params: dict) -> tuple[int, torch.Tensor]:
    """The layer-1 head with the highest induction score on the first half of the repeated random sequences,
    and every head's score on each sequence of the other half ([sequence, head]): choosing the head and
    measuring it on the same sequences would bias its score upwards."""
    tokens = repeated_random_tokens(params["sequences"], params["seq_len"], model.cfg.d_vocab,
                                    model.tokenizer.bos_token_id)
    patterns = attention_patterns(model, tokens)  # one forward pass for every sequence
    # induction_scores' stripe (it averages over the batch), one sequence at a time; [1]: layer 1
    scores = torch.stack([stripe_score([p[i:i + 1] for p in patterns], offset=1 - params["seq_len"], skip_first=2)[1]
                          for i in range(len(tokens))])
    half = len(scores) // 2
    return int(scores[:half].mean(0).argmax()), scores[half:]


def compute(params: dict) -> Result:
    measured = {{seed_label(name): held_out_scores(load_model(name), params)
                for name in seed_variants(params["model"], params["seeds"])}}
    best, scores = next(iter(measured.values()))  # the figure and the prose show seed 0; the claim is every seed's
    mean = scores.mean(0)
    estimates = {{label: bootstrap_mean(s[:, b].numpy(), unit="random sequences")
                 for label, (b, s) in measured.items()}}
    return Result(
        data={{"scores": mean.tolist()}},
        values={{"best_head": f"L1H{{best}}", "best_score": float(mean[best])}},
        verdicts={{"{claim}": estimates}},
    )


def plot(result: Result, theme: str):
    fig, ax = style.subplots(theme, width=0.6, aspect=0.6)
    scores = result.data["scores"]
    heads = [f"L1H{{h}}" for h in range(len(scores))]
    bars = ax.bar(heads, scores, color=[style.color_for(h) for h in heads])
    style.label_bars(ax, bars, fmt=style.number)  # as {{{{ value() }}}} prints the same number
    ax.set(xlabel="head of layer 1 (2-layer model, seed 0)", ylabel="induction score", ylim=(0, 1.15))
    return fig
'''

DECLARATION = '''# Figures of the note "{title}" (docs/posts/{post_name}).
{fid}:
  script: scripts/figures/{module}.py
  params: {{model: attn-only-2l, seeds: [0, 1, 2], sequences: 64, seq_len: 40}}
  inputs: [models/attn-only-2l, models/attn-only-2l-seed1, models/attn-only-2l-seed2]
  caption: >-
    Induction score of each layer-1 head of the 2-layer zoo model (seed 0) on 32 repeated random sequences,
    the strongest head chosen on 32 others (an example figure: replace it).
  alt: >-
    A bar chart of four heads' induction scores between zero and one, each labelled with its value.
  verdicts:  # declared before the script runs: the paper's claim, the statistic that tests it, the rule
    {claim}:
      claim: A two-layer attention-only model forms an induction head (an example claim, to replace).
      cite: "[@elhage2021framework, § Induction Heads]"
      statistic: induction score of the layer-1 head chosen on half of 64 repeated random sequences, on the other half (mean attention from the second copy to the token after the earlier occurrence; bootstrap over sequences), per seed
      rule: "> 0.4"
'''  # noqa: E501  (the statistic line above is a template line, written as is)

TEST = '''"""Can-fail tests of the claims of the note "{title}", declared in figures/{slug}.yml.

Each claim needs a test that computes its statistic, as the figure script does, on data where the claim is
false, and asserts that the declared rule no longer says "supported" (tests/claims_helpers.py; a short example:
tests/test_claims_icl.py). `python -m scripts.engine check` reports every claim that no test names.
"""

from __future__ import annotations

import pytest


def test_{claim_py}_can_fail():
    pytest.fail("write the test that feeds the rule of claim '{claim}' "
                "(figure '{fid}', figures/{slug}.yml) "
                "data where the claim is false (e.g. a randomly initialised model: scripts.zoo.model.build_model) "
                "and asserts decide('{fid}.{claim}', estimate) != 'supported'; "
                "then delete this stub")
'''


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if not slug:
        raise EngineError(f"cannot make a slug from the title {title!r}: use some letters or digits")
    return slug[:60].rstrip("-")


def link_text(text: str) -> str:
    """Text for inside a Markdown link's brackets: its own brackets escaped."""
    return re.sub(r"([\[\]])", r"\\\1", text.strip())


def scaffold(title: str, *, root: pathlib.Path = ROOT, paper: str = "", paper_title: str = "",
             tags: list[str] | None = None, date: datetime.date | None = None) -> list[pathlib.Path]:
    """Create the note's four files; refuse (EngineError naming the file) if any exists. Returns the paths."""
    slug = slugify(title)
    date = date or datetime.date.today()
    module = slug.replace("-", "_")
    fid = f"{slug}-example"
    post = root / "docs" / "posts" / f"{date.isoformat()}-{slug}.md"
    safe_title = title.replace('"', "'")
    files = {
        post: POST.format(date=date.isoformat(), tags=", ".join(tags or ["notes"]), title=safe_title,
                          slug=slug, paper=paper or PLACEHOLDER_PAPER,
                          paper_title=link_text(paper_title) or PLACEHOLDER_PAPER_TITLE, fid=fid, claim=CLAIM),
        root / "scripts" / "figures" / f"{module}.py": SCRIPT.format(title=safe_title, claim=CLAIM),
        root / "figures" / f"{slug}.yml": DECLARATION.format(title=title, post_name=post.name, fid=fid, module=module,
                                                             claim=CLAIM),
        root / "tests" / f"test_claims_{module}.py": TEST.format(title=safe_title, fid=fid, slug=slug, claim=CLAIM,
                                                                 claim_py=CLAIM.replace("-", "_")),
    }
    existing = [p for p in files if p.exists()]
    if existing:
        raise EngineError(f"{existing[0].relative_to(root)} already exists; choose another title or remove it")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("title")
    parser.add_argument("--paper", default="", help="link to the paper")
    parser.add_argument("--paper-title", default="", help="the paper's title, the link's text")
    parser.add_argument("--tags", default="notes", help="comma-separated tags")
    args = parser.parse_args(argv)
    try:
        paths = scaffold(args.title, paper=args.paper, paper_title=args.paper_title,
                         tags=[t.strip() for t in args.tags.split(",") if t.strip()])
    except EngineError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for p in paths:
        print(f"created {p.relative_to(ROOT)}")
    print("next: `make serve`, then edit the post and the figure script; the page follows. The post is a draft:")
    print("`make build` lists the placeholders left; replace them, then delete its `draft: true` line.")
    print("Write the claim's can-fail test (the stub fails until you do); `make check` lists claims without one.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
