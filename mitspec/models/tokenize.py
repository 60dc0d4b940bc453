"""Tokenizers: DNA text -> token ids, with which tokens are scored and how many bases each covers.

- char: one token per base.
- kmer: the Nucleotide Transformer's scheme. If the vocabulary has an N token, the sequence
  is cut at every N (a token of its own: the k-mer frame restarts after it); each stretch is
  read as non-overlapping k-mers from its left, and its tail (length mod k) as single
  bases. A k-mer missing from the vocabulary is split into single bases. A vocabulary
  with no single-base tokens (GENERator-style) can only read stretches whose length is a
  multiple of k: anything else is refused, naming the lengths that work.
- kmer_overlap: DNABERT's scheme: the k-mer starting at every base, n - k + 1 tokens for
  n bases (each base inside up to k tokens). Scoring such a model masks bases, not
  tokens (onnx_lm.py), so the encoding marks the k-mer tokens scored and gives them one
  base each, the last one k: n in all.
- hf: any Hugging Face `tokenizer.json`, read with `tokenizers` (BPE, WordPiece, ...);
  its post-processor adds the special tokens.

For multi-base tokens, pseudo-log-likelihood masks one whole token at a time and scores
that token, so PLL sums log p(token | rest) over tokens, not over bases; the per-nt
score divides by the number of bases the scored tokens cover.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from .manifest import Manifest


@dataclass(frozen=True)
class Encoding:
    """ids: (T,) int64 token ids; scored: (T,) bool, False for special tokens;
    bases: (T,) int, bases each token covers (0 for special tokens)."""

    ids: np.ndarray
    scored: np.ndarray
    bases: np.ndarray


class Tokenizer:
    def __init__(self, manifest: Manifest):
        self.manifest = manifest
        self.spec = manifest.tokenizer
        self.vocab = {tok: i for i, tok in enumerate(manifest.vocab)}
        self._hf = None
        if self.spec.type == "hf":
            from tokenizers import Tokenizer as HFTokenizer

            path = manifest.directory / self.spec.file  # required for hf (manifest.py)
            try:
                self._hf = HFTokenizer.from_file(str(path))
            except Exception as exc:  # tokenizers raises plain Exceptions
                raise ModelError(f"cannot read tokenizer {path} ({exc}); re-export the model with its tokenizer.json") from None
        for special in (self.spec.bos, self.spec.eos, manifest.mask_token):
            if special is not None and self.token_id(special) is None:
                raise ModelError(f"{manifest.directory / 'manifest.json'}: special token {special!r} is not in the vocab")
        if self.spec.type in ("kmer", "kmer_overlap") and not self.spec.k:
            raise ModelError(f"{manifest.directory / 'manifest.json'}: a {self.spec.type} tokenizer needs `k`")
        self._kmer_only = self.spec.type == "kmer" and not any(b in self.vocab for b in "ACGT")

    def token_id(self, token: str) -> int | None:
        if self._hf is not None:
            return self._hf.token_to_id(token)
        return self.vocab.get(token)

    @property
    def mask_id(self) -> int:
        token = self.manifest.mask_token
        if token is None and self._hf is not None:
            token = next((t for t in ("[MASK]", "<mask>") if self._hf.token_to_id(t) is not None), None)
        if token is None or self.token_id(token) is None:
            raise ModelError(f"{self.manifest.directory}: masked model has no mask token; set `mask_token` in its manifest")
        return self.token_id(token)

    def _single(self, base: str) -> int:
        tid = self.vocab.get(base)
        if tid is None:
            if base == "N":
                raise ModelError(f"model {self.manifest.name} has no token for N; remove Ns from the sequences "
                                 "or use a model whose vocabulary has N")
            raise ModelError(f"model {self.manifest.name} cannot encode {base!r}: its vocabulary lacks it")
        return tid

    def encode(self, sequence: str) -> Encoding:
        sequence = sequence.upper()
        if self._hf is not None:
            enc = self._hf.encode(sequence)
            special = np.asarray(enc.special_tokens_mask, dtype=bool)
            bases = np.array([e - s for s, e in enc.offsets], dtype=np.int64)
            ids = np.asarray(enc.ids, dtype=np.int64)
            unk = self._hf.token_to_id("[UNK]") if self._hf.token_to_id("[UNK]") is not None else self._hf.token_to_id("<unk>")
            if unk is not None and (ids[~special] == unk).any():
                bad = sequence[enc.offsets[int(np.argmax((ids == unk) & ~special))][0]]
                raise ModelError(f"model {self.manifest.name} cannot encode {bad!r} (it maps to the unknown token)")
            bases[special] = 0
            return Encoding(ids, ~special, bases)
        if self.spec.type == "char":
            ids = [self._single(b) for b in sequence]
            bases = [1] * len(ids)
        elif self.spec.type == "kmer_overlap":
            ids, bases = self._overlapping(sequence)
        else:
            ids, bases = self._kmers(sequence)
        scored = [True] * len(ids)
        if self.spec.bos is not None:
            ids, scored, bases = [self.vocab[self.spec.bos]] + ids, [False] + scored, [0] + bases
        if self.spec.eos is not None:
            ids, scored, bases = ids + [self.vocab[self.spec.eos]], scored + [False], bases + [0]
        return Encoding(np.asarray(ids, dtype=np.int64), np.asarray(scored, dtype=bool), np.asarray(bases, dtype=np.int64))

    def too_long(self, sequences: list[str]) -> str | None:
        """Why the model cannot score these sequences (the longest needs more tokens than
        its max_length), or None. A char tokenizer's count depends on the length alone,
        so one sequence per length is encoded; other tokenizers encode them all."""
        if self.spec.type == "char":
            sequences = list({len(s): s for s in sequences}.values())
        needed = max((len(self.encode(s).ids) for s in sequences), default=0)
        if needed <= self.manifest.max_length:
            return None
        return (f"its context is {self.manifest.max_length} tokens and the plan's sequences need up to {needed} "
                f"({max(map(len, sequences))} bp)")

    def _kmers(self, sequence: str) -> tuple[list[int], list[int]]:
        """(ids, bases per token) in the k-mer scheme (module docstring)."""
        k = self.spec.k
        ids, bases = [], []
        # NT cuts at N (a token of its own); a vocabulary without an N token reads N inside k-mers
        for n, stretch in enumerate(sequence.split("N") if "N" in self.vocab else [sequence]):
            if n:
                ids.append(self._single("N"))
                bases.append(1)
            full = len(stretch) - len(stretch) % k
            for i in range(0, full, k):
                tid = self.vocab.get(stretch[i:i + k])
                if tid is None:
                    ids += [self._tail_base(b, sequence) for b in stretch[i:i + k]]
                    bases += [1] * k
                else:
                    ids.append(tid)
                    bases.append(k)
            ids += [self._tail_base(b, sequence) for b in stretch[full:]]
            bases += [1] * (len(stretch) - full)
        return ids, bases

    def _overlapping(self, sequence: str) -> tuple[list[int], list[int]]:
        """(ids, bases per token) of the k-mer starting at each base (module docstring)."""
        k = self.spec.k
        if len(sequence) < k:
            raise ModelError(f"model {self.manifest.name} reads overlapping {k}-mers, so a sequence needs at least "
                             f"{k} bp; this one is {len(sequence)} bp")
        ids = []
        for i in range(len(sequence) - k + 1):
            tid = self.vocab.get(sequence[i:i + k])
            if tid is None:
                raise ModelError(f"model {self.manifest.name} has no token for the {k}-mer {sequence[i:i + k]!r} at "
                                 f"base {i + 1} (its vocabulary is the {k}-mers of A, C, G and T)")
            ids.append(tid)
        return ids, [1] * (len(ids) - 1) + [k]

    def _tail_base(self, base: str, sequence: str) -> int:
        """A base read on its own (a tail, or a k-mer the vocabulary lacks)."""
        if base in self.vocab or not self._kmer_only:
            return self._single(base)
        k = self.spec.k
        n = len(sequence)
        shorter, longer = n - n % k, n - n % k + k
        raise ModelError(f"model {self.manifest.name} reads {k}-mers and has no single-base tokens, so it scores only "
                         f"sequences whose length is a multiple of {k}, without N or other letters outside its k-mers; "
                         f"this one is {n} bp" + (f" (the nearest that work: {shorter} or {longer} bp)" if n % k else
                                                  " and holds a k-mer the vocabulary lacks")
                         + "; set the spec's length so, or pick another model")

