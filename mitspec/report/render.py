"""metrics + plan + scores -> report.md (+ figures/*.png) and a self-contained report.html,
both rendered from one list of blocks (sections.py says what, document.py how)."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import polars as pl

from ..io import atomic_write
from ..plan.store import Plan
from . import figures as report_figures
from . import plots
from .document import to_html, to_markdown
from .sections import report_blocks
from .tables import model_groups, ordered_models


def figure_file(key: str) -> str:
    """A figure's file name: the key when it is a plain name (`profile_SPACING.png`), else
    the key's safe characters and a hash of the whole key. Keys hold contrast names from
    plan.json, which a hostile plan could fill with `../` or `/`: no key leaves figures/."""
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}", key) and ".." not in key:
        return f"{key}.png"
    safe = re.sub(r"[^A-Za-z0-9_]+", "_", key)[:60]
    return f"{safe}-{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}.png"


def write_report(out_dir: Path, plan: Plan, scores: pl.DataFrame, metrics: pl.DataFrame, doc: dict,
                 models: dict[str, dict] | None = None, skipped: dict[str, str] | None = None) -> dict[str, Path]:
    """report.md (+ figures/*.png) and a self-contained report.html, written atomically.
    models: {name: scorer info} for the Models table."""
    out_dir = Path(out_dir)
    win_rates = [c["name"] for c in plan.view.contrasts if c["kind"] == "win_rate"]
    with_class = scores.select("id", "model", "score").join(plan.sequences.select("id", "class"), on="id")
    images = {"distributions": plots.distributions(with_class, plan.view.classes, ordered_models(doc),
                                                   doc.get("model_kinds"))}
    canvas = report_figures.Canvas(plan, metrics, with_class, ordered_models(doc))
    owned: dict[str, list[tuple[str, str]]] = {}
    for c in plan.view.contrasts:  # each kind draws its own (ContrastKind.figures)
        for key, caption, png in report_figures.contrast_figures(canvas, c):
            images[key] = png
            owned.setdefault(c["name"], []).append((key, caption))
    forest = plots.forest(metrics, win_rates, model_groups(doc, set(metrics["model"].unique().to_list())))
    if forest is not None:
        images["forest"] = forest
    figures = {}
    for key, data in images.items():
        name = figure_file(key)
        atomic_write(out_dir / "figures" / name, lambda p, d=data: p.write_bytes(d))
        figures[key] = f"figures/{name}"
    blocks = report_blocks(plan, metrics, doc, models, skipped, owned)
    title = f"{plan.view.benchmark}: mitspec report"
    atomic_write(out_dir / "report.md", lambda p: p.write_text(to_markdown(blocks, figures), encoding="utf-8"))
    atomic_write(out_dir / "report.html", lambda p: p.write_text(to_html(title, blocks, images), encoding="utf-8"))
    return {"markdown": out_dir / "report.md", "html": out_dir / "report.html"}
