"""Running Graphviz ``dot`` (the only place fsm starts a program), and the files of ``diagrams/``."""

from __future__ import annotations

import shutil
import subprocess

from fsm.diagrams.dot import render_view
from fsm.diagrams.mermaid import mermaid_views, to_mermaid
from fsm.diagrams.model import INSTALL_HINT
from fsm.diagrams.views import views
from fsm.flows import FLOWS

#: The file types a drawing is written as, by extension: Graphviz renders all but ``dot`` (the source).
FORMATS = ("svg", "png", "pdf", "dot")

# -- Graphviz -----------------------------------------------------------------------


class GraphvizError(RuntimeError):
    """``dot`` is missing, failed, or warned."""


def dot_available() -> bool:
    return shutil.which("dot") is not None


def graphviz_version() -> str | None:
    """``dot -V``'s version line, or None without Graphviz."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    done = subprocess.run([exe, "-V"], capture_output=True, text=True, check=False)  # noqa: S603  # fixed argv
    return (done.stderr or done.stdout).strip() or None


def render(source: str, fmt: str = "svg") -> str | bytes:
    """``dot -T<fmt>`` of ``source``; raises :class:`GraphvizError` on a failure or any warning.

    SVG comes back as text; other formats (``png``) as bytes.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizError(INSTALL_HINT)
    done = subprocess.run([exe, f"-T{fmt}"], input=source.encode(), capture_output=True, check=False)  # noqa: S603  # argv is fixed, the DOT comes from our own definitions
    warnings = done.stderr.decode(errors="replace").strip()
    if done.returncode != 0 or warnings:
        raise GraphvizError(f"dot -T{fmt} exited {done.returncode}: {warnings}")
    if fmt == "svg":
        return done.stdout.decode()
    return done.stdout


def render_svg(source: str) -> str:
    """SVG of ``source`` rendered by Graphviz ``dot``."""
    out = render(source, "svg")
    assert isinstance(out, str)
    return out


# -- all the files --------------------------------------------------------------


def generate(*, svg: bool | None = None) -> dict[str, str]:
    """The files of ``diagrams/``: for every picture of every flow (:func:`fsm.diagrams.views.views`) its
    ``.dot``, its ``.svg`` (with ``dot``) and, for one small enough to read in Mermaid, its ``.mmd``.

    ``svg=None`` renders SVG when ``dot`` is on PATH.
    """
    if svg is None:
        svg = dot_available()
    files: dict[str, str] = {}
    for name in sorted(FLOWS):
        mermaid = {v.stem for v in mermaid_views(name)}
        for view in views(name):
            dot = render_view(view)
            files[f"{view.stem}.dot"] = dot
            if svg:
                files[f"{view.stem}.svg"] = render_svg(dot)
            if view.stem in mermaid:
                files[f"{view.stem}.mmd"] = to_mermaid(view)
    return dict(sorted(files.items()))
