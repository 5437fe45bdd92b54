"""Stable figure files, and the one comparison that decides whether two outputs are the same figure.

Writing (`canonical_svg`, `canonical_data`), applied by the job runner to everything it writes:
- SVG coordinates are rounded to 0.01 pt (1/7200 inch; invisible) and written without trailing zeros
  (numbers inside <text> are labels, written as they are);
- Matplotlib's content-hashed ids (`p1a2b3c4d5e`: clip paths, `m…`: markers, `image…`) are renumbered in
  order of appearance, so a coordinate that moves in its last bit does not rename every clip path;
- floats in an interactive figure's data are written with 6 significant digits.

Comparing (`differences`), used by `verify` and when installing a rebuilt output. Rounding makes files stable
almost always, but a coordinate that sits on a rounding boundary can still flip, and a heatmap pixel on a
colour-map boundary can take the neighbouring colour. So two outputs are *the same figure* when:
- values (`ID.json`): equal exactly — every value and verdict string; these are what the prose quotes;
- SVG: identical outside numbers and embedded images; every number within 0.02 pt (two rounding units);
  embedded PNGs of the same size whose pixels differ by more than 2 levels in at most 0.5 % of pixels;
- widget data: the same structure and strings, numbers within 1e-4 relative (1e-6 absolute);
- executed notebooks: the same cells and text outputs; images compared as above.
When a rebuilt output is the same figure as the installed one, the installed bytes are kept: a forced
rebuild on another machine then changes no committed file. Anything else is reported as a difference,
with what differs.
"""

from __future__ import annotations

import base64
import io
import json
import math
import pathlib
import re
from typing import Any

SVG_DECIMALS = 2
SVG_TOLERANCE = 0.02  # pt
PIXEL_LEVELS, PIXEL_FRACTION = 2, 0.005
DATA_REL, DATA_ABS = 1e-4, 1e-6

_HASHED_ID = re.compile(r'(id="|#)(p|m|image)([0-9a-f]{10})\b')
_LONG_DECIMAL = re.compile(rf"-?\d+\.\d{{{SVG_DECIMALS + 1},}}")
# the content of a <text>/<tspan> (svg.fonttype "none": labels are text, "0.0316" must stay "0.0316")
_TEXT_OR_DECIMAL = re.compile(r"(>[^<>]*</(?:text|tspan)>)|" + _LONG_DECIMAL.pattern)
_PNG = re.compile(r"data:image/png;base64,\s*([A-Za-z0-9+/=\s]+)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


# -- writing -----------------------------------------------------------------------------------------------

def _round(match: re.Match) -> str:
    s = f"{float(match.group(0)):.{SVG_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def canonical_svg(text: str) -> str:
    names: dict[str, str] = {}

    def rename(m: re.Match) -> str:
        old = m.group(2) + m.group(3)
        if old not in names:
            names[old] = f"{m.group(2)}{len(names)}"
        return m.group(1) + names[old]

    parts = _PNG.split(text)  # odd parts are base64 image data: left untouched
    for i in range(0, len(parts), 2):
        parts[i] = _TEXT_OR_DECIMAL.sub(lambda m: m.group(1) or _round(m), parts[i])
    text = "".join(p if i % 2 == 0 else f"data:image/png;base64,{p}" for i, p in enumerate(parts))
    return _HASHED_ID.sub(rename, text)


def _round_floats(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(f"{obj:.6g}") if math.isfinite(obj) else obj
    if isinstance(obj, list):
        return [_round_floats(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _round_floats(v) for k, v in obj.items()}
    return obj


def canonical_data(obj: Any) -> str:
    return json.dumps(_round_floats(obj), sort_keys=True, separators=(",", ":"))


# -- comparing ---------------------------------------------------------------------------------------------

def differences(a: bytes, b: bytes, name: str) -> list[str]:
    """How output `b` (recomputed) differs from `a` (committed), in words; empty: the same figure."""
    if a == b:
        return []
    if name.endswith(".svg"):
        return _svg_differences(a.decode(), b.decode())
    if name.endswith(".data.json"):
        return _data_differences(json.loads(a), json.loads(b), "")
    if name.endswith(".json"):
        return _values_differences(json.loads(a), json.loads(b))
    if name.endswith(".ipynb"):
        return _notebook_differences(json.loads(a), json.loads(b))
    return ["the bytes differ"]


def same_figure(a: bytes, b: bytes, name: str) -> bool:
    return not differences(a, b, name)


def _values_differences(a: dict, b: dict) -> list[str]:
    out = []
    for section in sorted(set(a) | set(b)):
        old, new = a.get(section), b.get(section)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new)):
                if old.get(key, _ABSENT) != new.get(key, _ABSENT):
                    out += _field_differences(f"{section} {key!r}", old.get(key, _ABSENT), new.get(key, _ABSENT))
        else:
            out.append(f"{section}: committed {_short(old)}, recomputed {_short(new)}")
    return out


_ABSENT = object()  # a field one side does not have


def _field_differences(where: str, old: Any, new: Any, path: str = "") -> list[str]:
    """Each field of a record (a verdict, a table) that differs, by its path, with both values: two whole
    records cut at the same length would hide which field it is."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [d for k in sorted(set(old) | set(new), key=str) if old.get(k, _ABSENT) != new.get(k, _ABSENT)
                for d in _field_differences(where, old.get(k, _ABSENT), new.get(k, _ABSENT),
                                            f"{path}.{k}" if path else str(k))]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (x, y) in enumerate(zip(old, new)) if x != y
                for d in _field_differences(where, x, y, f"{path}[{i}]")]
    field = f" field {path!r}" if path else ""
    return [f"{where}{field}: committed {_short(old)}, recomputed {_short(new)}"]


def _short(v: Any) -> str:
    if v is _ABSENT:
        return "nothing"
    s = json.dumps(v, ensure_ascii=False, sort_keys=True) if not isinstance(v, str) else repr(v)
    return s if len(s) <= 160 else s[:157] + "..."


def _svg_differences(a: str, b: str) -> list[str]:
    a, b = canonical_svg(a), canonical_svg(b)
    pa, pb = _PNG.split(a), _PNG.split(b)
    if len(pa) != len(pb):
        return [f"{len(pa) // 2} embedded images committed, {len(pb) // 2} recomputed"]
    out = []
    for k in range(1, len(pa), 2):
        why = _png_difference(base64.b64decode(pa[k]), base64.b64decode(pb[k]))
        if why:
            out.append(f"embedded image {k // 2 + 1}: {why}")
    ta, tb = "".join(pa[0::2]), "".join(pb[0::2])
    na, nb = _NUMBER.findall(ta), _NUMBER.findall(tb)
    if _NUMBER.sub("#", ta) != _NUMBER.sub("#", tb) or len(na) != len(nb):
        pairs = zip(_NUMBER.sub("#", ta).split("\n"), _NUMBER.sub("#", tb).split("\n"))
        line = next((i for i, (x, y) in enumerate(pairs) if x != y), None)
        at = line + 1 if line is not None else "?"
        return out + [f"the drawing differs in structure (elements, text or styles), from line {at}"]
    far = [(x, y) for x, y in zip(na, nb) if abs(float(x) - float(y)) > SVG_TOLERANCE]
    if far:
        worst = max(far, key=lambda p: abs(float(p[0]) - float(p[1])))
        out.append(f"{len(far)} of {len(na)} coordinates moved by more than {SVG_TOLERANCE} pt "
                   f"(largest: {worst[0]} -> {worst[1]})")
    return out


def _png_difference(a: bytes, b: bytes) -> str | None:
    if a == b:
        return None
    import numpy as np
    from PIL import Image

    x, y = (np.asarray(Image.open(io.BytesIO(d)).convert("RGBA"), dtype=np.int16) for d in (a, b))
    if x.shape != y.shape:
        return f"size {x.shape[1]}x{x.shape[0]} committed, {y.shape[1]}x{y.shape[0]} recomputed"
    changed = (np.abs(x - y).max(axis=-1) > PIXEL_LEVELS).mean()
    if changed > PIXEL_FRACTION:
        return f"{100 * changed:.1f} % of pixels changed colour (tolerance {100 * PIXEL_FRACTION} %)"
    return None


def _data_differences(a: Any, b: Any, where: str) -> list[str]:
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return [] if a == b else [f"data{where}: committed {_short(a)}, recomputed {_short(b)}"]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        ok = math.isclose(a, b, rel_tol=DATA_REL, abs_tol=DATA_ABS)
        return [] if ok else [f"data{where}: committed {a}, recomputed {b}"]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"data{where}: {len(a)} items committed, {len(b)} recomputed"]
        for i, (x, y) in enumerate(zip(a, b)):
            d = _data_differences(x, y, f"{where}[{i}]")
            if d:
                return d  # the first difference is enough to say where
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"data{where}: keys {sorted(set(a) ^ set(b))} differ"]
        out = []
        for k in sorted(a):
            out += _data_differences(a[k], b[k], f"{where}.{k}")
        return out
    return [f"data{where}: committed {_short(a)}, recomputed {_short(b)}"]


def _notebook_differences(a: dict, b: dict) -> list[str]:
    ca, cb = a.get("cells", []), b.get("cells", [])
    if len(ca) != len(cb):
        return [f"{len(ca)} cells committed, {len(cb)} recomputed"]
    out = []
    for i, (x, y) in enumerate(zip(ca, cb), start=1):
        if x.get("source") != y.get("source"):
            out.append(f"cell {i}: source differs")
            continue
        ox, oy = x.get("outputs", []), y.get("outputs", [])
        if len(ox) != len(oy):
            out.append(f"cell {i}: {len(ox)} outputs committed, {len(oy)} recomputed")
            continue
        for j, (p, q) in enumerate(zip(ox, oy), start=1):
            dp, dq = dict(p.get("data", {})), dict(q.get("data", {}))
            for mime in sorted(set(dp) | set(dq)):
                u, v = dp.get(mime), dq.get(mime)
                if mime == "image/png" and u and v:
                    why = _png_difference(base64.b64decode("".join(u)), base64.b64decode("".join(v)))
                elif mime == "image/svg+xml" and u and v:
                    why = "; ".join(_svg_differences("".join(u), "".join(v))) or None
                else:
                    why = None if u == v else "differs"
                if why:
                    out.append(f"cell {i}, output {j} ({mime}): {why}")
            if p.get("text") != q.get("text"):
                out.append(f"cell {i}, output {j}: text differs: committed {_short(p.get('text'))}, "
                           f"recomputed {_short(q.get('text'))}")
    return out


def compare_files(committed: pathlib.Path, recomputed: pathlib.Path) -> list[str]:
    if not committed.exists():
        return ["not committed"]
    if not recomputed.exists():
        return ["not written by the job"]
    return differences(committed.read_bytes(), recomputed.read_bytes(), committed.name)
