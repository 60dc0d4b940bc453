"""gLMs exported to ONNX: log-likelihood (causal) and pseudo-log-likelihood (masked, blindspot).

Causal: score = sum over t >= 1 of log p(x_t | x_<t) over the sequence's tokens; the
first token has no context and is excluded, as in the published protocol.
Masked: exact PLL = sum over tokens t of log p(x_t | x with token t masked). Every
masked copy of every sequence goes through the model in large batches (rows grouped
by token length, so no padding), never one forward pass per position in a Python loop.
Masked with overlapping k-mers (DNABERT): a base lies inside up to k tokens, so masking
one token leaks it through its neighbours. As DNABERT's authors mask during training,
every token covering base i is masked; the model's distribution at each masked token,
summed over the k-mers with x_i's base at i's offset in them, is a distribution over the
base, and p(x_i | rest) is the mean of these (one per covering token). PLL sums
log p(x_i | rest) over bases.
Blindspot: models whose logits at token t never see token t (they predict each base
from both sides by construction); the same PLL comes from one unmasked pass.
Scores are in nats; per_nt divides by the number of bases the scored tokens cover.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..io import sha256_file
from .base import Scorer, Scores
from ..errors import ModelError
from .manifest import Manifest, about
from .runtime import create_session
from .tokenize import Encoding, Tokenizer

SCORING_VERSION = "1"  # bump when the scoring arithmetic changes: it is part of cache keys
# Tokens per forward pass. On CPU, batches whose activations stay in cache are fastest:
# measured on 2 cores, 4096 tokens ran a 4.9M-parameter model 18% faster than 32768,
# and a 34k-parameter one 12% faster. GPUs want large batches.
CPU_BATCH_TOKENS = 1 << 12
CUDA_BATCH_TOKENS = 1 << 16


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Along the last axis, in float64."""
    x = logits.astype(np.float64)
    x -= x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


class OnnxLM(Scorer):
    """A causal or masked LM in ONNX. `runs` counts forward passes (session.run calls)."""

    def __init__(self, manifest: Manifest, device: str = "auto", threads: int | None = None,
                 batch_tokens: int | None = None, verify: bool = True):
        self.manifest = manifest
        self.name = manifest.name
        self.kind = manifest.kind
        self.params = manifest.params
        path = manifest.onnx_path
        if not path.exists():
            raise ModelError(f"{path} is missing (named by {manifest.directory / 'manifest.json'}); "
                             "re-export the model with `mitspec export`")
        if verify:
            manifest.check_weights(lambda name: sha256_file(manifest.directory / name)
                                   if (manifest.directory / name).is_file() else None)
        self.tokenizer = Tokenizer(manifest)
        self.session, self.provider = create_session(path, device, threads,
                                                     mapped_weights=manifest.onnx_data is not None)
        self.batch_tokens = batch_tokens or (CUDA_BATCH_TOKENS if self.provider == "cuda" else CPU_BATCH_TOKENS)
        self.runs = 0
        self._inputs = self._check_inputs()
        self._logits = self._find_logits()
        self.mask_id = self.tokenizer.mask_id if self.kind == "masked" else None

    # ---- model I/O -------------------------------------------------------------------
    def _check_inputs(self) -> list[str]:
        names = [i.name for i in self.session.get_inputs()]
        if "input_ids" not in names:
            raise ModelError(f"{self.manifest.onnx_path} has no `input_ids` input (inputs: {', '.join(names)}); "
                             "export it as a language model with `mitspec export`")
        unknown = set(names) - {"input_ids", "attention_mask", "token_type_ids", "position_ids"}
        if unknown:
            raise ModelError(f"{self.manifest.onnx_path} needs inputs mitspec cannot supply ({', '.join(sorted(unknown))}); "
                             "export it without past key values (task fill-mask or text-generation)")
        return names

    def _find_logits(self) -> str:
        outputs = self.session.get_outputs()
        for out in outputs:
            if out.name == "logits":
                if len(out.shape) == 3 and isinstance(out.shape[2], int):
                    self._check_width(out.shape[2])
                return out.name
        for out in outputs:
            shape = out.shape
            if len(shape) == 3 and (not isinstance(shape[2], int) or shape[2] == len(self.manifest.vocab)):
                return out.name
        raise ModelError(f"{self.manifest.onnx_path} is not a language model: no [batch, tokens, vocab] logits output "
                         f"(outputs: {', '.join(o.name for o in outputs)}); export it with a LM head")

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """ids (B, T) int64 -> logits (B, T, V) float32."""
        feed = {"input_ids": ids}
        if "attention_mask" in self._inputs:
            feed["attention_mask"] = np.ones_like(ids)
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        if "position_ids" in self._inputs:
            feed["position_ids"] = np.broadcast_to(np.arange(ids.shape[1], dtype=np.int64), ids.shape).copy()
        self.runs += 1
        logits = self.session.run([self._logits], feed)[0]
        if logits.ndim != 3 or logits.shape[:2] != ids.shape:
            raise ModelError(f"{self.manifest.onnx_path} returned logits of shape {logits.shape} for input {ids.shape}")
        self._check_width(logits.shape[2])
        return logits

    def _check_width(self, width: int) -> None:
        """One logit per vocabulary entry: a manifest whose vocabulary is not the model's
        would read every probability off the wrong token."""
        if width != len(self.manifest.vocab):
            raise ModelError(f"{self.manifest.onnx_path} gives {width} logits per token but its manifest lists "
                             f"{len(self.manifest.vocab)} vocabulary tokens; the vocabulary does not belong to this "
                             "model: re-export it with `mitspec export`")

    # ---- identity ----------------------------------------------------------------------
    @property
    def identity(self) -> str:
        """What decides this scorer's numbers: model bytes, tokenizer, mode, provider."""
        parts = [self.manifest.sha256, self.manifest.tokenizer_fingerprint, f"{self.kind}-v{SCORING_VERSION}",
                 self.provider]
        parts += [f"{name}={digest}" for name, digest in sorted((self.manifest.onnx_data or {}).items())]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def info(self) -> dict:
        return {"name": self.name, "kind": self.kind, "params": self.params, "provider": self.provider,
                "source": str(self.manifest.directory), "about": about(self.manifest)}

    def too_long(self, sequences: list[str]) -> str | None:
        return self.tokenizer.too_long(sequences)

    # ---- scoring -----------------------------------------------------------------------
    def score(self, sequences: list[str]) -> Scores:
        encodings = [self.tokenizer.encode(s) for s in sequences]
        n = len(sequences)
        total = np.zeros(n, dtype=np.float64)
        tokens = np.zeros(n, dtype=np.int64)
        bases = np.zeros(n, dtype=np.int64)
        for length, members in _group_by_length(encodings).items():
            ids = np.stack([encodings[i].ids for i in members])
            scored = np.stack([encodings[i].scored for i in members])
            widths = np.stack([encodings[i].bases for i in members])
            if length > self.manifest.max_length:
                raise ModelError(f"model {self.name} accepts at most {self.manifest.max_length} tokens; "
                                 f"a sequence needs {length}")
            fn = {"causal": self._causal, "masked": self._masked, "blindspot": self._blindspot}[self.kind]
            if self.kind == "masked" and self.tokenizer.spec.type == "kmer_overlap":
                fn = self._masked_bases
            s, t, b = fn(ids, scored, widths)
            total[members], tokens[members], bases[members] = s, t, b
        with np.errstate(invalid="ignore", divide="ignore"):
            per_nt = np.where(bases > 0, total / np.maximum(bases, 1), np.nan)
        return Scores(total, per_nt, tokens)

    def _logp_of_tokens(self, ids, shift: int) -> np.ndarray:
        """(n, T) -> (n, T - shift): log p of token t + shift read at position t, i.e. the
        next token (shift 1, causal) or the token itself (shift 0, blindspot), in row batches."""
        n, length = ids.shape
        out = np.empty((n, length - shift))
        rows = max(1, self.batch_tokens // length)
        for lo in range(0, n, rows):
            hi = min(n, lo + rows)
            logp = log_softmax(self.forward(ids[lo:hi])[:, :length - shift])
            out[lo:hi] = np.take_along_axis(logp, ids[lo:hi, shift:, None], axis=2)[..., 0]
        return out

    def _causal(self, ids, scored, widths):
        """(n, T) -> per-row (LL, tokens, bases) over scored tokens after the first one."""
        n = len(ids)
        # a token counts if it is a sequence token and not the first sequence token
        first = np.argmax(scored, axis=1)
        target = scored.copy()
        target[np.arange(n), first] = False
        target[:, 0] = False  # position 0 has no context whatever it is
        total = (self._logp_of_tokens(ids, 1) * target[:, 1:]).sum(axis=1)
        return total, target.sum(axis=1), (widths * target).sum(axis=1)

    def _blindspot(self, ids, scored, widths):
        """(n, T) -> per-row (PLL, tokens, bases): log p(x_t | the rest) at every scored token, one pass."""
        total = (self._logp_of_tokens(ids, 0) * scored).sum(axis=1)
        return total, scored.sum(axis=1), (widths * scored).sum(axis=1)

    def _masked(self, ids, scored, widths):
        """(n, T) -> per-row (PLL, tokens, bases): one masked copy per scored token, batched."""
        n, length = ids.shape
        row_of, pos_of = np.nonzero(scored)  # every (sequence, position) to mask, row-major
        m = len(row_of)
        picked = np.empty(m)
        copies = max(1, self.batch_tokens // length)
        for lo in range(0, m, copies):
            hi = min(m, lo + copies)
            r, p = row_of[lo:hi], pos_of[lo:hi]
            batch = ids[r].copy()
            batch[np.arange(hi - lo), p] = self.mask_id
            logits = self.forward(batch)[np.arange(hi - lo), p]  # (copies, V) at the masked slots
            picked[lo:hi] = log_softmax(logits)[np.arange(hi - lo), ids[r, p]]
        total = np.bincount(row_of, weights=picked, minlength=n)
        return total, scored.sum(axis=1), (widths * scored).sum(axis=1)

    def _masked_bases(self, ids, scored, widths):
        """(n, T) overlapping k-mer tokens -> per-row (PLL, bases, bases): one copy per base
        with every token covering it masked (module docstring)."""
        n, length = ids.shape
        k = self.tokenizer.spec.k
        first = int(np.argmax(scored[0]))  # rows of one length share their layout
        tokens = int(scored[0].sum())
        bases = tokens + k - 1
        cover = covering_tokens(bases, k)  # (bases, k)
        base_at = self._base_table(k)  # (V, k): base (0-3) at each offset of a k-mer token, -1 otherwise
        kmers = ids[:, first:first + tokens]
        truth = np.concatenate([base_at[kmers, 0], base_at[kmers[:, -1], 1:]], axis=1)  # (n, bases)
        row_of, base_of = np.divmod(np.arange(n * bases), bases)
        picked = np.empty(n * bases)
        copies = max(1, self.batch_tokens // length)
        for lo in range(0, n * bases, copies):
            hi = min(n * bases, lo + copies)
            r, i = row_of[lo:hi], base_of[lo:hi]
            j = cover[i]  # (c, k) covering tokens, -1 none
            valid = j >= 0
            slots = first + np.where(valid, j, 0)
            batch = ids[r].copy()
            rows = np.repeat(np.arange(hi - lo), k)
            batch[rows[valid.ravel()], slots[valid]] = self.mask_id
            probs = np.exp(log_softmax(self.forward(batch)[np.arange(hi - lo)[:, None], slots]))  # (c, k, V)
            offset = np.where(valid, i[:, None] - j, 0)
            right_base = base_at[:, offset].transpose(1, 2, 0) == truth[r, i][:, None, None]  # (c, k, V)
            p_base = (probs * right_base).sum(-1)  # (c, k): each covering token's p(x_i)
            picked[lo:hi] = np.log((p_base * valid).sum(1) / valid.sum(1))
        total = np.bincount(row_of, weights=picked, minlength=n)
        counts = np.full(n, bases)
        return total, counts, counts

    def _base_table(self, k: int) -> np.ndarray:
        """(V, k) int: index in ACGT of the base at each offset of each k-mer token, -1 for
        tokens that are not k-mers of A, C, G and T."""
        table = np.full((len(self.manifest.vocab), k), -1, dtype=np.int64)
        for v, token in enumerate(self.manifest.vocab):
            if len(token) == k and set(token) <= set("ACGT"):
                table[v] = ["ACGT".index(b) for b in token]
        return table


def covering_tokens(bases: int, k: int) -> np.ndarray:
    """(bases, k) index of the overlapping k-mer tokens that contain each base (token j
    starts at base j, n - k + 1 tokens), -1 where a base near an end is inside fewer."""
    tokens = bases - k + 1
    j = np.arange(bases)[:, None] - np.arange(k)[None, :]  # candidates i, i-1, ..., i-k+1
    return np.where((j >= 0) & (j < tokens), j, -1)


def _group_by_length(encodings: list[Encoding]) -> dict[int, np.ndarray]:
    lengths = np.array([len(e.ids) for e in encodings])
    return {int(k): np.nonzero(lengths == k)[0] for k in np.unique(lengths)}
