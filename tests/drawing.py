"""Reading a picture as Graphviz laid it out: where each text, box and arrow is, and what overlaps what.

Graphviz's own layout (``dot -Tjson``) gives every text's baseline, alignment, width and font size, every
box's outline and every arrow's Bézier curve; nothing here estimates a text's size. Used by
tests/test_diagrams.py: no text over another text, an arrow or a box it does not belong to.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import attrs

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (points, y up)
#: Texts and boxes closer than this (points) do not count as overlapping: strokes and rounding.
SLACK = 1.0


@attrs.frozen
class Text:
    owner: str
    text: str
    box: Box
    size: float


@attrs.frozen
class Shape:
    owner: str
    box: Box


@attrs.frozen
class Curve:
    owner: str
    tail: str
    head: str
    points: tuple[tuple[float, float], ...]


def layout(source: str) -> dict[str, Any]:
    """``dot -Tjson`` of ``source``."""
    exe = shutil.which("dot")
    assert exe is not None, "Graphviz `dot` is not on PATH: install it (apt-get install graphviz)"
    done = subprocess.run([exe, "-Tjson"], input=source.encode(), capture_output=True, check=True)
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def _texts(owner: str, ops: list[dict[str, Any]]) -> Iterator[Text]:
    size = 14.0
    for op in ops:
        if op["op"] == "F":
            size = float(op["size"])
        elif op["op"] == "T":
            x, y = op["pt"]
            w = float(op["width"])
            x0 = {"l": x, "c": x - w / 2, "r": x - w}[op["align"]]
            yield Text(owner, op["text"], (x0, y - 0.22 * size, x0 + w, y + 0.78 * size), size)


def _bezier(points: list[list[float]], steps: int = 24) -> Iterator[tuple[float, float]]:
    for i in range(0, len(points) - 3, 3):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points[i:i + 4]
        for k in range(steps + 1):
            t = k / steps
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3
            yield (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)


def _outline(ops: list[dict[str, Any]]) -> Box | None:
    xs: list[float] = []
    ys: list[float] = []
    for op in ops:
        if op["op"] in ("P", "p", "L", "b", "B"):
            xs.extend(p[0] for p in op["points"])
            ys.extend(p[1] for p in op["points"])
        elif op["op"] in ("E", "e"):
            (cx, cy), (rx, ry) = op["rect"][:2], op["rect"][2:]
            xs.extend((cx - rx, cx + rx))
            ys.extend((cy - ry, cy + ry))
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def parts(data: dict[str, Any]) -> tuple[list[Text], list[Shape], list[Curve]]:
    """Every text, box (nodes) and arrow of a laid-out picture."""
    texts: list[Text] = list(_texts("graph", data.get("_ldraw_", [])))
    shapes: list[Shape] = []
    curves: list[Curve] = []
    names: dict[int, str] = {}
    for obj in data.get("objects", []):
        name = str(obj["name"])
        names[int(obj["_gvid"])] = name
        texts.extend(_texts(name, obj.get("_ldraw_", [])))
        if "nodes" not in obj and "edges" not in obj and not name.startswith("cluster"):
            outline = _outline(obj.get("_draw_", []))
            if outline is not None:
                shapes.append(Shape(name, outline))
    for edge in data.get("edges", []):
        owner = str(edge.get("id", edge["_gvid"]))
        for key in ("_ldraw_", "_tldraw_", "_hldraw_"):
            texts.extend(_texts(owner, edge.get(key, [])))
        points: list[tuple[float, float]] = []
        for op in edge.get("_draw_", []):
            if op["op"] in ("b", "B"):
                points.extend(_bezier(op["points"]))
        for op in edge.get("_hdraw_", []) + edge.get("_tdraw_", []):
            if op["op"] in ("P", "p"):
                points.extend((p[0], p[1]) for p in op["points"])
        curves.append(Curve(owner, names[int(edge["tail"])], names[int(edge["head"])], tuple(points)))
    return texts, shapes, curves


def _meet(a: Box, b: Box, slack: float = SLACK) -> bool:
    return a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]


def _inside(p: tuple[float, float], b: Box, slack: float = SLACK) -> bool:
    return b[0] + slack < p[0] < b[2] - slack and b[1] + slack < p[1] < b[3] - slack


def overlaps(source: str) -> list[str]:
    """Everything drawn over something it does not belong to, in words; [] for a clean picture."""
    texts, shapes, curves = parts(layout(source))
    found: list[str] = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if a.owner != b.owner and _meet(a.box, b.box):
                found.append(f"text {a.text!r} ({a.owner}) over text {b.text!r} ({b.owner})")
        for s in shapes:
            if s.owner != a.owner and _meet(a.box, s.box):
                found.append(f"text {a.text!r} ({a.owner}) over the box of {s.owner}")
    for c in curves:
        for t in texts:
            if t.owner in (c.tail, c.head):
                continue  # an arrow leaves and enters its own boxes
            if any(_inside(p, t.box) for p in c.points):
                found.append(f"arrow {c.owner} over text {t.text!r} ({t.owner})")
        for s in shapes:
            if s.owner not in (c.tail, c.head) and any(_inside(p, s.box, 2.0) for p in c.points):
                found.append(f"arrow {c.owner} through the box of {s.owner}")
    return found


def font_sizes(svg: str) -> set[float]:
    """Every font size (points) an SVG's texts use."""
    return {float(x) for x in re.findall(r'<text[^>]* font-size="([0-9.]+)"', svg)}


def svg_size(svg: str) -> tuple[float, float]:
    """An SVG's width and height in points (Graphviz writes ``width="612pt"``)."""
    m = re.search(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', svg)
    assert m is not None, "an SVG without a width and height in points"
    return float(m[1]), float(m[2])
