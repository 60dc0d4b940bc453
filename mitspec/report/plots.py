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


def _grid(plt, count: int, width: float = 3.1, height: float = 2.3):
    cols = min(4, count)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for k in range(count, rows * cols):
        axes[k // cols][k % cols].axis("off")
    return fig, [axes[k // cols][k % cols] for k in range(count)]


def profile(metrics: pl.DataFrame, contrast: dict) -> bytes:
    """Per model: mean score at each level of the sweep with its 95% interval; the
    reference level hollow, the peak red."""
    plt = _pyplot()
    name, group = contrast["name"], contrast["group"]
    labels = [c[len(group) + 1:-1] for c in contrast["classes"]]
    reference = contrast["reference"][len(group) + 1:-1]
    models = sorted(metrics["model"].unique().to_list())
    fig, axes = _grid(plt, len(models))
    for ax, model in zip(axes, models):
        rows = {r["level"]: r for r in metrics.filter((pl.col("model") == model)
                                                     & pl.col("contrast").str.starts_with(name + "[")
                                                     & ~pl.col("contrast").str.ends_with("-ref")).iter_rows(named=True)}
        head = metrics.filter((pl.col("model") == model) & (pl.col("contrast") == name)).row(0, named=True)
        x = np.arange(len(labels))
        mean = np.array([rows[l]["value"] for l in labels], dtype=float)
        low = np.array([rows[l]["ci_low"] for l in labels], dtype=float)
        high = np.array([rows[l]["ci_high"] for l in labels], dtype=float)
        ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="-", color="#1b6ca8", lw=1.2, capsize=2)
        for i, label in enumerate(labels):
            color = "#d1495b" if label == head["level"] else "#1b6ca8"
            ax.plot(i, mean[i], "o", ms=5, color=color, mfc="white" if label == reference else color)
        ax.set_xticks(x, labels, rotation=45 if len(labels) > 6 or max(map(len, labels)) > 4 else 0,
                      ha="right" if len(labels) > 6 or max(map(len, labels)) > 4 else "center", fontsize=7)
        ax.set_title(model, fontsize=9)
    origin = contrast.get("origin")
    where = f" (bp from {origin['at']}, at {origin['position']})" if origin else ""
    fig.text(0.99, 0.0, f"{group}: mean score per level{where} (95% CI); hollow: reference; red: peak",
             ha="right", va="bottom", fontsize=7, color="#666")
    fig.tight_layout()
    return _png(fig)


def scatter(frame: pl.DataFrame, metrics: pl.DataFrame, contrast: dict, xlabel: str = "AT fraction") -> bytes:
    """Per model: score against the covariate (column `at` of `frame`) for every sequence
    of the sweep, with the least-squares line and Pearson r."""
    plt = _pyplot()
    models = sorted(frame["model"].unique().to_list())
    fig, axes = _grid(plt, len(models))
    for ax, model in zip(axes, models):
        part = frame.filter((pl.col("model") == model) & pl.col("class").is_in(contrast["classes"]))
        x, y = part["at"].to_numpy(), part["score"].to_numpy()
        ax.plot(x, y, ".", ms=2.5, alpha=0.5, color="#1b6ca8")
        if np.ptp(x) > 0 and np.ptp(y) > 0:
            slope, intercept = np.polyfit(x, y, 1)
            xs = np.array([x.min(), x.max()])
            ax.plot(xs, slope * xs + intercept, color="#d1495b", lw=1.4)
        r = metrics.filter((pl.col("model") == model) & (pl.col("contrast") == contrast["name"]))["value"][0]
        ax.set_title(f"{model}  r = {'-' if r is None else f'{r:.2f}'}", fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
    fig.tight_layout()
    return _png(fig)
