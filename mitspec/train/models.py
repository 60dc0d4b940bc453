"""The three architecture families, all on single-nucleotide tokens (needs torch)."""
from __future__ import annotations

import torch
from torch import nn

from .config import TrainConfig

VOCAB = ["[PAD]", "[MASK]", "[CLS]", "[SEP]", "A", "C", "G", "T", "N"]
PAD, MASK, CLS, SEP = 0, 1, 2, 3
BASE_IDS = (4, 5, 6, 7)


class CausalDilatedStack(nn.Module):
    """Residual blocks of dilated 1-D convolutions that look one way only: output j sees
    inputs j, j-1, ... (forward) or j, j+1, ... (backward). Dilations double to 32, then repeat."""

    def __init__(self, config: TrainConfig, backward: bool):
        super().__init__()
        d, k = config.d_model, config.kernel
        self.backward = backward
        self.reach = [(k - 1) * 2 ** (i % 6) for i in range(config.layers)]
        self.convs = nn.ModuleList(nn.Conv1d(d, d, k, dilation=2 ** (i % 6)) for i in range(config.layers))
        self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(config.layers))
        self.ffs = nn.ModuleList(nn.Sequential(nn.LayerNorm(d), nn.Linear(d, config.ffn), nn.GELU(),
                                               nn.Linear(config.ffn, d)) for _ in range(config.layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, d) -> (B, T, d)
        for conv, norm, ff, reach in zip(self.convs, self.norms, self.ffs, self.reach):
            h = norm(x).transpose(1, 2)
            h = nn.functional.pad(h, (0, reach) if self.backward else (reach, 0))
            x = x + nn.functional.gelu(conv(h).transpose(1, 2))
            x = x + ff(x)
        return x


class BlindSpotCNN(nn.Module):
    """The masked dilated-convolution family (GPN-style), with the mask built in: the
    logits at position j come from a forward stack over bases < j and a backward stack
    over bases > j, never from base j itself (a blind-spot network). So one forward pass
    gives p(x_j | every other base) at every j: training supervises every position (not
    15%), and the exact pseudo-log-likelihood costs one pass, not one per base."""

    def __init__(self, config: TrainConfig):
        super().__init__()
        d = config.d_model
        self.embed = nn.Embedding(len(VOCAB), d)
        self.left = CausalDilatedStack(config, backward=False)
        self.right = CausalDilatedStack(config, backward=True)
        self.head = nn.Sequential(nn.LayerNorm(2 * d), nn.Linear(2 * d, config.ffn), nn.GELU(),
                                  nn.Linear(config.ffn, len(VOCAB)))

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, T, V)
        x = self.embed(input_ids)
        before = nn.functional.pad(self.left(x), (0, 0, 1, 0))[:, :-1]  # j sees bases < j
        after = nn.functional.pad(self.right(x), (0, 0, 0, 1))[:, 1:]  # j sees bases > j
        return self.head(torch.cat([before, after], dim=-1))


def build_model(config: TrainConfig) -> nn.Module:
    if config.family == "cnn":
        return BlindSpotCNN(config)
    import transformers

    positions = config.context + 2
    if config.family == "gpt2":
        return transformers.GPT2LMHeadModel(transformers.GPT2Config(
            vocab_size=len(VOCAB), n_positions=positions, n_embd=config.d_model, n_layer=config.layers,
            n_head=config.heads, n_inner=config.ffn, bos_token_id=CLS, eos_token_id=SEP, pad_token_id=PAD,
            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0))
    if config.family == "esm":
        return transformers.EsmForMaskedLM(transformers.EsmConfig(
            vocab_size=len(VOCAB), hidden_size=config.d_model, num_hidden_layers=config.layers,
            num_attention_heads=config.heads, intermediate_size=config.ffn, max_position_embeddings=positions,
            position_embedding_type="rotary", token_dropout=False, emb_layer_norm_before=False,
            mask_token_id=MASK, pad_token_id=PAD, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    return transformers.BertForMaskedLM(transformers.BertConfig(
        vocab_size=len(VOCAB), hidden_size=config.d_model, num_hidden_layers=config.layers,
        num_attention_heads=config.heads, intermediate_size=config.ffn, max_position_embeddings=positions,
        pad_token_id=PAD, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))


def logits_of(model: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    out = model(input_ids=input_ids)
    return out if isinstance(out, torch.Tensor) else out.logits


def count_params(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))
