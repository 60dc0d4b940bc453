"""Training configurations: strict (an unknown key is an error), one JSON file per model."""
from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

from ..errors import MitspecError

FAMILIES = ("gpt2", "bert", "esm", "cnn")


class ConfigError(MitspecError):
    pass


@dataclass(frozen=True)
class TrainConfig:
    """name: the model's name in exported_models/. family: gpt2 (causal transformer),
    bert (masked transformer, post-LN, learned positions), esm (masked transformer, ESM-2
    style: pre-LN, rotary positions) or cnn (dilated convolutions, GPN-style, with the mask built
    in: a blind-spot network that predicts every base from both sides in one pass)."""

    name: str
    family: str
    genome: str = "ecoli_mg1655"
    d_model: int = 128
    layers: int = 4
    heads: int = 4
    ffn: int = 512
    kernel: int = 9  # cnn only
    context: int = 256  # bases per training window
    batch: int = 32
    lr: float = 1e-3
    warmup: int = 200
    weight_decay: float = 0.01
    minutes: float = 20.0  # wall-clock budget
    max_steps: int = 0  # 0: train until the budget is spent
    eval_every: int = 250
    eval_windows: int = 256
    mask_fraction: float = 0.15  # bert, esm: share of training positions that are targets
    mask_noise: bool = True  # bert, esm: targets become 80% [MASK], 10% a random base, 10% unchanged (else all [MASK])
    seed: int = 0
    threads: int = 0  # 0: every core this process may use
    compile: bool = False  # torch.compile the model for training (about 1.25x faster on CPU, ~1 min to compile)

    @property
    def masked(self) -> bool:
        """Predicts a base from both sides (bert, esm, cnn), scored by pseudo-log-likelihood."""
        return self.family != "gpt2"

    @property
    def blindspot(self) -> bool:
        """Never sees the base it predicts, so needs no [MASK] input (cnn)."""
        return self.family == "cnn"

    @property
    def mask_input(self) -> bool:
        """Sees [MASK] tokens in its input (bert, esm): trained and scored by masking."""
        return self.masked and not self.blindspot

    def to_dict(self) -> dict:
        return asdict(self)


def load_config(path: Path) -> TrainConfig:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the training config ({exc})") from None
    return parse_config(data, str(path))


def parse_config(data: dict, where: str = "config") -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    required = [f.name for f in fields(TrainConfig) if f.default is MISSING]
    missing = [k for k in required if k not in data]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    config = TrainConfig(**data)
    if config.family not in FAMILIES:
        raise ConfigError(f"{where}: family must be one of {', '.join(FAMILIES)}, not {config.family!r}")
    return config
