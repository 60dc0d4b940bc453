"""Report figures as PNG bytes (matplotlib, Agg backend)."""
from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from ..planview import ClassView

PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d96a3", "#2e4057", "#a05195", "#f95d6a",
           "#665191"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.hashsalt": "mitspec", "figure.dpi": 110,
                         "text.parse_math": False})  # labels are names from files: literal text, never mathtext
    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def forest(metrics: pl.DataFrame, contrasts: list[str], groups: list[tuple[str, list[str]]] | None = None) -> bytes | None:
    """Win-rate contrasts per model with their 95% intervals; chance (0.5) marked. One
    panel per contrast, wrapping at four per row; models in `groups` (gLMs, then
    baselines), a gap and a label between groups."""
    rows = metrics.filter(pl.col("contrast").is_in(contrasts) & (pl.col("kind") == "win_rate"))
    if rows.is_empty():
        return None
    plt = _pyplot()
    present = set(rows["model"].unique().to_list())
    groups = [(label, [m for m in names if m in present]) for label, names in (groups or [("", sorted(present))])]
    groups = [(label, names) for label, names in groups if names]
    ys, labels, y = {}, [], 0.0
    for label, names in groups:
        for model in names:
            ys[model] = y
            labels.append((y, model))
            y += 1
        y += 0.8  # a gap between gLMs and baselines
    names = [c for c in contrasts if c in set(rows["contrast"])]
    cols = min(4, len(names))
    nrows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols + 1.2, (0.3 * y + 1.2) * nrows), sharey=True,
                             squeeze=False)
    for k in range(len(names), nrows * cols):
        axes[k // cols][k % cols].axis("off")
    for k, name in enumerate(names):
        ax = axes[k // cols][k % cols]
        part = {r["model"]: r for r in rows.filter(pl.col("contrast") == name).iter_rows(named=True)}
        for model, yy in ys.items():
            r = part.get(model)
            if r is None or r["value"] is None:
                continue
            significant = r["q"] is not None and r["q"] < 0.05
            ax.plot([r["ci_low"], r["ci_high"]], [yy, yy], color="#444", lw=1.4)
            ax.plot(r["value"], yy, "o", ms=6, color="#d1495b" if significant else "#1b6ca8")
        ax.axvline(0.5, color="#999", ls="--", lw=1)
        ax.set_xlim(-0.02, 1.02)
        ax.set_title(name)
        ax.set_xlabel("win rate (95% CI)")
        ax.set_yticks([p for p, _ in labels], [m for _, m in labels])
        start = 0.0
        for label, group in groups[1:]:
            start = min(ys[m] for m in group)
            ax.axhline(start - 0.9, color="#ccc", lw=0.8)
    axes[0][0].invert_yaxis()
    if len(groups) > 1:
        fig.text(0.01, 0.0, "above the line: " + groups[0][0] + "; below: " + ", ".join(g for g, _ in groups[1:]),
                 ha="left", va="bottom", fontsize=7, color="#666")
    fig.text(0.99, 0.0, "red: q < 0.05; dashed: chance", ha="right", va="bottom", fontsize=7, color="#666")
    return _png(fig)


MAX_BOXES = 12  # classes per panel shown as boxes; more are shown as means with intervals


SCORE_UNITS = {"causal": "log-likelihood (nats)", "masked": "pseudo-log-likelihood (nats)",
               "blindspot": "pseudo-log-likelihood (nats)", "baseline": "baseline score"}


def class_tick(c: ClassView) -> str:
    """A class's axis label: its name and the title its spec gave it (`E: Synthetic Compensated`)."""
    return f"{c.name}: {c.title}" if c.title and c.title != c.name else c.name


def distributions(scores: pl.DataFrame, classes: Sequence[ClassView], models: list[str] | None = None,
                  kinds: dict[str, str] | None = None) -> bytes:
    """Per model, each class's score distribution, classes in plan order, each named with
    its title; the y axis says what the score is (`kinds`: model -> kind). Up to
    MAX_BOXES classes: a box and the points of each; more (sweeps, factorials): each
    class's mean with its 95% interval, the conditions of one swept class side by side
    and separated from the next group, labelled by group."""
    plt = _pyplot()
    present = set(scores["model"].unique().to_list())
    models = [m for m in (models or sorted(present)) if m in present]
    order = [c.name for c in classes]
    many = len(order) > MAX_BOXES
    cols = min(2 if many else 4, len(models))
    rows = math.ceil(len(models) / cols)
    width = min(14.0, 3.1 + 0.09 * len(order)) if many else 3.1 + 0.25 * max(0, len(order) - 4)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, 3.0 * rows), squeeze=False)
    jitter = np.random.default_rng(0)
    # x positions: a gap of one slot between groups (a swept class's conditions share a group)
    xs, ticks, x, previous = [], [], 0.0, None
    for c in classes:
        group = c.group or c.name
        if previous is not None and group != previous:
            x += 1.0
        xs.append(x)
        if group != previous:
            ticks.append([x, x, group])
        ticks[-1][1] = x
        previous = group
        x += 1.0
    stats_by = scores.group_by("model", "class").agg(pl.col("score").mean().alias("mean"),
                                                      pl.col("score").std().alias("sd"), pl.len().alias("n"))
    for k, model in enumerate(models):
        ax = axes[k // cols][k % cols]
        part = scores.filter(pl.col("model") == model)
        if not many:
            data = [part.filter(pl.col("class") == c)["score"].to_numpy() for c in order]
            ax.boxplot(data, positions=[p + 1 for p in range(len(order))], widths=0.6, showfliers=False,
                       medianprops={"color": "#222"})
            for i, values in enumerate(data, 1):
                ax.plot(i + jitter.uniform(-0.18, 0.18, len(values)), values, ".", ms=2, alpha=0.45,
                        color=PALETTE[(i - 1) % len(PALETTE)])
            ticks_text = [class_tick(c) for c in classes]
            tilt = len(order) > 6 or max(map(len, ticks_text)) > 4
            ax.set_xticks(range(1, len(order) + 1), ticks_text, rotation=45 if tilt else 0,
                          ha="right" if tilt else "center", fontsize=6 if tilt else 9)
        else:
            table = {r["class"]: r for r in stats_by.filter(pl.col("model") == model).iter_rows(named=True)}
            for i, (c, xx) in enumerate(zip(order, xs)):
                r = table.get(c)
                if r is None:
                    continue
                half = 1.96 * (r["sd"] or 0.0) / math.sqrt(max(r["n"], 1))
                color = PALETTE[len([t for t in ticks if t[0] <= xx]) % len(PALETTE)]
                ax.errorbar(xx, r["mean"], yerr=half, fmt="o", ms=2.5, lw=0.8, color=color)
            ax.set_xticks([(a + b) / 2 for a, b, _ in ticks], [g for _, _, g in ticks],
                          rotation=45 if len(ticks) > 4 else 0, ha="right" if len(ticks) > 4 else "center", fontsize=7)
        ax.set_title(model, fontsize=9)
        ax.set_ylabel(SCORE_UNITS.get((kinds or {}).get(model), "score"), fontsize=7)
    for k in range(len(models), rows * cols):
        axes[k // cols][k % cols].axis("off")
    if many:
        fig.text(0.99, 0.0, "mean per class (95% CI); a swept class's conditions side by side, in level order",
                 ha="right", va="bottom", fontsize=7, color="#666")
    fig.tight_layout()
    return _png(fig)


def heatmap(metrics: pl.DataFrame, contrast: Mapping, classes: Sequence[ClassView]) -> bytes | None:
    """A two-sweep factorial's mean score per cell, per model (rows: the first sweep's
    levels, columns: the second's); None unless the group has exactly two sweeps."""
    conditions = {c.name: c.condition for c in classes if c.condition and c.name in contrast["classes"]}
    if not conditions or any(len(cond.get("levels", ())) != 2 for cond in conditions.values()):
        return None
    plt = _pyplot()
    first = list(dict.fromkeys(str(cond["levels"][0]) for cond in conditions.values()))
    second = list(dict.fromkeys(str(cond["levels"][1]) for cond in conditions.values()))
    sweeps = next(iter(conditions.values()))["sweeps"]
    name = contrast["name"]
    models = sorted(metrics["model"].unique().to_list())
    fig, axes = _grid(plt, len(models), width=0.55 * len(second) + 2.2, height=0.45 * len(first) + 1.6)
    for ax, model in zip(axes, models):
        grid = np.full((len(first), len(second)), np.nan)
        part = metrics.filter((pl.col("model") == model) & (pl.col("of") == name) & (pl.col("part") == "level"))
        for r in part.iter_rows(named=True):
            cls = f"{contrast['group']}[{r['level']}]"
            cond = conditions.get(cls)
            if cond is not None and r["value"] is not None:
                grid[first.index(str(cond["levels"][0])), second.index(str(cond["levels"][1]))] = r["value"]
        image = ax.imshow(grid, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(second)), second, fontsize=7)
        ax.set_yticks(range(len(first)), first, fontsize=7)
        ax.set_xlabel(sweeps[1], fontsize=7)
        ax.set_ylabel(sweeps[0], fontsize=7)
        ax.set_title(model, fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.text(0.99, 0.0, f"{contrast['group']}: mean score per condition", ha="right", va="bottom", fontsize=7,
             color="#666")
    fig.tight_layout()
    return _png(fig)


def _grid(plt, count: int, width: float = 3.1, height: float = 2.3):
    cols = min(4, count)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for k in range(count, rows * cols):
        axes[k // cols][k % cols].axis("off")
    return fig, [axes[k // cols][k % cols] for k in range(count)]


def profile(metrics: pl.DataFrame, contrast: dict, models: list[str] | None = None) -> bytes:
    """Per model (in `models` order: gLMs, then baselines): mean score at each level of
    the sweep with its 95% interval; the reference level hollow, the peak red. Numeric
    levels sit on a numeric axis; past 20 levels the intervals become a band."""
    plt = _pyplot()
    name, group = contrast["name"], contrast["group"]
    labels = [c[len(group) + 1:-1] for c in contrast["classes"]]
    reference = contrast["reference"][len(group) + 1:-1]
    present = set(metrics["model"].unique().to_list())
    models = [m for m in (models or sorted(present)) if m in present]
    try:
        x = np.array([float(label) for label in labels])
        numeric = True
    except ValueError:
        x, numeric = np.arange(len(labels), dtype=float), False
    dense = len(labels) > 20
    fig, axes = _grid(plt, len(models))
    for ax, model in zip(axes, models):
        rows = {r["level"]: r for r in metrics.filter((pl.col("model") == model)
                                                     & (pl.col("of") == name) & (pl.col("part") == "level")).iter_rows(named=True)}
        head = metrics.filter((pl.col("model") == model) & (pl.col("contrast") == name)).row(0, named=True)
        mean = np.array([rows[l]["value"] for l in labels], dtype=float)
        low = np.array([rows[l]["ci_low"] for l in labels], dtype=float)
        high = np.array([rows[l]["ci_high"] for l in labels], dtype=float)
        if dense:
            ax.fill_between(x, low, high, color="#1b6ca8", alpha=0.18, lw=0)
            ax.plot(x, mean, "-", color="#1b6ca8", lw=1.1)
        else:
            ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="-", color="#1b6ca8", lw=1.2, capsize=2)
        for i, label in enumerate(labels):
            if dense and label not in (head["level"], reference):
                continue
            color = "#d1495b" if label == head["level"] else "#1b6ca8"
            ax.plot(x[i], mean[i], "o", ms=5, color=color, mfc="white" if label == reference else color)
        if not numeric:
            step = max(1, len(labels) // 12)
            tilt = len(labels) > 6 or max(map(len, labels)) > 4
            ax.set_xticks(x[::step], labels[::step], rotation=45 if tilt else 0, ha="right" if tilt else "center",
                          fontsize=7)
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
