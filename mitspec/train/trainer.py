"""Train a bundled gLM on a shipped genome and report its held-out loss (needs torch).

Windows are drawn from the training strands (first 90% of the genome, both strands);
the held-out loss is measured on a fixed set of windows from the last 10% (both
strands): next-base cross-entropy for causal models, cross-entropy at isolated masked
bases for masked ones (below), and on every base for blind-spot ones (which never see
the base they predict), in nats per base, comparable to the bars in `bars.py`.

Masked models are evaluated as they are scored and as the bar's context-count model
predicts: each target base is masked with its neighbours left intact. Targets are every
`EVAL_STRIDE`-th base from a seeded offset (12.5% of positions), so every target sees
7 true bases on each side. With random 15% masking, 73% of targets would also lose one
of their 8 nearest neighbours, a handicap neither the bar nor PLL scoring has; that
figure is reported too (`heldout_random15`).
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from .bars import MASK_FRACTION, split
from .config import TrainConfig
from .models import BASE_IDS, CLS, MASK, SEP, build_model, logits_of


@dataclass
class TrainResult:
    model: torch.nn.Module
    heldout_nats: float
    steps: int
    minutes: float
    history: list[tuple[int, float, float]] = field(default_factory=list)  # (step, train loss, held-out nats)
    heldout_random15: float | None = None  # masked transformers: held-out nats with 15% random masking


def windows(strands, n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """n random windows of `length` bases as token ids (A=4 C=5 G=6 T=7 N=8)."""
    which = torch.randint(len(strands), (n,), generator=generator).numpy()
    out = np.empty((n, length), dtype=np.int64)
    for s, strand in enumerate(strands):
        rows = np.nonzero(which == s)[0]
        if len(rows):
            starts = torch.randint(len(strand) - length + 1, (len(rows),), generator=generator).numpy()
            out[rows] = strand[starts[:, None] + np.arange(length)]
    return torch.from_numpy(out + 4)


def with_specials(ids: torch.Tensor) -> torch.Tensor:
    n = ids.shape[0]
    return torch.cat([torch.full((n, 1), CLS), ids, torch.full((n, 1), SEP)], dim=1)


def mask_tokens(ids: torch.Tensor, fraction: float, generator: torch.Generator, bert_noise: bool):
    """(inputs, labels): `fraction` of the base positions are targets (labels -100 elsewhere);
    targets become [MASK] (with bert_noise: 80% [MASK], 10% a random base, 10% unchanged)."""
    is_base = (ids >= BASE_IDS[0])
    chosen = (torch.rand(ids.shape, generator=generator) < fraction) & is_base
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    inputs = ids.clone()
    if bert_noise:
        roll = torch.rand(ids.shape, generator=generator)
        random_bases = torch.randint(BASE_IDS[0], BASE_IDS[-1] + 1, ids.shape, generator=generator)
        inputs[chosen & (roll < 0.8)] = MASK
        swap = chosen & (roll >= 0.8) & (roll < 0.9)
        inputs[swap] = random_bases[swap]
    else:
        inputs[chosen] = MASK
    return inputs, labels


EVAL_STRIDE = 8


def mask_spaced(ids: torch.Tensor, stride: int, generator: torch.Generator):
    """(inputs, labels): every `stride`-th base from a random offset per row is replaced by
    [MASK] and is a target (labels -100 elsewhere); the bases between stay intact."""
    n, length = ids.shape
    offset = torch.randint(stride, (n, 1), generator=generator)
    chosen = ((torch.arange(length)[None, :] - offset) % stride == 0) & (ids >= BASE_IDS[0])
    labels = torch.where(chosen, ids, torch.full_like(ids, -100))
    return torch.where(chosen, torch.full_like(ids, MASK), ids), labels


def loss_of(model, config: TrainConfig, batch: torch.Tensor, generator: torch.Generator):
    """Mean training cross-entropy (nats) over the predicted bases of a batch of windows."""
    ce = torch.nn.functional.cross_entropy
    if not config.masked:
        logits = logits_of(model, batch)
        return ce(logits[:, :-1].reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
    if config.blindspot:
        logits = logits_of(model, with_specials(batch))[:, 1:-1]
        return ce(logits.reshape(-1, logits.shape[-1]), batch.reshape(-1))
    inputs, labels = mask_tokens(with_specials(batch), config.mask_fraction, generator, bert_noise=config.mask_noise)
    logits = logits_of(model, inputs)
    return ce(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)


def evaluate(model, config: TrainConfig, held: torch.Tensor, chunk: int = 64, random15: bool = False) -> float:
    """Held-out nats per predicted base, on fixed windows and (masked models) a fixed mask:
    spaced isolated targets, or with `random15` the bar's 15% of positions masked at random."""
    model.eval()
    total = count = 0.0
    with torch.no_grad():
        for lo in range(0, len(held), chunk):
            batch = held[lo:lo + chunk]
            if config.blindspot:
                logits, targets = logits_of(model, with_specials(batch))[:, 1:-1], batch
            elif config.masked:
                generator = torch.Generator().manual_seed(config.seed + 7 + lo)
                if random15:
                    inputs, targets = mask_tokens(with_specials(batch), MASK_FRACTION, generator, bert_noise=False)
                else:
                    inputs, targets = mask_spaced(with_specials(batch), EVAL_STRIDE, generator)
                logits = logits_of(model, inputs)
            else:
                logits, targets = logits_of(model, batch)[:, :-1], batch[:, 1:]
            total += float(torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                             ignore_index=-100, reduction="sum"))
            count += int((targets != -100).sum())
    model.train()
    return total / count


def train(config: TrainConfig, log: Callable[[str], None] = print) -> TrainResult:
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    train_strands, held_strands = split(config.genome)
    held = windows(held_strands, config.eval_windows, config.context, torch.Generator().manual_seed(config.seed + 1))
    model = build_model(config)
    forward = torch.compile(model) if config.compile else model
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    budget = config.minutes * 60
    start, step, history = time.perf_counter(), 0, []
    model.train()
    while True:
        elapsed = time.perf_counter() - start
        done = elapsed / budget if not config.max_steps else step / config.max_steps
        if done >= 1:
            break
        scale = min(1.0, (step + 1) / config.warmup) * 0.5 * (1 + math.cos(math.pi * min(done, 1.0)))
        for group in optimiser.param_groups:
            group["lr"] = config.lr * scale
        batch = windows(train_strands, config.batch, config.context, generator)
        loss = loss_of(forward, config, batch, generator)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1
        if step % config.eval_every == 0:
            nats = evaluate(model, config, held)
            history.append((step, float(loss.detach()), nats))
            log(f"step {step}  train {float(loss.detach()):.4f}  held-out {nats:.4f} nats/base  ({elapsed / 60:.1f} min)")
    nats = evaluate(model, config, held)
    minutes = (time.perf_counter() - start) / 60
    history.append((step, float(loss.detach()) if step else math.nan, nats))
    random15 = evaluate(model, config, held, random15=True) if config.mask_input else None
    return TrainResult(model, nats, step, minutes, history, random15)
