"""Report figures as PNG bytes (matplotlib, Agg backend)."""
from __future__ import annotations

import io
import math

import numpy as np
import polars as pl

PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d96a3", "#2e4057", "#a05195", "#f95d6a",
           "#665191"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.hashsalt": "mitspec", "figure.dpi": 110})
    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def forest(metrics: pl.DataFrame, contrasts: list[str]) -> bytes | None:
    """Win-rate contrasts per model with their 95% intervals; chance (0.5) marked."""
    rows = metrics.filter(pl.col("contrast").is_in(contrasts) & (pl.col("kind") == "win_rate"))
    if rows.is_empty():
        return None
    plt = _pyplot()
    models = sorted(rows["model"].unique().to_list())
    names = [c for c in contrasts if c in set(rows["contrast"])]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names) + 1.2, 0.32 * len(models) + 1.2), sharey=True,
                             squeeze=False)
    for ax, name in zip(axes[0], names):
        part = {r["model"]: r for r in rows.filter(pl.col("contrast") == name).iter_rows(named=True)}
        for y, model in enumerate(models):
            r = part.get(model)
            if r is None or r["value"] is None:
                continue
            low, high = r["ci_low"], r["ci_high"]
            significant = r["q"] is not None and r["q"] < 0.05
            ax.plot([low, high], [y, y], color="#444", lw=1.4)
            ax.plot(r["value"], y, "o", ms=6, color="#d1495b" if significant else "#1b6ca8")
        ax.axvline(0.5, color="#999", ls="--", lw=1)
        ax.set_xlim(-0.02, 1.02)
        ax.set_title(name)
        ax.set_xlabel("win rate (95% CI)")
    axes[0][0].set_yticks(range(len(models)), models)
    axes[0][0].invert_yaxis()
    fig.text(0.99, 0.0, "red: q < 0.05; dashed: chance", ha="right", va="bottom", fontsize=7, color="#666")
    return _png(fig)


def distributions(scores: pl.DataFrame, classes: list[dict]) -> bytes:
    """Per model, each class's score distribution (box + points), classes in plan order."""
    plt = _pyplot()
    models = sorted(scores["model"].unique().to_list())
    cols = min(4, len(models))
    rows = math.ceil(len(models) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.4 * rows), squeeze=False)
    order = [c["name"] for c in classes]
    jitter = np.random.default_rng(0)
    for k, model in enumerate(models):
        ax = axes[k // cols][k % cols]
        part = scores.filter(pl.col("model") == model)
        data = [part.filter(pl.col("class") == c)["score"].to_numpy() for c in order]
        ax.boxplot(data, widths=0.6, showfliers=False, medianprops={"color": "#222"})
        for i, values in enumerate(data, 1):
            ax.plot(i + jitter.uniform(-0.18, 0.18, len(values)), values, ".", ms=2, alpha=0.45,
                    color=PALETTE[(i - 1) % len(PALETTE)])
        ax.set_xticks(range(1, len(order) + 1), order)
        ax.set_title(model, fontsize=9)
    for k in range(len(models), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.tight_layout()
    return _png(fig)
