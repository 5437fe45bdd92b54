"""Liquid in a Jekyll post, turned into this blog's Markdown: what Jekyll would have printed, or its equivalent.

Jekyll runs Liquid over the whole post before kramdown reads it. This module does the same pass, but instead
of the theme's HTML it writes the Markdown that gives a reader the same thing on our site, and it says (as a
`Finding` with the source line) whatever it cannot carry over. Decisions, and why:

- `{% raw %}…{% endraw %}`: the content is kept byte for byte and the markers go, exactly as Jekyll prints it;
  nothing inside a raw block is ever interpreted, not even a tag that looks like ours.
- Code is never touched. Liquid inside fenced code, `inline code` or a `{% highlight %}` block is kept as
  written (Jekyll would have run it — so the report notes it; in Jekyll such code is wrapped in raw).
- `{% highlight lang [linenos] [mark_lines="…"] %}` → a fence with the same language, `linenums="1"` and
  `hl_lines`; a language Pygments does not know is kept (shown uncoloured) and noted.
- Includes that carry content: figure and image includes (academicpages/minimal-mistakes `figure
  image_path=…`, al-folio `figure.html path=…`, any include with an image path) → the image with its alt
  text and caption (a `<figure>` with `<figcaption>`, as Material documents); `video` with a YouTube or
  Vimeo id → the same embedded player. `toc` and `base_path` print nothing we need (Material's sidebar has
  the contents). Any other include is removed and reported as lost, with its parameters.
- Tags that carry text keep their text: tufte-jekyll's `newthought` (a span), `sidenote` and `marginnote`
  (footnotes, which the site shows on hover), `maincolumn`, `fullwidth`, `marginfigure` (figures with their
  captions), `epigraph` (a block quotation with its attribution).
- `{% post_url name %}` and `{% link path %}` print the URL Jekyll would print; the importer then maps post
  URLs to the imported files (relative links). `{% cite a b %}` (jekyll-scholar) → `[@a; @b]` for keys in
  docs/references.bib; any other key stays as text and is reported lost. `{% bibliography %}`: the site
  appends a References list to every page that cites.
- `{{ … }}` is evaluated like Liquid: `site.*` from the Jekyll site's _config.yml (Jekyll's defaults without
  one), `page.*` from the front matter, `assign`/`capture` variables, and the common filters (relative_url,
  absolute_url, prepend, append, default, markdownify, replace, remove, case and date filters…). An
  undefined variable prints nothing, as in Jekyll. A filter we do not implement loses its output (reported).
- Control flow (`if`, `unless`, `case`, `for`) is not evaluated: the tags go, the text between them stays,
  and the report lists each one as lost so the author checks it.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import html
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from scripts.authoring.findings import Finding

_TOKEN = re.compile(
    r"(?P<block>{%-?\s*(?P<bname>raw|comment)\s*-?%}(?P<bbody>.*?){%-?\s*end(?P=bname)\s*-?%})"
    r"|(?P<tag>{%-?\s*(?P<tname>[A-Za-z_]\w*)(?P<targs>.*?)-?%})"
    r"|(?P<out>{{-?(?P<expr>.*?)-?}})", re.S)
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_PARAM = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"']+))")
_HTML_WRAPPED_OUT = re.compile(r"^([ \t]*)<(\w+)([^>]*)>\s*({{.*?}})\s*</\2>[ \t]*$")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp", ".tif", ".tiff")

# minimal-mistakes notices, al-folio blocks and Chirpy prompts → Material admonitions (used by kramdown.py too)
NOTICE_CLASSES = {
    "notice": "note", "notice--primary": "note", "notice--info": "info", "notice--warning": "warning",
    "notice--success": "success", "notice--danger": "danger",
    "block-tip": "tip", "block-warning": "warning", "block-danger": "danger",
    "prompt-tip": "tip", "prompt-info": "info", "prompt-warning": "warning", "prompt-danger": "danger",
}
_CONTROL = {"if", "unless", "elsif", "else", "case", "when", "for", "tablerow", "endif", "endunless", "endcase",
            "endfor", "endtablerow", "break", "continue", "cycle"}
_IMAGE_INCLUDES = {"figure", "image", "img", "fig", "picture", "responsive-image", "image-caption"}
_IMAGE_KEYS = ("path", "image_path", "src", "url", "file", "image", "img")


@dataclass
class Env:
    """What Liquid can see: the site's configuration, the page's variables and the importer's lookups."""

    site: dict
    page: dict
    bib_keys: frozenset[str] = frozenset()
    post_url: Callable[[str], str | None] = lambda name: None      # post_url argument -> Jekyll URL
    link_url: Callable[[str], str | None] = lambda path: None      # link argument -> Jekyll URL
    variables: dict = field(default_factory=dict)


@dataclass
class Result:
    lines: list[str]
    origins: list[int]                      # 1-based source line of each output line
    findings: list[Finding]
    footnotes: list[tuple[str, str, int]]   # (id, text, line): sidenotes and margin notes, appended as footnotes


class _Out:
    """Output text, line by line, remembering the source line each output line comes from."""

    def __init__(self, first: int):
        self.lines: list[str] = []
        self.origins: list[int] = []
        self.cur, self.cur_origin = "", first

    def add(self, text: str, line: int, copy: bool = True) -> None:
        parts = text.split("\n")
        if not self.cur:
            self.cur_origin = line
        self.cur += parts[0]
        for k, part in enumerate(parts[1:], start=1):
            self.lines.append(self.cur)
            self.origins.append(self.cur_origin)
            self.cur, self.cur_origin = part, (line + k if copy else line)

    def rstrip(self) -> None:
        """Whitespace control `{%-`: drop the whitespace (newlines included) before the tag."""
        self.cur = self.cur.rstrip()
        while not self.cur and self.lines:
            self.cur, self.cur_origin = self.lines.pop(), self.origins.pop()
            self.cur = self.cur.rstrip()

    def text(self) -> str:
        return "\n".join(self.lines + [self.cur])

    def finish(self) -> tuple[list[str], list[int]]:
        return self.lines + [self.cur], self.origins + [self.cur_origin]


def code_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of fenced code blocks and inline code spans (kramdown/GFM fences: ``` and ~~~)."""
    ranges, pos, fence, start = [], 0, None, 0
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):]:
                ranges.append((start, pos + len(line)))
                fence = None
        elif m:
            fence, start = m.group(1), pos
        else:
            ranges += [(pos + s.start(), pos + s.end()) for s in _INLINE_CODE.finditer(line)]
        pos += len(line)
    if fence is not None:
        ranges.append((start, len(text)))
    return ranges


def render(text: str, env: Env, first_line: int = 1) -> Result:
    """Run the post body's Liquid. `first_line` is the source line of the body's first line."""
    renderer = _Renderer(text, env, first_line)
    out = _Out(first_line)
    renderer.run(0, len(renderer.tokens), 0, len(text), out)
    lines, origins = out.finish()
    return Result(lines, origins, renderer.findings, renderer.footnotes)


class _Renderer:
    def __init__(self, text: str, env: Env, first_line: int):
        self.text, self.env, self.first = text, env, first_line
        self.tokens = list(_TOKEN.finditer(text))
        self.code = code_ranges(text)
        self.findings: list[Finding] = []
        self.footnotes: list[tuple[str, str, int]] = []
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]

    # -- positions ---------------------------------------------------------------------------------------
    def line_of(self, pos: int) -> int:
        return self.first + bisect.bisect_left(self._newlines, pos)

    def in_code(self, pos: int) -> bool:
        return any(a <= pos < b for a, b in self.code)

    def line_bounds(self, pos: int) -> tuple[int, int]:
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        return start, (len(self.text) if end < 0 else end)

    def alone(self, m: re.Match) -> str | None:
        """The indentation of the token's line if the token stands alone on it, else None."""
        start, end = self.line_bounds(m.start())
        before, after = self.text[start:m.start()], self.text[m.end():end]
        return before if not before.strip() and not after.strip() else None

    def lost(self, pos: int, message: str) -> None:
        self.findings.append(Finding(self.line_of(pos), message, lost=True))

    def note(self, pos: int, message: str) -> None:
        self.findings.append(Finding(self.line_of(pos), message, lost=False))

    def _matching_end(self, i: int, end_i: int, name: str) -> int | None:
        depth = 0
        for j in range(i + 1, end_i):
            t = self.tokens[j]
            if t.group("tag") and not self.in_code(t.start()):
                if t.group("tname") == name:
                    depth += 1
                elif t.group("tname") == "end" + name:
                    if depth == 0:
                        return j
                    depth -= 1
        return None

    # -- the pass ----------------------------------------------------------------------------------------
    def run(self, i: int, end_i: int, pos: int, end_pos: int, out: _Out) -> None:
        """Render tokens i..end_i (exclusive) covering text[pos:end_pos] into `out`."""
        trim_next = False
        while i < end_i:
            m = self.tokens[i]
            chunk = self.text[pos:m.start()]
            if trim_next:
                chunk = chunk.lstrip()
            out.add(chunk, self.line_of(m.start() - len(chunk)))
            whole = m.group(0)
            if whole.startswith(("{%-", "{{-")) and not self.in_code(m.start()):
                out.rstrip()
            trim_next = whole.endswith(("-%}", "-}}")) and not self.in_code(m.start())
            i, pos = self.token(i, end_i, out)
        chunk = self.text[pos:end_pos]
        skipped = len(chunk) - len(chunk.lstrip()) if trim_next else 0
        out.add(chunk.lstrip() if trim_next else chunk, self.line_of(pos + skipped))

    def token(self, i: int, end_i: int, out: _Out) -> tuple[int, int]:
        """Handle token i; return the next token index and text position."""
        m = self.tokens[i]
        line = self.line_of(m.start())
        if m.group("block"):
            if m.group("bname") == "raw":
                out.add(m.group("bbody"), self.line_of(m.start("bbody")))
            elif self.in_code(m.start()):
                out.add(m.group(0), line)
                self.note(m.start(), "Liquid comment inside code kept as written (Jekyll would have removed it)")
            return i + 1, m.end()
        if self.in_code(m.start()):
            out.add(m.group(0), line)
            self.note(m.start(), f"Liquid {_short(m.group(0))} inside code kept as written; Jekyll would have "
                                 "run it (in Jekyll, wrap such code in {% raw %})")
            return i + 1, m.end()
        if m.group("out"):
            return self.output(i, out)
        name, args = m.group("tname"), m.group("targs").strip()
        handler = getattr(self, f"tag_{name}", None)
        if name in ("highlight", "capture"):
            j = self._matching_end(i, end_i, name)
            if j is None:
                self.lost(m.start(), f"{{% {name} %}} is never closed with {{% end{name} %}}; the tag was removed")
                return i + 1, m.end()
            return handler(i, j, out)
        if handler is not None:
            handler(m, args, out)
            return i + 1, m.end()
        if name in _CONTROL:
            if not name.startswith("end") and name not in ("else", "break", "continue"):
                self.lost(m.start(), f"Liquid {_short(m.group(0))} was not evaluated: the tag is removed and the "
                                     "text it controls is kept as it stands — check that it should show")
            return i + 1, m.end()
        if name.startswith("end"):
            self.note(m.start(), f"{{% {name} %}} without its opening tag removed")
            return i + 1, m.end()
        self.lost(m.start(), f"Liquid tag {_short(m.group(0))} removed: it has no equivalent here — write what it "
                             "showed into the post")
        return i + 1, m.end()

    # -- {{ output }} ------------------------------------------------------------------------------------
    def output(self, i: int, out: _Out) -> tuple[int, int]:
        m = self.tokens[i]
        value = self.evaluate(m.group("expr"), m.start())
        if value is None:
            return i + 1, m.end()
        text, markdown = value
        if markdown:  # markdownify: the value is Markdown blocks
            start, end = self.line_bounds(m.start())
            wrapped = _HTML_WRAPPED_OUT.match(self.text[start:end])
            body = text.strip("\n").split("\n")
            if wrapped and wrapped.group(4) == m.group(0):
                indent, tag, attrs = wrapped.group(1), wrapped.group(2), wrapped.group(3)
                out.cur = ""  # the wrapping HTML line is replaced by the block
                classes = re.search(r'class\s*=\s*["\']([^"\']*)["\']', attrs)
                kind = next((NOTICE_CLASSES[c] for c in (classes.group(1).split() if classes else ())
                             if c in NOTICE_CLASSES), None)
                if kind:
                    block = [f'!!! {kind} ""'] + [("    " + b) if b.strip() else "" for b in body]
                else:
                    block = [f'<{tag}{attrs} markdown="1">', ""] + body + ["", f"</{tag}>"]
                self.emit_block(out, block, indent, self.line_of(m.start()))
                return i + 1, end
            if self.alone(m) is not None:
                out.add("\n".join(body[:1] + [self.alone(m) + b for b in body[1:]]), self.line_of(m.start()),
                        copy=False)
                return i + 1, m.end()
            text = " ".join(b.strip() for b in body if b.strip())
        out.add(text, self.line_of(m.start()), copy=False)
        return i + 1, m.end()

    def emit_block(self, out: _Out, block: list[str], indent: str, line: int) -> None:
        """Block-level Markdown in place of a tag that stood alone on its line (indentation kept)."""
        if out.lines and out.lines[-1].strip() and not out.cur.strip():
            out.add("\n" + indent, line, copy=False)
        out.add("\n".join(block[:1] + [(indent + b) if b else "" for b in block[1:]]), line, copy=False)
        out.add("\n", line, copy=False)

    def evaluate(self, expr: str, pos: int) -> tuple[str, bool] | None:
        """(text, is_markdown) of a Liquid output expression, or None when it prints nothing."""
        parts = _split_outside_quotes(expr.strip(), "|")
        value, known = self.value_of(parts[0].strip())
        if not known:
            self.lost(pos, f"Liquid {{{{ {expr.strip()} }}}} removed: its value is not known here (defined by the "
                           "theme or a plugin) — write the text it printed")
            return None
        markdown = False
        for f in parts[1:]:
            fname, _, fargs = f.strip().partition(":")
            fname = fname.strip()
            args = [self.value_of(a.strip())[0] for a in _split_outside_quotes(fargs, ",")] if fargs.strip() else []
            if fname == "markdownify":
                markdown = True
                continue
            try:
                value = _FILTERS[fname](value, *args)
            except KeyError:
                self.lost(pos, f"Liquid filter `{fname}` in {{{{ {expr.strip()} }}}} is not supported; the output was "
                               "removed — write the text it printed")
                return None
            except (TypeError, ValueError, IndexError):
                self.lost(pos, f"Liquid {{{{ {expr.strip()} }}}} could not be evaluated; the output was removed")
                return None
        return _to_text(value), markdown

    def value_of(self, token: str):
        """(value, known). Literals, and variables looked up like Liquid (undefined → nil, which is known)."""
        if not token:
            return None, True
        if token[0] in "'\"" and token[-1:] == token[0] and len(token) >= 2:
            return token[1:-1], True
        if re.fullmatch(r"-?\d+", token):
            return int(token), True
        if re.fullmatch(r"-?\d+\.\d+", token):
            return float(token), True
        if token in ("true", "false"):
            return token == "true", True
        if token in ("nil", "null", "empty", "blank"):
            return None, True
        path = re.findall(r"[\w-]+|\[\s*(?:'[^']*'|\"[^\"]*\"|\d+)\s*\]", token)
        if not path:
            return None, False
        keys = [p.strip("[] '\"") for p in path]
        root = keys[0]
        if root == "site":
            current = self.env.site
        elif root == "page":
            current = self.env.page
        elif root in self.env.variables:
            current = self.env.variables[root]
        else:
            return None, root not in ("layout", "paginator", "jekyll", "theme", "include")
        for key in keys[1:]:
            if isinstance(current, dict):
                current = current.get(key)
            elif isinstance(current, list) and key.lstrip("-").isdigit() and -len(current) <= int(key) < len(current):
                current = current[int(key)]
            elif isinstance(current, list) and key in ("size", "first", "last"):
                current = {"size": len(current), "first": current[:1] and current[0],
                           "last": current[-1:] and current[-1]}[key]
            else:
                current = None
        return current, True

    # -- tags --------------------------------------------------------------------------------------------
    def tag_highlight(self, i: int, j: int, out: _Out) -> tuple[int, int]:
        m, end = self.tokens[i], self.tokens[j]
        words = m.group("targs").split()
        lang = words[0] if words else ""
        opts = " ".join(words[1:])
        pieces, pos = [], m.end()
        for t in self.tokens[i + 1:j]:  # raw markers go (Jekyll drops them); any other Liquid is kept as written
            pieces.append(self.text[pos:t.start()])
            if t.group("block") and t.group("bname") == "raw":
                pieces.append(t.group("bbody"))
            else:
                pieces.append(t.group(0))
                self.note(t.start(), f"Liquid {_short(t.group(0))} inside a highlight block kept as written; Jekyll "
                                     "would have run it")
            pos = t.end()
        pieces.append(self.text[pos:end.start()])
        content = "".join(pieces).removeprefix("\n").rstrip("\n")
        attrs = []
        if re.search(r"\blinenos\b", opts):
            attrs.append('linenums="1"')
        marks = re.search(r"mark_lines\s*=\s*[\"']([\d\s]+)[\"']", opts)
        if marks:
            attrs.append(f'hl_lines="{" ".join(marks.group(1).split())}"')
        fence_lang, noted = pygments_language(lang)
        if noted:
            self.note(m.start(), noted)
        ticks = "```" if "```" not in content else "````"
        indent = self.alone(m) or ""
        block = [ticks + fence_lang + (" " + " ".join(attrs) if attrs else "")] + content.split("\n") + [ticks]
        if self.alone(m) is None:
            out.add("\n", self.line_of(m.start()), copy=False)
        out.add("\n".join(block[:1] + [(indent + b) if b else "" for b in block[1:]]), self.line_of(m.start()))
        return j + 1, end.end()

    def tag_capture(self, i: int, j: int, out: _Out) -> tuple[int, int]:
        m, end = self.tokens[i], self.tokens[j]
        name = m.group("targs").strip().split()[0] if m.group("targs").strip() else ""
        inner = _Out(self.line_of(m.end()))
        self.run(i + 1, j, m.end(), end.start(), inner)
        self.env.variables[name] = inner.text()
        return j + 1, end.end()

    def tag_assign(self, m: re.Match, args: str, out: _Out) -> None:
        name, eq, expr = args.partition("=")
        if not eq:
            self.note(m.start(), f"malformed {_short(m.group(0))} ignored")
            return
        value = self.evaluate(expr, m.start())
        self.env.variables[name.strip()] = value[0] if value else None

    def tag_include(self, m: re.Match, args: str, out: _Out) -> None:
        name, rest = (args.split(None, 1) + [""])[:2]
        params = _params(rest, self)
        stem = name.rsplit("/", 1)[-1].split(".")[0].lower()
        indent = self.alone(m)
        if stem == "toc":
            self.note(m.start(), f"{_short(m.group(0))} removed: Material shows the table of contents in the sidebar")
            return
        if stem == "base_path":
            site = self.env.site
            self.env.variables["base_path"] = str(site.get("url") or "") + str(site.get("baseurl") or "")
            return
        if stem in ("video", "youtube", "vimeo") or "video" in stem:
            self.video(m, params, indent, out)
            return
        src = next((params[k] for k in _IMAGE_KEYS if isinstance(params.get(k), str) and params[k]), None)
        if src and (stem in _IMAGE_INCLUDES or src.lower().split("?")[0].endswith(IMAGE_EXTENSIONS)):
            caption = params.get("caption") or params.get("description") or ""
            alt = params.get("alt") or params.get("title") or _strip_markdown(str(caption))
            attrs = {k: params[k] for k in ("width", "height") if params.get(k)}
            self.figure(out, m, _site_path(src), str(alt), str(caption), indent, attrs)
            return
        self.lost(m.start(), f"{_short(m.group(0))} removed: this include has no equivalent here — put what it "
                             "showed into the post")

    def tag_include_relative(self, m: re.Match, args: str, out: _Out) -> None:
        self.lost(m.start(), f"{_short(m.group(0))} removed: paste the included file's text into the post")

    def video(self, m: re.Match, params: dict, indent: str | None, out: _Out) -> None:
        provider, vid = str(params.get("provider", "youtube")).lower(), params.get("id")
        players = {"youtube": "https://www.youtube-nocookie.com/embed/{}", "vimeo": "https://player.vimeo.com/video/{}"}
        if vid and provider in players and indent is not None:
            src = players[provider].format(vid)
            self.emit_block(out, [f'<iframe src="{src}" width="640" height="360" title="Video" frameborder="0" '
                                  'allowfullscreen></iframe>'], indent, self.line_of(m.start()))
            return
        self.lost(m.start(), f"{_short(m.group(0))} removed: embed the video with an <iframe> (YouTube and Vimeo "
                             "ids are converted; this one was not)")

    def figure(self, out: _Out, m: re.Match, src: str, alt: str, caption: str, indent: str | None,
               attrs: dict | None = None) -> None:
        attr = " ".join(f'{k}="{v}"' for k, v in (attrs or {}).items())
        image = f"![{_md_alt(alt)}]({_url(src)})" + (f"{{ {attr} }}" if attr else "")
        line = self.line_of(m.start())
        if indent is None:  # inside a paragraph: an inline image; the caption becomes its title
            out.add(image[:-1] + f' "{_md_title(caption)}")' if caption and not attr else image, line, copy=False)
            if caption and attr:
                out.add(f" {caption}", line, copy=False)
            return
        if caption:
            block = ['<figure markdown="span">', image, f'<figcaption markdown="span">{caption}</figcaption>',
                     "</figure>"]
        else:
            block = [image]
        self.emit_block(out, block, indent, line)

    def _url_tag(self, m: re.Match, args: str, out: _Out, tag: str, what: str) -> None:
        target = args.strip().strip("'\"")
        url = getattr(self.env, "link_url" if tag == "link" else "post_url")(target)
        if url is None:
            self.lost(m.start(), f"{{% {tag} {target} %}}: no such {what} in the Jekyll site (Jekyll would refuse "
                                 "to build); the link now points nowhere — fix its target")
            url = "#"
        out.add(url, self.line_of(m.start()), copy=False)

    tag_link = functools.partialmethod(_url_tag, tag="link", what="file")
    tag_post_url = functools.partialmethod(_url_tag, tag="post_url", what="post")

    def tag_cite(self, m: re.Match, args: str, out: _Out) -> None:
        words, keys, locator, k = _shell(args), [], "", 0
        while k < len(words):
            w = words[k]
            if w in ("-l", "--locator", "-L", "--label") and k + 1 < len(words):
                locator = words[k + 1] if w in ("-l", "--locator") else locator
                k += 2
                continue
            if w.startswith("-"):
                k += 2 if k + 1 < len(words) and not words[k + 1].startswith("-") else 1
                continue
            keys.append(w)
            k += 1
        known = [key for key in keys if key in self.env.bib_keys]
        unknown = [key for key in keys if key not in self.env.bib_keys]
        for key in unknown:
            self.lost(m.start(), f'citation "{key}" is not in docs/references.bib: kept as plain text — add its '
                                 f"BibTeX entry and write [@{key}]")
        parts = [f"@{key}" + (f", {locator}" if locator and n == 0 else "") for n, key in enumerate(known)]
        text = f"[{'; '.join(parts)}]" if parts else ""
        if unknown:
            text += (" " if text else "") + "(" + "; ".join(unknown) + ")"
        out.add(text, self.line_of(m.start()), copy=False)

    def tag_bibliography(self, m: re.Match, args: str, out: _Out) -> None:
        self.note(m.start(), "{% bibliography %} removed: the site appends a References list to every page that "
                             "cites")

    # tufte-jekyll
    def tag_newthought(self, m: re.Match, args: str, out: _Out) -> None:
        words = _shell(args)
        out.add(f'<span class="newthought">{words[0] if words else ""}</span>', self.line_of(m.start()), copy=False)

    def tag_sidenote(self, m: re.Match, args: str, out: _Out, kind: str = "sidenote") -> None:
        words = _shell(args)
        if len(words) < 2:  # newer tufte-jekyll forks: {% sidenote 'text' %}
            words = [f"{kind}-{len(self.footnotes) + 1}"] + words
        ident = re.sub(r"[^\w-]+", "-", words[0]).strip("-") or f"{kind}-{len(self.footnotes) + 1}"
        self.footnotes.append((ident, words[1] if len(words) > 1 else "", self.line_of(m.start())))
        out.add(f"[^{ident}]", self.line_of(m.start()), copy=False)
        self.note(m.start(), f"{kind} '{ident}' became a footnote (shown on hover)")

    tag_marginnote = functools.partialmethod(tag_sidenote, kind="marginnote")

    def tag_maincolumn(self, m: re.Match, args: str, out: _Out) -> None:
        words = _shell(args)
        self.figure(out, m, _site_path(words[0] if words else ""), _strip_markdown(words[1] if len(words) > 1 else ""),
                    words[1] if len(words) > 1 else "", self.alone(m))

    tag_fullwidth = tag_maincolumn

    def tag_marginfigure(self, m: re.Match, args: str, out: _Out) -> None:
        words = _shell(args)
        caption = words[2] if len(words) > 2 else ""
        self.figure(out, m, _site_path(words[1] if len(words) > 1 else ""), _strip_markdown(caption), caption,
                    self.alone(m))
        self.note(m.start(), "margin figure placed in the text column, with its caption")

    def tag_epigraph(self, m: re.Match, args: str, out: _Out) -> None:
        words = _shell(args) + ["", "", ""]
        quote, author, source = words[:3]
        attribution = ", ".join(p for p in (author, f"*{source}*" if source else "") if p)
        indent = self.alone(m)
        if indent is None:
            out.add(f"“{quote}” — {attribution}", self.line_of(m.start()), copy=False)
            return
        self.emit_block(out, [f"> {quote}", ">", f"> — {attribution}"] if attribution else [f"> {quote}"], indent,
                        self.line_of(m.start()))


# -- helpers ----------------------------------------------------------------------------------------------

def pygments_language(lang: str) -> tuple[str, str | None]:
    """The fence language for a Rouge language name, and a note when Pygments cannot colour it."""
    if not lang:
        return "", None
    aliases = {"plaintext": "text", "plain": "text", "txt": "text", "shell_session": "console", "sh": "bash"}
    name = aliases.get(lang.lower(), lang)
    try:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
    except ImportError:  # pragma: no cover - pygments comes with pymdown-extensions
        return name, None
    try:
        get_lexer_by_name(name)
    except ClassNotFound:
        return name, f"code language `{lang}` is unknown to Pygments: the block is kept, without colours"
    return name, None


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts, cur, quote = [], "", None
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote, cur = ch, cur + ch
        elif ch == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _shell(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def _params(text: str, renderer: _Renderer) -> dict:
    params = {}
    for m in _PARAM.finditer(text):
        if m.group(4) is not None:  # an unquoted value is a Liquid variable (or a literal such as true)
            value, _ = renderer.value_of(m.group(4))
        else:
            value = m.group(2) if m.group(2) is not None else m.group(3)
        params[m.group(1)] = value
    return params


def _site_path(path: str) -> str:
    """Paths given to theme includes and tufte tags are relative to the site root (they go through relative_url)."""
    if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|/)", path, re.I):
        return path
    return "/" + path


def _url(path: str) -> str:
    return f"<{path}>" if " " in path else path


def _md_alt(text: str) -> str:
    return re.sub(r"([\[\]])", r"\\\1", text)


def _md_title(text: str) -> str:
    return _strip_markdown(text).replace('"', "'")


def _strip_markdown(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`]", "", text).strip()


def _short(token: str) -> str:
    flat = " ".join(token.split())
    return flat if len(flat) <= 80 else flat[:77] + "…"


def _to_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "".join(_to_text(v) for v in value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %z").strip()
    return str(value)


def _as_date(value):
    if isinstance(value, datetime.date):
        return value
    text = str(value)
    if text == "now" or text == "today":
        return datetime.datetime.now()
    return datetime.datetime.fromisoformat(text[:19].replace(" ", "T") if len(text) > 10 else text[:10])


def _slugify(value, mode="default") -> str:
    text = str(value).lower()
    if mode == "raw":
        return re.sub(r"\s+", "-", text)
    pattern = r"[^\w.~!$&'()+,;=@-]+" if mode == "pretty" else r"[^a-z0-9]+" if mode == "latin" else r"[^\w]+"
    return re.sub(pattern, "-", text).strip("-")


def _root_path(value) -> str:
    """relative_url / absolute_url: a site-root path (the importer makes it relative to the post)."""
    text = _to_text(value)
    if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", text, re.I):
        return text
    return "/" + text.lstrip("/")


_FILTERS: dict[str, Callable] = {
    "relative_url": _root_path,
    "absolute_url": _root_path,
    "prepend": lambda v, s="": _to_text(s) + _to_text(v),
    "append": lambda v, s="": _to_text(v) + _to_text(s),
    "default": lambda v, d="": v if v not in (None, "", False, []) else d,
    "remove": lambda v, s: _to_text(v).replace(_to_text(s), ""),
    "remove_first": lambda v, s: _to_text(v).replace(_to_text(s), "", 1),
    "replace": lambda v, a, b="": _to_text(v).replace(_to_text(a), _to_text(b)),
    "replace_first": lambda v, a, b="": _to_text(v).replace(_to_text(a), _to_text(b), 1),
    "upcase": lambda v: _to_text(v).upper(),
    "downcase": lambda v: _to_text(v).lower(),
    "capitalize": lambda v: _to_text(v)[:1].upper() + _to_text(v)[1:],
    "strip": lambda v: _to_text(v).strip(),
    "lstrip": lambda v: _to_text(v).lstrip(),
    "rstrip": lambda v: _to_text(v).rstrip(),
    "strip_newlines": lambda v: _to_text(v).replace("\n", ""),
    "strip_html": lambda v: re.sub(r"<[^>]*>", "", _to_text(v)),
    "escape": lambda v: html.escape(_to_text(v)),
    "xml_escape": lambda v: html.escape(_to_text(v)),
    "slugify": _slugify,
    "size": lambda v: len(v) if v is not None else 0,
    "first": lambda v: v[0] if v else None,
    "last": lambda v: v[-1] if v else None,
    "join": lambda v, s=" ": _to_text(s).join(_to_text(x) for x in (v or [])),
    "date": lambda v, fmt: _as_date(v).strftime(_to_text(fmt)),
    "date_to_string": lambda v, *a: _as_date(v).strftime("%d %b %Y"),
    "date_to_long_string": lambda v, *a: _as_date(v).strftime("%d %B %Y"),
    "date_to_xmlschema": lambda v: _as_date(v).isoformat(),
    "number_of_words": lambda v: len(_to_text(v).split()),
}
