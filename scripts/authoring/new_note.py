"""Start a new note in one command: a dated post, a figure script wired into the engine, its declaration.

    python -m scripts.authoring.new_note "Attention sinks in small models" --paper https://arxiv.org/abs/…
    make note TITLE="Attention sinks in small models" PAPER=https://arxiv.org/abs/…

Writes docs/posts/<date>-<slug>.md, scripts/figures/<slug>.py and figures/<slug>.yml. The figure is a real
(small) computation on the 1-layer zoo model, to be replaced by the note's own experiment; the post places it
with {{ figure(...) }} and quotes one of its numbers with {{ value(...) }}. Nothing existing is overwritten.
Under `mkdocs serve` the new post and its figure appear at the next rebuild, which creating them triggers.

The post is a draft (`draft: true`): Material's blog shows it under `mkdocs serve` and leaves it out of a
built site and its feed. Its placeholder text — the example.org paper link when no PAPER is given, the
placeholder quotation and its section, the placeholder callouts and verdict — fails a strict build, each with
its line (scripts/engine/preflight.py, PLACEHOLDERS), until the author replaces it; then the author deletes the
`draft` line to publish. The check matches the scaffold's own sentences: there are no markers to remove.
"""

from __future__ import annotations

import argparse
import datetime
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLACEHOLDER_PAPER = "https://example.org"  # a strict build fails on it (preflight.PLACEHOLDER_LINK)

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

*Reading [{paper_label}]({paper}).* One or two sentences on what the paper claims and why it matters; they
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
    The strongest previous-token head of the 1-layer model is {{{{ value("{fid}.best_head") }}}}, with score
    {{{{ value("{fid}.best_score") }}}}. Replace this example with the numbers your own script computes.
'''

SCRIPT = '''"""Figure for the note "{title}". Replace this example computation with the note's experiment."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from scripts.analysis.induction import previous_token_scores
from scripts.engine.api import Result
from scripts.zoo.load import held_out_text, load_model


def compute(params: dict) -> Result:
    model = load_model(params["model"])
    scores = previous_token_scores(model, held_out_text(model, params["batch"]))[0]  # [head]
    best = int(torch.argmax(scores))
    return Result(
        data={{"scores": scores.tolist()}},
        values={{"best_head": f"L0H{{best}}", "best_score": f"{{scores[best]:.2f}}"}},
    )


def plot(result: Result, theme: str):
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    scores = result.data["scores"]
    ax.bar([f"L0H{{h}}" for h in range(len(scores))], scores)
    ax.set(xlabel="head", ylabel="previous-token score", ylim=(0, 1))
    fig.tight_layout()
    return fig
'''

DECLARATION = '''# Figures of the note "{title}" (docs/posts/{post_name}).
{fid}:
  script: scripts/figures/{module}.py
  params: {{model: attn-only-1l, batch: 32}}
  inputs: [models/attn-only-1l]
  caption: >-
    Previous-token score of each head of the 1-layer zoo model on held-out text (an example figure: replace it).
  alt: >-
    A bar chart of four heads' previous-token scores between zero and one.
'''


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot make a slug from the title {title!r}: use some letters or digits")
    return slug[:60].rstrip("-")


def scaffold(title: str, *, root: pathlib.Path = ROOT, paper: str = "", tags: list[str] | None = None,
             date: datetime.date | None = None) -> list[pathlib.Path]:
    """Create the note's three files; refuse (ValueError naming the file) if any exists. Returns the paths."""
    slug = slugify(title)
    date = date or datetime.date.today()
    module = slug.replace("-", "_")
    fid = f"{slug}-example"
    post = root / "docs" / "posts" / f"{date.isoformat()}-{slug}.md"
    files = {
        post: POST.format(date=date.isoformat(), tags=", ".join(tags or ["notes"]), title=title.replace('"', "'"),
                          slug=slug, paper=paper or PLACEHOLDER_PAPER, paper_label=paper or "the paper",
                          fid=fid),
        root / "scripts" / "figures" / f"{module}.py": SCRIPT.format(title=title),
        root / "figures" / f"{slug}.yml": DECLARATION.format(title=title, post_name=post.name, fid=fid, module=module),
    }
    existing = [p for p in files if p.exists()]
    if existing:
        raise ValueError(f"{existing[0].relative_to(root)} already exists; choose another title or remove it")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("title")
    parser.add_argument("--paper", default="", help="link to the paper")
    parser.add_argument("--tags", default="notes", help="comma-separated tags")
    args = parser.parse_args(argv)
    try:
        paths = scaffold(args.title, paper=args.paper, tags=[t.strip() for t in args.tags.split(",") if t.strip()])
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for p in paths:
        print(f"created {p.relative_to(ROOT)}")
    print("next: `make serve`, then edit the post and the figure script; the page follows. The post is a draft:")
    print("`make build` lists the placeholders left; replace them, then delete its `draft: true` line.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
