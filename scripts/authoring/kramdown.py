"""kramdown's Markdown (as Jekyll runs it: the GFM parser, MathJax math) rewritten for this site's Python-Markdown.

The two dialects agree on most text; where they differ, the same source renders differently without any error,
which is how imported posts used to lose content silently. This module rewrites exactly those places, block by
block, so that a reader gets what kramdown gave them:

- **Lists.** kramdown indents an item's content to the column after its marker (3 spaces after `1. `, 2 after
  `- `); Python-Markdown wants multiples of 4. Each list is parsed the kramdown way (content column, lazy
  lines, nested lists, blank lines) and written back with 4-space indentation, so nested lists, display math
  and code inside items survive. A list that starts right after a paragraph line (GFM allows it) gets the
  blank line Python-Markdown needs; `[ ]`/`[x]` task items become ☐/☑ (mkdocs.yml has no task-list extension).
- **Math.** A paragraph that is `$$…$$` and nothing else is display math (arithmatex's `$$` block, with the
  blank lines it needs); anywhere else kramdown reads `$$…$$` as *inline* math, so it becomes `$…$`. Single
  `$…$` (typeset by the themes' MathJax) is kept, with the spaces inside the dollars trimmed, because
  arithmatex does not read `$ x $`. Inside lists and block quotes the same rules apply at that level.
- **IALs.** A block IAL applies to the block right before it, or after a blank line to the next one. On a
  paragraph or heading it becomes attr_list syntax; the theme notices and prompts (minimal-mistakes
  `.notice--info`, al-folio `.block-tip`, Chirpy `.prompt-warning`) become Material admonitions without a
  title; `{: file="…"}` after a fence becomes its `title`; `.language-x` on indented code becomes a fence.
  Span IALs are attr_list syntax already; Chirpy's `.light`/`.dark` image classes become Material's
  `#only-light`/`#only-dark`. An IAL on a list, table or HTML block is dropped (noted: presentation only).
- **HTML blocks.** kramdown leaves their content alone, and so do we — except where an image must be a
  Markdown image to get a correct path on the built page (an `<img>` line, a converted figure include): the
  enclosing elements then get `markdown="1"` (md_in_html) and are unindented, so the image is rendered.
- **Other kramdown syntax.** `#Heading` without a space is not a heading for kramdown (escaped);
  `{::comment}` goes, `{::nomarkdown}` keeps its HTML, `{::options}` is noted; the excerpt separator
  `<!--more-->` becomes Material's `<!-- more -->`.
Typography is not converted: kramdown prints smart quotes and dashes where we keep the characters typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from scripts.authoring.findings import Finding
from scripts.authoring.liquid import NOTICE_CLASSES

Line = tuple[str, int]  # (text, source line)

_BLANK = re.compile(r"^\s*$")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*(.*)$")
_LIST = re.compile(r"^( {0,3})([*+-]|\d{1,9}\.)([ \t]+|$)(.*)$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ATX = re.compile(r"^( {0,3})(#{1,6})(.*)$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_IAL = re.compile(r"^ {0,3}\{:(?!:)\s*(.*?)\s*\}\s*$")
_ALD = re.compile(r"^ {0,3}\{:([\w-]+):\s*(.*?)\s*\}\s*$")
_EXT = re.compile(r"^ {0,3}\{::(\w+)(.*?)(/?)\}\s*$")
_MATH_START = re.compile(r"^ {0,3}\$\$")
_FOOTNOTE = re.compile(r"^ {0,3}\[\^[^\]]+\]:")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_HTML_START = re.compile(r"^ {0,3}<(/?)([A-Za-z][\w-]*)\b|^ {0,3}<!--")
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s+[^>]*?)?)\s*(/?)>")
_IMG_TAG = re.compile(r"<img\b([^>]*?)/?>", re.I)
_A_TAG = re.compile(r"<a\b([^>]*)>([^<>]*)</a>", re.I)
_ATTR = re.compile(r"([\w:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_MORE = re.compile(r"^(\s*)<!--\s*more\s*-->\s*$")
_LINK = re.compile(r"(!?)\[((?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]\(\s*(<[^>\n]*>|[^\s)]+)"
                   r"((?:\s+(?:\"[^\"]*\"|'[^']*'))?)\s*\)(\{:?[^}\n]*\})?")
_REFDEF = re.compile(r"^( {0,3}\[[^\]^][^\]]*\]:\s*)(<[^>]*>|\S+)(.*)$")
_HTML_URL = re.compile(r"""(\b(?:src|href)\s*=\s*)(["'])([^"']*)\2""", re.I)
_IAL_PART = re.compile(r"""\.([\w-]+)|#([\w-]+)|([\w:-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))|([\w-]+)""")
BLOCK_TAGS = frozenset("address article aside blockquote center details dialog dd div dl dt fieldset figcaption "
                       "figure footer form h1 h2 h3 h4 h5 h6 header hr iframe main nav ol p picture pre script "
                       "section style summary table ul video audio canvas svg math noscript".split())
VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())
UrlMapper = Callable[[str, str, int], str]  # (url, "image"|"link"|"html", source line) -> url in the imported post


@dataclass
class _Block:
    kind: str   # para, heading, fence, code, list, quote, math, html, hr, footnote, admonition, blank, other
    lines: list[Line]
    attrs: list[str] = field(default_factory=list)


def convert(lines: list[str], origins: list[int], map_url: UrlMapper | None = None,
            excerpt_separator: str | None = None) -> tuple[list[str], list[int], list[Finding]]:
    """Rewrite a post body (after Liquid) for Python-Markdown; returns lines, their source lines, findings."""
    conv = _Converter(map_url or (lambda url, kind, line: url), excerpt_separator)
    out = conv.container([(t.expandtabs(4) if "\t" in t[:len(t) - len(t.lstrip())] else t, o)
                          for t, o in zip(lines, origins)])
    # at most one blank line in a row outside code, none at the ends
    result: list[Line] = []
    in_fence = None
    for text, origin in out:
        m = _FENCE.match(text.lstrip()) if text.strip() else None
        if m and (in_fence is None or m.group(2).startswith(in_fence)):
            in_fence = None if in_fence else m.group(2)[0] * 3
        if not text.strip() and in_fence is None and (not result or not result[-1][0].strip()):
            continue
        result.append(("" if not text.strip() and in_fence is None else text, origin))
    while result and not result[-1][0].strip():
        result.pop()
    return [t for t, _ in result], [o for _, o in result], conv.findings


class _Converter:
    def __init__(self, map_url: UrlMapper, excerpt_separator: str | None):
        self.map_url = map_url
        self.excerpt = excerpt_separator
        self.findings: list[Finding] = []
        self.alds: dict[str, str] = {}

    def note(self, line: int, message: str, lost: bool = False) -> None:
        self.findings.append(Finding(line, message, lost))

    # -- block structure -----------------------------------------------------------------------------
    def container(self, lines: list[Line], in_item: bool = False) -> list[Line]:
        """Convert the blocks of one container (the document, a list item, a block quote)."""
        blocks: list[_Block] = []
        pending: tuple[str, int] | None = None
        i, n = 0, len(lines)
        while i < n:
            text, origin = lines[i]
            if _BLANK.match(text):
                blocks.append(_Block("blank", [("", origin)]))
                i += 1
                continue
            ald = _ALD.match(text)
            if ald:
                self.alds[ald.group(1)] = ald.group(2)
                i += 1
                continue
            ial = _IAL.match(text)
            if ial:
                target = blocks[-1] if blocks and blocks[-1].kind != "blank" else None
                if target is not None:
                    target.attrs.append(ial.group(1))
                else:
                    pending = (ial.group(1), origin)
                i += 1
                continue
            block, i = self.block(lines, i, in_item and not blocks)
            if pending is not None:
                block.attrs.append(pending[0])
                pending = None
            blocks.append(block)
        if pending is not None:
            self.note(pending[1], f"IAL {{: {pending[0]} }} has no element to apply to; dropped")
        return self.flatten([self.apply_attrs(b) for b in blocks], in_item)

    def flatten(self, blocks: list[_Block], in_item: bool) -> list[Line]:
        """Join blocks, adding the blank lines Python-Markdown needs around fences, lists, math, HTML…"""
        out: list[Line] = []
        prev: _Block | None = None
        seen = 0
        for b in blocks:
            if b.kind == "blank":
                out.extend(b.lines)
                prev = b
                continue
            if prev is not None and prev.kind != "blank" and (b.kind in _GAP or prev.kind in _GAP):
                # a list nested right under an item's first line stays tight, as in kramdown
                if not (in_item and b.kind == "list" and seen == 1 and prev.kind == "para"):
                    out.append(("", b.lines[0][1]))
            out.extend(b.lines)
            prev = b
            seen += 1
        return out

    def block(self, lines: list[Line], i: int, item_first: bool) -> tuple[_Block, int]:
        text, origin = lines[i]
        indent = len(text) - len(text.lstrip(" "))
        if indent >= 4 and not item_first:
            return self.indented_code(lines, i)
        m = _FENCE.match(text)
        if m:
            return self.fence(lines, i, m)
        ext = _EXT.match(text)
        if ext:
            return self.extension(lines, i, ext)
        if _HR.match(text):
            return _Block("hr", [(text, origin)]), i + 1
        if _LIST.match(text) and not _HR.match(text):
            return self.list(lines, i)
        m = _ATX.match(text)
        if m:
            if m.group(3) and not m.group(3)[0].isspace():  # `#word`: kramdown's GFM parser reads a paragraph
                return self.paragraph(lines, i, first=m.group(1) + "\\" + m.group(2) + m.group(3))
            return _Block("heading", [(self.inline(text, origin), origin)]), i + 1
        if _QUOTE.match(text):
            return self.quote(lines, i)
        if i + 1 < len(lines) and _SETEXT.match(lines[i + 1][0]) and not _HTML_START.match(text):
            return _Block("heading", [(self.inline(text, origin), origin), lines[i + 1]]), i + 2
        if _MATH_START.match(text):
            return self.math_or_paragraph(lines, i)
        if _FOOTNOTE.match(text):
            return self.footnote(lines, i)
        if _HTML_START.match(text):
            return self.html(lines, i)
        return self.paragraph(lines, i)

    def _paragraph_lines(self, lines: list[Line], i: int) -> int:
        """Index after the paragraph starting at i (ends at a blank line or a block that interrupts it)."""
        j = i + 1
        while j < len(lines):
            t = lines[j][0]
            if (_BLANK.match(t) or _IAL.match(t) or _FENCE.match(t) or _QUOTE.match(t) or _HR.match(t)
                    or (_LIST.match(t) and not _SETEXT.match(t))
                    or (_ATX.match(t) and _ATX.match(t).group(3)[:1].isspace()) or _EXT.match(t)):
                break
            j += 1
        return j

    def paragraph(self, lines: list[Line], i: int, first: str | None = None) -> tuple[_Block, int]:
        j = self._paragraph_lines(lines, i)
        chunk = list(lines[i:j])
        if first is not None:
            chunk[0] = (first, chunk[0][1])
        texts = self.inline_lines([t for t, _ in chunk], chunk[0][1])
        out = [(t, o) for t, (_, o) in zip(texts, chunk)]
        if len(out) == 1 and _MORE.match(out[0][0]):
            return _Block("other", [(_MORE.sub(r"\1<!-- more -->", out[0][0]), out[0][1])]), j
        return _Block("para", out), j

    def math_or_paragraph(self, lines: list[Line], i: int) -> tuple[_Block, int]:
        j = self._paragraph_lines(lines, i)
        joined = "\n".join(t for t, _ in lines[i:j]).strip()
        close = joined.find("$$", 2)
        if close >= 0 and joined.endswith("$$") and close == len(joined) - 2 and len(joined) > 4:
            content = joined[2:-2].strip("\n")
            body = [c for c in content.split("\n")]
            if len(body) == 1:
                body = [body[0].strip()]
            out = [("$$", lines[i][1])] + [(b, lines[min(i + k, j - 1)][1]) for k, b in enumerate(body)]
            return _Block("math", out + [("$$", lines[j - 1][1])]), j
        return self.paragraph(lines, i)

    def fence(self, lines: list[Line], i: int, m: re.Match) -> tuple[_Block, int]:
        indent, ticks = len(m.group(1)), m.group(2)
        out = [(lines[i][0][indent:], lines[i][1])]
        j = i + 1
        while j < len(lines):
            t, o = lines[j]
            cm = _FENCE.match(t)
            j += 1
            if cm and cm.group(2)[0] == ticks[0] and len(cm.group(2)) >= len(ticks) and not cm.group(3).strip():
                out.append((ticks, o))
                break
            strip = min(indent, len(t) - len(t.lstrip(" ")))
            out.append((t[strip:], o))
        else:
            out.append((ticks, out[-1][1]))  # an unclosed fence runs to the end, as in kramdown
        return _Block("fence", out), j

    def indented_code(self, lines: list[Line], i: int) -> tuple[_Block, int]:
        j = i
        while j < len(lines) and (lines[j][0].startswith("    ") or _BLANK.match(lines[j][0])):
            j += 1
        while j > i and _BLANK.match(lines[j - 1][0]):
            j -= 1
        return _Block("code", list(lines[i:j])), j

    def extension(self, lines: list[Line], i: int, m: re.Match) -> tuple[_Block, int]:
        name, origin = m.group(1), lines[i][1]
        if m.group(3) == "/" or name == "options":
            if name == "options":
                self.note(origin, f"kramdown options {{::options{m.group(2)} /}} do not apply here; dropped")
            return _Block("blank", [("", origin)]), i + 1
        end = next((j for j in range(i + 1, len(lines)) if re.match(r"^\s*\{:/(" + name + r")?\}\s*$", lines[j][0])),
                   len(lines))
        inner = lines[i + 1:end]
        if name == "comment":
            return _Block("blank", [("", origin)]), end + 1
        if name == "nomarkdown":
            return _Block("html", list(inner) or [("", origin)]), end + 1
        self.note(origin, f"kramdown extension {{::{name}}} is not known; its content is kept as text")
        return _Block("para", list(inner) or [("", origin)]), end + 1

    def footnote(self, lines: list[Line], i: int) -> tuple[_Block, int]:
        j = i + 1
        while j < len(lines) and (lines[j][0].startswith("    ") or (_BLANK.match(lines[j][0]) and j + 1 < len(lines)
                                                                       and lines[j + 1][0].startswith("    "))
                                  or (not _BLANK.match(lines[j][0]) and not _FOOTNOTE.match(lines[j][0])
                                      and _BLANK.match(lines[j - 1][0]) is None
                                      and not lines[j][0].startswith(("#", ">")))):
            j += 1
        texts = self.inline_lines([t for t, _ in lines[i:j]], lines[i][1])
        return _Block("footnote", [(t, o) for t, (_, o) in zip(texts, lines[i:j])]), j

    def quote(self, lines: list[Line], i: int) -> tuple[_Block, int]:
        inner: list[Line] = []
        j = i
        while j < len(lines):
            t, o = lines[j]
            q = _QUOTE.match(t)
            if q:
                inner.append((q.group(1), o))
            elif (not _BLANK.match(t) and inner and inner[-1][0].strip() and not _IAL.match(t)
                  and not _FENCE.match(t) and not _LIST.match(t) and not _ATX.match(t)):
                inner.append((t, o))  # lazy continuation of the quoted paragraph
            else:
                break
            j += 1
        converted = self.container(inner)
        return _Block("quote", [(("> " + t) if t.strip() else ">", o) for t, o in converted]), j

    def list(self, lines: list[Line], i: int) -> tuple[_Block, int]:
        first = _LIST.match(lines[i][0])
        ordered = first.group(2)[0].isdigit()
        out: list[Line] = []
        j = i
        while j < len(lines):
            m = _LIST.match(lines[j][0])
            if not m or _HR.match(lines[j][0]) or m.group(2)[0].isdigit() != ordered:
                break
            marker_end = len(m.group(1)) + len(m.group(2))
            spaces = len(m.group(3).expandtabs(4))
            content_col = marker_end + (spaces if 0 < spaces <= 4 else 1)
            item: list[Line] = [(m.group(4) if spaces <= 4 else " " * (spaces - 1) + m.group(4), lines[j][1])]
            j += 1
            while j < len(lines):
                t, o = lines[j]
                if _BLANK.match(t):
                    item.append(("", o))
                    j += 1
                    continue
                ind = len(t) - len(t.lstrip(" "))
                if ind >= content_col:
                    item.append((t[content_col:], o))
                    j += 1
                    continue
                prev_blank = _BLANK.match(item[-1][0]) is not None
                lazy = (not prev_blank and not _LIST.match(t) and not _IAL.match(t) and not _FENCE.match(t)
                        and not _QUOTE.match(t) and not _ATX.match(t) and not _HR.match(t)
                        and not _FENCE.match(item[-1][0]))
                if lazy:
                    item.append((t.lstrip(" "), o))
                    j += 1
                    continue
                break
            trailing = 0
            while item and _BLANK.match(item[-1][0]) and len(item) > 1:
                item.pop()
                trailing += 1
            converted = self.container(item, in_item=True)
            head = converted[0][0] if converted else ""
            marker = m.group(2)
            task = re.match(r"^\[([ xX])\]\s+", head)
            if task and not ordered:
                head = ("☑ " if task.group(1) in "xX" else "☐ ") + head[task.end():]
            out.append((f"{marker} {head}".rstrip(), converted[0][1] if converted else item[0][1]))
            out += [(("    " + t) if t.strip() else "", o) for t, o in converted[1:]]
            nxt = _LIST.match(lines[j][0]) if j < len(lines) else None
            same_list = nxt is not None and not _HR.match(lines[j][0]) and nxt.group(2)[0].isdigit() == ordered
            if same_list and (trailing or _ends_block(converted[-1][0] if converted else "")):
                out.append(("", lines[j - 1][1]))  # a math block or fence must be followed by a blank line
            elif trailing:
                j -= trailing  # the blank lines after the list belong to the container
                break
        return _Block("list", out), j

    def html(self, lines: list[Line], i: int) -> tuple[_Block, int]:
        """An HTML block: up to the line closing its first element (or a blank line for comments/void tags)."""
        first = lines[i][0]
        start = _HTML_START.match(first)
        name = (start.group(2) or "").lower() if start and start.group(2) else ""
        if not name or name not in BLOCK_TAGS or start.group(1):
            if first.lstrip().startswith("<!--"):
                j = i
                while j < len(lines) and "-->" not in lines[j][0]:
                    j += 1
                j = min(j + 1, len(lines))
                block = list(lines[i:j])
                if len(block) == 1 and _MORE.match(block[0][0]):
                    return _Block("other", [(_MORE.sub(r"\1<!-- more -->", block[0][0]), block[0][1])]), j
                return _Block("html", block), j
            return self.paragraph(lines, i)
        depth, j = 0, i
        while j < len(lines):
            for tag in _TAG.finditer(lines[j][0]):
                if tag.group(2).lower() != name or tag.group(4):
                    continue
                depth += -1 if tag.group(1) else 1
            j += 1
            if depth <= 0:
                break
        return _Block("html", self.html_markdown(list(lines[i:j]))), j

    def html_markdown(self, block: list[Line]) -> list[Line]:
        """Images inside an HTML block become Markdown images on lines of their own (their paths must be
        rewritten for the built page, which MkDocs does only for Markdown), and every element enclosing one gets
        markdown="1" (md_in_html) and loses its indentation. Other HTML is kept, its URLs mapped."""
        split: list[Line] = []
        for t, o in block:
            if _IMG_TAG.search(t) and not re.match(r"^\s*(!\[|<figure markdown)", t):
                pieces = [p.strip() for p in re.split(r"(<img\b[^>]*>)", t) if p.strip()]
                split += [(p, o) for p in pieces]
            else:
                split.append((t, o))
        needs = [bool(re.match(r"^\s*(!\[|<figure markdown|<img\b)", t, re.I)) for t, _ in split]
        if not any(needs):
            return [(self.html_urls(t, o), o) for t, o in block]
        stack: list[tuple[int, int, str]] = []  # (line index, position of the opening tag's '>', name)
        marked: set[tuple[int, int]] = set()
        texts = [t for t, _ in split]
        in_figure = False
        for k, (t, o) in enumerate(split):
            if needs[k]:
                marked.update((li, pos) for li, pos, _ in stack)
                if t.lstrip().startswith("<figure markdown"):
                    in_figure = "</figure>" not in t
                elif t.lstrip().lower().startswith("<img"):
                    texts[k] = self.img_to_markdown(t.strip(), o)
                continue
            if in_figure:
                in_figure = "</figure>" not in t
                continue
            for tag in _TAG.finditer(t):
                nm = tag.group(2).lower()
                if nm in VOID_TAGS or tag.group(4):
                    continue
                if tag.group(1):
                    while stack and stack[-1][2] != nm:
                        stack.pop()
                    if stack:
                        stack.pop()
                else:
                    stack.append((k, tag.end() - 1, nm))
        for li, pos in sorted(marked, reverse=True):
            if "markdown=" not in texts[li][:pos + 1].rsplit("<", 1)[-1]:
                texts[li] = texts[li][:pos] + ' markdown="1"' + texts[li][pos:]
        return [(self.inline(texts[k].strip(), o) if needs[k] else self.html_urls(texts[k].strip(), o), o)
                for k, (_, o) in enumerate(split)]

    def html_urls(self, text: str, line: int) -> str:
        return _HTML_URL.sub(lambda m: m.group(1) + m.group(2) + self.map_url(m.group(3), "html", line) + m.group(2),
                             text)

    def img_to_markdown(self, tag: str, line: int) -> str:
        attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(tag)}
        src = attrs.pop("src", "")
        alt = attrs.pop("alt", "")
        title = attrs.pop("title", None)
        extra = []
        for k, v in attrs.items():
            if k == "class":
                extra += [f".{c}" for c in v.split()]
            elif k in ("width", "height", "style", "id", "loading"):
                extra.append(f'#{v}' if k == "id" else f'{k}="{v}"')
        image = f"![{alt}]({src}" + (f' "{title}"' if title else "") + ")"
        return image + (f"{{ {' '.join(extra)} }}" if extra else "")

    # -- IALs ----------------------------------------------------------------------------------------
    def apply_attrs(self, b: _Block) -> _Block:
        if not b.attrs:
            return b
        parts = []
        for a in b.attrs:
            for ref in re.findall(r"(?:^|\s)([A-Za-z][\w-]*)(?=\s|$)", a):
                if ref in self.alds:
                    a = a.replace(ref, self.alds[ref])
            parts.append(a)
        attrs = " ".join(parts)
        line = b.lines[0][1]
        classes = re.findall(r"(?:^|\s)\.([\w-]+)", attrs)
        kind = next((NOTICE_CLASSES[c] for c in classes if c in NOTICE_CLASSES), None)
        if kind and b.kind in ("para", "quote"):
            inner = [(t[2:] if t.startswith("> ") else t[1:] if t.startswith(">") else t, o) for t, o in b.lines] \
                if b.kind == "quote" else b.lines
            return _Block("admonition", [(f'!!! {kind} ""', line)] + [(("    " + t) if t.strip() else "", o)
                                                                      for t, o in inner])
        if b.kind == "para":
            return _Block("para", b.lines + [(f"{{: {attrs} }}", b.lines[-1][1])])
        if b.kind == "heading":
            t, o = b.lines[0]
            return _Block("heading", [(f"{t.rstrip()} {{ {attrs} }}", o)] + b.lines[1:])
        if b.kind in ("fence", "code"):
            return self.fence_attrs(b, attrs)
        self.note(line, f"IAL {{: {attrs} }} on a {_KIND_NAMES.get(b.kind, b.kind)} dropped (Python-Markdown cannot "
                        "set attributes there; presentation only)")
        return b

    def fence_attrs(self, b: _Block, attrs: str) -> _Block:
        opts, lang = [], None
        for m in _IAL_PART.finditer(attrs):
            cls, ident, key = m.group(1), m.group(2), m.group(3)
            value = next((g for g in (m.group(4), m.group(5), m.group(6)) if g is not None), None)
            if cls and cls.startswith("language-"):
                lang = cls[len("language-"):]
            elif key in ("file", "title"):
                opts.append(f'title="{value}"')
            elif cls in ("nolineno", "highlight"):
                continue
            elif cls:
                opts.append(f".{cls}")
            elif ident:
                opts.append(f"#{ident}")
        if b.kind == "code":
            body = [(t[4:], o) for t, o in b.lines]
            head = "```" + (lang or "")
            return _Block("fence", [(head, b.lines[0][1])] + body + [("```", b.lines[-1][1])])
        head, o = b.lines[0]
        m = _FENCE.match(head)
        info = m.group(3).strip() if m else ""
        if lang and not info:
            info = lang
        classes = [x for x in opts if x.startswith((".", "#"))]
        keys = [x for x in opts if not x.startswith((".", "#"))]
        if classes:  # classes need superfences' brace form
            new = m.group(2) + "{ ." + (info.split()[0] if info else "text") + " " + " ".join(classes + keys) + " }"
        else:
            new = m.group(2) + (info + " " if info else "") + " ".join(keys)
        return _Block("fence", [(new.rstrip(), o)] + b.lines[1:])

    # -- inline --------------------------------------------------------------------------------------
    def inline(self, text: str, line: int) -> str:
        return self.inline_lines([text], line)[0]

    def inline_lines(self, texts: list[str], line: int) -> list[str]:
        """Inline rewrites of a paragraph's lines (code spans untouched): math, images, links, excerpt marker."""
        joined = "\n".join(texts)
        spans: list[str] = []

        def keep(m: re.Match) -> str:
            spans.append(m.group(0))
            return f"\x00{len(spans) - 1}\x00"

        masked = _INLINE_CODE.sub(keep, joined)
        masked = _math(masked)
        masked = _IMG_TAG.sub(lambda m: self.img_to_markdown(m.group(0), line) if "src=" in m.group(0) else m.group(0),
                              masked)
        masked = _A_TAG.sub(_a_to_markdown, masked)
        masked = self.links(masked, line)
        masked = re.sub(r"<!--more-->", "<!-- more -->", masked)
        if self.excerpt and self.excerpt not in ("\n\n", "<!-- more -->") and self.excerpt.strip() in masked:
            masked = masked.replace(self.excerpt.strip(), "<!-- more -->")
        out = re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], masked)
        result = out.split("\n")
        if len(result) != len(texts):  # keep the line count (line numbers of later findings)
            result = result[:len(texts)] if len(result) > len(texts) else result + [""] * (len(texts) - len(result))
        return result

    def links(self, text: str, line: int) -> str:
        def link(m: re.Match) -> str:
            bang, label, url, title, ial = m.group(1), m.group(2), m.group(3), m.group(4) or "", m.group(5) or ""
            new_url = self.map_url(url, "image" if bang else "link", line)
            if bang and ial:
                classes = re.findall(r"(?:^|\s|\{:?)\.(light|dark)(?=[\s}])", ial)
                if classes and "#" not in new_url:
                    new_url += f"#only-{classes[0]}"
                    ial = re.sub(r"\s*\.(light|dark)(?=[\s}])", "", ial)
                    if re.fullmatch(r"\{:?\s*\}", ial):
                        ial = ""
            return f"{bang}[{label}]({new_url}{title}){ial}"

        text = _LINK.sub(link, text)
        return "\n".join(_REFDEF.sub(lambda m: m.group(1) + self.map_url(m.group(2), "link", line) + m.group(3), t)
                         for t in text.split("\n"))


def _a_to_markdown(m: re.Match) -> str:
    """A raw `<a href>` around plain text → a Markdown link (MkDocs rewrites only Markdown links' paths)."""
    attrs = {a.group(1).lower(): next(g for g in a.groups()[1:] if g is not None) for a in _ATTR.finditer(m.group(1))}
    href = attrs.pop("href", None)
    if href is None or attrs.keys() - {"target", "rel", "title", "class"}:
        return m.group(0)
    extra = [f'{k}="{v}"' for k, v in attrs.items() if k in ("target", "rel")]
    title = f' "{attrs["title"]}"' if "title" in attrs else ""
    return f"[{m.group(2)}]({href}{title})" + (f"{{: {' '.join(extra)} }}" if extra else "")


_GAP = frozenset({"fence", "code", "html", "math", "admonition", "list", "quote", "footnote"})
_KIND_NAMES = {"list": "list", "html": "HTML block", "math": "math block", "hr": "rule", "footnote": "footnote",
               "quote": "block quotation", "other": "block"}


def _ends_block(text: str) -> bool:
    """Whether a line closes a block Python-Markdown needs a blank line after ($$, a fence, an HTML block)."""
    t = text.strip()
    return t == "$$" or re.fullmatch(r"`{3,}|~{3,}", t) is not None or (t.startswith("</") and t.endswith(">"))


def _math(text: str) -> str:
    """kramdown's inline `$$…$$` → `$…$`; single `$…$` pairs with the spaces inside the dollars trimmed."""
    spans: list[str] = []

    def hold(m: re.Match) -> str:
        spans.append(" ".join(m.group(1).split()))
        return f"\x02{len(spans) - 1}\x02"

    masked = re.sub(r"(?<![\\$])\$\$(?!\$)(.+?)(?<![\\$])\$\$", hold, text, flags=re.S)
    masked = re.sub(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\])+?)\$(?!\$)",
                    lambda m: "$" + " ".join(m.group(1).split()) + "$" if m.group(1).strip() else m.group(0), masked)
    return re.sub(r"\x02(\d+)\x02", lambda m: "$" + spans[int(m.group(1))] + "$", masked)
