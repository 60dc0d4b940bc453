"""The three architecture families, all on single-nucleotide tokens (needs torch)."""
from __future__ import annotations

import torch
from torch import nn

from ..models.toy import CHAR_VOCAB
from .config import TrainConfig

VOCAB = CHAR_VOCAB  # [PAD] [MASK] [CLS] [SEP] A C G T N, the toy models' vocabulary
PAD, MASK, CLS, SEP = 0, 1, 2, 3
BASE_IDS = (4, 5, 6, 7)


class DilatedCNN(nn.Module):
    """GPN-style masked model: embedding, residual blocks of dilated 1-D convolutions
    (dilations doubling to 32, then repeating), LayerNorm, GELU; a linear head."""

    def __init__(self, config: TrainConfig):
        super().__init__()
        d = config.d_model
        self.embed = nn.Embedding(len(VOCAB), d)
        dilations = [2 ** (i % 6) for i in range(config.layers)]
        self.blocks = nn.ModuleList()
        for dilation in dilations:
            self.blocks.append(nn.ModuleDict({
                "norm": nn.LayerNorm(d),
                "conv": nn.Conv1d(d, d, config.kernel, dilation=dilation, padding=dilation * (config.kernel // 2)),
                "ff": nn.Sequential(nn.LayerNorm(d), nn.Linear(d, config.ffn), nn.GELU(), nn.Linear(config.ffn, d)),
            }))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, len(VOCAB))

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(input_ids)
        for block in self.blocks:
            h = block["conv"](block["norm"](x).transpose(1, 2)).transpose(1, 2)
            x = x + nn.functional.gelu(h)
            x = x + block["ff"](x)
        return self.head(self.norm(x))


def build_model(config: TrainConfig) -> nn.Module:
    if config.family == "cnn":
        return DilatedCNN(config)
    import transformers

    positions = config.context + 2
    if config.family == "gpt2":
        return transformers.GPT2LMHeadModel(transformers.GPT2Config(
            vocab_size=len(VOCAB), n_positions=positions, n_embd=config.d_model, n_layer=config.layers,
            n_head=config.heads, n_inner=config.ffn, bos_token_id=CLS, eos_token_id=SEP, pad_token_id=PAD,
            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0))
    return transformers.BertForMaskedLM(transformers.BertConfig(
        vocab_size=len(VOCAB), hidden_size=config.d_model, num_hidden_layers=config.layers,
        num_attention_heads=config.heads, intermediate_size=config.ffn, max_position_embeddings=positions,
        pad_token_id=PAD, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))


def logits_of(model: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    out = model(input_ids=input_ids) if not isinstance(model, DilatedCNN) else model(input_ids)
    return out if isinstance(out, torch.Tensor) else out.logits


def count_params(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))
