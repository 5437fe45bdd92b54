"""What a reader gets from a rendered post, and the differences between two renderings of the same post.

Used by tests/test_import_jekyll.py to compare a fixture post rendered by real Jekyll with the same post after
import, rendered by our site. HTML is parsed with the standard library's html.parser into a small tree; from it
`reader_view` takes what a reader gets:

- words: the visible text, as a multiset of words (math, code and the apparatus below left out);
- math: every expression a reader sees typeset — on the Jekyll side what the themes' MathJax typesets
  (`\\(…\\)`, `\\[…\\]` from kramdown and `$…$`/`$$…$$` left in the text), on ours arithmatex's elements —
  compared by their TeX with spaces removed;
- images (file name and alt text; ours must also exist in the built site), code blocks (language, line
  numbers, title, text), inline code, headings, list items (nesting depth, ordered or not, first words),
  links (text and target post or file), footnotes, tables.

Apparatus that differs by design is left out on both sides: heading permalinks (¶), footnote numbers and
back-links, citation labels (the cited keys are compared instead) and the bibliography list, which our site
generates; on ours also what the site adds to every post whatever its source (the tag list, the series box,
the "Cite this note" block, the updates and corrections, the glossary's hidden cards). Typography is normalised (kramdown prints smart quotes, dashes and ellipses; we
keep what was typed).
A code block's language is checked through what the reader sees: its colours. Our site does not write the
language into the HTML, so the block must be highlighted token for token as Pygments highlights its text in
the language Jekyll used.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_TYPO = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "«": '"', "»": '"'})
_MATH = re.compile(r"\\\[(.+?)\\\]|\\\((.+?)\\\)|\$\$(.+?)\$\$|(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$", re.S)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)   # Node or str
    parent: Node | None = None

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def find(self, pred) -> Node | None:
        return next((n for n in self.walk() if pred(n)), None)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.cur))

    def handle_endtag(self, tag):
        node = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(text: str) -> Node:
    b = _Builder()
    b.feed(text)
    b.close()
    return b.root


@dataclass
class ReaderView:
    title: str = ""
    words: Counter = field(default_factory=Counter)
    math: Counter = field(default_factory=Counter)
    images: list[tuple[str, str]] = field(default_factory=list)   # (file name, alt)
    code: list[tuple[str, bool, str, str]] = field(default_factory=list)  # (language, line numbers, title, text)
    code_html: list[Node] = field(default_factory=list)
    inline_code: Counter = field(default_factory=Counter)
    headings: list[tuple[int, str]] = field(default_factory=list)
    list_items: list[tuple[int, bool, str]] = field(default_factory=list)  # (depth, ordered, first words)
    links: list[tuple[str, str]] = field(default_factory=list)    # (text, target)
    citations: Counter = field(default_factory=Counter)
    footnotes: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)


def _norm(text: str) -> str:
    return " ".join(html.unescape(text).translate(_TYPO).split())


def words_of(text: str) -> list[str]:
    """Words, and every `$` a reader sees (a dollar left around math that was not typeset is visible debris)."""
    return re.findall(r"\w+(?:['.-]\w+)*|\$", _norm(text))


def _tex(expr: str) -> str:
    """TeX compared without spaces, and with kramdown's smart quotes undone (it applies them inside `$…$`, which
    it does not know as math)."""
    return re.sub(r"\s+", "", html.unescape(expr).translate(_TYPO))


def reader_view(content: Node, side: str, resolve_link) -> ReaderView:
    """`content`: the post's content element; `side`: "jekyll" or "ours"; `resolve_link(href) -> target`."""
    view = ReaderView()
    skip_tags = {"script", "style", "input", "label"}

    def skipped(n: Node) -> bool:
        cls = n.classes()
        if side == "ours" and (("md-tags" in cls or "series-box" in cls or "post-updates" in cls
                                or "gloss-card" in cls) or (
                n.tag == "details"
                and (n.find(lambda x: x.tag == "summary") or Node("", {})).text().startswith("Cite"))):
            return True
        return (n.tag in skip_tags or "headerlink" in cls or "reversefootnote" in cls or "footnote-backref" in cls
                or "citation" in cls or "bibliography" in cls or n.attrs.get("role") == "doc-noteref"
                or (n.tag == "sup" and n.attrs.get("id", "").startswith("fnref"))
                or (n.tag == "h2" and n.attrs.get("id") == "references"))

    def visit(n: Node) -> None:
        if skipped(n):
            if "citation" in n.classes():
                href = n.attrs.get("href", "")
                view.citations[href.split("#", 1)[-1].removeprefix("ref-")] += 1
            return
        cls = n.classes()
        if side == "ours" and "arithmatex" in cls:
            text = n.text().strip()
            m = re.fullmatch(r"\\\[(.*)\\\]|\\\((.*)\\\)", text, re.S)
            view.math[_tex(next(g for g in m.groups() if g is not None) if m else text)] += 1
            return
        if n.tag == "pre" or (n.tag == "div" and ("highlight" in cls or "highlighter-rouge" in cls)) \
                or (n.tag == "figure" and "highlight" in cls):
            block(n)
            return
        if n.tag == "code":
            view.inline_code[_norm(n.text())] += 1
            return
        if n.tag == "img":
            src = n.attrs.get("src", "")
            view.images.append((posixpath.basename(src.split("#")[0].split("?")[0]), _norm(n.attrs.get("alt", ""))))
        if n.tag == "li" and n.parent is not None and n.parent.tag in ("ul", "ol") \
                and not ({"footnotes", "footnote", "bibliography"} & {c for a in n.ancestors() for c in a.classes()}):
            depth = sum(1 for a in n.ancestors() if a.tag in ("ul", "ol"))
            own = _MATH.sub(" ", _visible(n, lambda x: skipped(x) or x.tag in ("ul", "ol")
                                          or (side == "ours" and "arithmatex" in x.classes())))
            view.list_items.append((depth, n.parent.tag == "ol", " ".join(w for w in words_of(own)[:8] if w != "$")))
        if re.fullmatch(r"h[1-6]", n.tag):
            view.headings.append((int(n.tag[1]), _norm(_visible(n, skipped))))
        if n.tag == "a" and n.attrs.get("href") is not None:
            view.links.append((_norm(_visible(n, skipped)), resolve_link(n.attrs["href"])))
        if n.tag == "table" and "highlighttable" not in cls and "rouge-table" not in cls:
            view.tables.append([[_cell(c, side, skipped) for c in r.walk() if c.tag in ("td", "th")]
                                for r in n.walk() if r.tag == "tr"])
        if (n.tag == "div" and ("footnotes" in cls or "footnote" in cls)):
            view.footnotes += [_norm(_visible(li, skipped)) for li in n.walk() if li.tag == "li"]
        for c in n.children:
            if isinstance(c, Node):
                visit(c)
            else:
                text = c
                if side == "jekyll":
                    for m in _MATH.finditer(text):
                        view.math[_tex(next(g for g in m.groups() if g is not None))] += 1
                    text = _MATH.sub(" ", text)
                view.words.update(words_of(text))

    def block(n: Node) -> None:
        code = n.find(lambda x: x.tag == "code") or n
        lang = ""
        for x in [n, *n.walk()]:
            for c in x.classes():
                if c.startswith("language-"):
                    lang = c[len("language-"):]
            lang = x.attrs.get("data-lang", lang)
        cell = n.find(lambda x: x.tag == "td" and ({"code"} & x.classes()))
        numbered = n.find(lambda x: {"lineno", "linenos", "gutter"} & x.classes()) is not None
        text = (cell or code).text()
        title = n.attrs.get("file", "")
        fname = n.find(lambda x: "filename" in x.classes())
        if fname is not None:
            title = fname.text()
            text = text.replace(title, "", 1) if cell is None and code is n else text
        view.code.append((lang, numbered, _norm(title), text.rstrip("\n")))
        view.code_html.append(cell or code)

    visit(content)
    return view


def _visible(n: Node, skipped) -> str:
    out = []
    for c in n.children:
        if isinstance(c, str):
            out.append(c)
        elif not skipped(c):
            out.append(_visible(c, skipped))
    return "".join(out)


def _cell(n: Node, side: str, skipped) -> str:
    """A table cell's text, with each math expression written as `$tex$` (spaces removed) on both sides."""
    out = []
    for c in n.children:
        if isinstance(c, str):
            out.append(_MATH.sub(lambda m: "$" + _tex(next(g for g in m.groups() if g is not None)) + "$", c)
                       if side == "jekyll" else c)
        elif side == "ours" and "arithmatex" in c.classes():
            m = re.fullmatch(r"\\\((.*)\\\)|\\\[(.*)\\\]", c.text().strip(), re.S)
            out.append("$" + _tex(next(g for g in m.groups() if g is not None) if m else c.text()) + "$")
        elif not skipped(c):
            out.append(_cell(c, side, skipped))
    return _norm("".join(out))


def token_classes(node: Node) -> list[str]:
    """The sequence of Pygments token classes in a highlighted code element (whitespace tokens left out)."""
    return [" ".join(sorted(c.classes())) for c in node.walk() if c.tag == "span" and c.classes()
            and not ({"w", "normal", "filename"} & c.classes()) and c.text().strip()]


def pygments_classes(text: str, language: str) -> list[str] | None:
    """Token classes Pygments gives `text` in `language` (None if Pygments does not know the language)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    aliases = {"plaintext": "text", "": "text"}
    try:
        lexer = get_lexer_by_name(aliases.get(language, language))
    except ClassNotFound:
        return None
    return token_classes(parse(highlight(text, lexer, HtmlFormatter(nowrap=True))))


@dataclass
class Difference:
    kind: str       # words, math, images, code, inline code, headings, links, citations, footnotes, tables
    detail: str
    terms: list[str]  # what a report line must mention to explain it


def compare(jekyll: ReaderView, ours: ReaderView) -> list[Difference]:
    diffs: list[Difference] = []

    def multiset(kind: str, a: Counter, b: Counter, fmt=str, term=str) -> None:
        for item, n in (a - b).items():
            diffs.append(Difference(kind, f"missing here: {fmt(item)} (x{n})", [term(item)]))
        for item, n in (b - a).items():
            diffs.append(Difference(kind, f"added here: {fmt(item)} (x{n})", [term(item)]))

    if _norm(jekyll.title) != _norm(ours.title):
        diffs.append(Difference("title", f"{jekyll.title!r} became {ours.title!r}", [jekyll.title]))
    multiset("words", jekyll.words, ours.words)
    multiset("math", jekyll.math, ours.math)
    multiset("images", Counter(f for f, _ in jekyll.images), Counter(f for f, _ in ours.images))
    alts = {f: a for f, a in ours.images}
    for f, a in jekyll.images:
        if a and f in alts and alts[f] != a:
            diffs.append(Difference("images", f"alt text of {f}: {a!r} became {alts[f]!r}", [f]))
    multiset("inline code", jekyll.inline_code, ours.inline_code, repr)
    if len(jekyll.code) != len(ours.code):
        diffs.append(Difference("code", f"{len(jekyll.code)} code blocks became {len(ours.code)}", ["code"]))
    for k, ((lang, num, title, text), (_, num2, title2, text2), node) in enumerate(zip(jekyll.code, ours.code,
                                                                                      ours.code_html), start=1):
        if text.strip("\n") != text2.strip("\n"):
            diffs.append(Difference("code", f"code block {k}: text differs: {text!r} vs {text2!r}", [text[:40]]))
        if num != num2:
            diffs.append(Difference("code", f"code block {k}: line numbers {num} became {num2}", ["line numbers"]))
        if title != title2:
            diffs.append(Difference("code", f"code block {k}: title {title!r} became {title2!r}", [title]))
        expected = pygments_classes(text, lang)
        got = token_classes(node)
        if expected is not None and expected != got:
            diffs.append(Difference("code", f"code block {k}: not highlighted as `{lang}` "
                                            f"(expected {expected[:8]}…, got {got[:8]}…)", [lang]))
    if jekyll.headings != ours.headings:
        multiset("headings", Counter(jekyll.headings), Counter(ours.headings), lambda h: f"h{h[0]} {h[1]!r}",
                 lambda h: h[1])
        if not diffs or diffs[-1].kind != "headings":
            diffs.append(Difference("headings", f"order {jekyll.headings} became {ours.headings}", ["heading"]))
    if jekyll.list_items != ours.list_items:
        diffs.append(Difference("lists", f"list items (depth, ordered, text) {jekyll.list_items} became "
                                         f"{ours.list_items}", ["list"]))
    multiset("links", Counter(jekyll.links), Counter(ours.links), lambda link: f"[{link[0]}]({link[1]})",
             lambda link: link[1])
    multiset("citations", jekyll.citations, ours.citations)
    multiset("footnotes", Counter(jekyll.footnotes), Counter(ours.footnotes), repr)
    if jekyll.tables != ours.tables:
        diffs.append(Difference("tables", f"{jekyll.tables} became {ours.tables}", ["table"]))
    return diffs


def unexplained(diffs: list[Difference], report: list[str]) -> list[Difference]:
    """Differences no line of the import report accounts for. A line accounts for a difference when what it
    quotes — the Liquid tag, a "quoted" name, a `code` name, a file name — names the element; added footnotes
    need as many report lines about footnotes."""
    quoted = " ".join(q for line in report for q in _QUOTED.findall(line))
    words = Counter(words_of(quoted))
    notes = sum("footnote" in line for line in report)
    out = []
    for d in diffs:
        if d.kind == "footnotes":
            notes -= 1
            if notes < 0:
                out.append(d)
        elif d.kind == "words":
            if not all(words[w] for t in d.terms for w in words_of(t)):
                out.append(d)
        elif not any(t and t in quoted for t in d.terms):
            out.append(d)
    return out


_QUOTED = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\"[^\"]*\"|'[^']*'|`[^`]*`|[\w./-]+\.(?:png|jpe?g|gif|svg|webp|pdf)\b")
