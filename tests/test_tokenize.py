"""Tokenizers: char, NT-style k-mer with single-base tail, HF tokenizer.json."""
import numpy as np
import pytest

from mitspec.errors import ModelError
from mitspec.models.manifest import parse_manifest
from mitspec.models.tokenize import Tokenizer

BASES = ["A", "C", "G", "T"]


def manifest(tmp_path, tokenizer, vocab, **extra):
    data = {"format": "mitspec-model/1", "name": "m", "kind": "masked", "onnx": "model.onnx", "sha256": "0" * 64,
            "tokenizer": tokenizer, "vocab": vocab, "max_length": 100, "mask_token": "[MASK]", **extra}
    return parse_manifest(data, tmp_path, "manifest.json")


def test_kmer_tokenizer_follows_the_nucleotide_transformer_scheme(tmp_path):
    # 6-mers from the left, then the tail base by base:
    # ACGTACGTA -> ACGTAC | G | T | A  (6 + 1 + 1 + 1 bases)
    kmers = ["ACGTAC", "TTTTTT"]
    vocab = ["[PAD]", "[MASK]", "[CLS]", *BASES, "N", *kmers]
    tok = Tokenizer(manifest(tmp_path, {"type": "kmer", "k": 6, "bos": "[CLS]"}, vocab))
    enc = tok.encode("ACGTACGTA")
    assert [vocab[i] for i in enc.ids] == ["[CLS]", "ACGTAC", "G", "T", "A"]
    assert enc.bases.tolist() == [0, 6, 1, 1, 1] and enc.scored.tolist() == [False, True, True, True, True]
    # a 6-mer missing from the vocabulary falls back to single bases
    enc = tok.encode("ACGTAAACGTAC")
    assert [vocab[i] for i in enc.ids] == ["[CLS]", "A", "C", "G", "T", "A", "A", "ACGTAC"]


def test_kmer_frame_restarts_after_n_as_in_the_nucleotide_transformer(tmp_path):
    """The example in the docstring of the Nucleotide Transformer's own k-mer tokenizer
    (instadeepai/nucleotide-transformer, tokenizers.py), k = 5:
    ATCGAATNGGCGATGCAC -> ATCGA A T N GGCGA TGCAC. Keeping the frame across the N would
    give ATCGA, A T N G G, CGATG, C A C instead."""
    vocab = ["[MASK]", *BASES, "N", "ATCGA", "GGCGA", "TGCAC", "CGATG"]
    tok = Tokenizer(manifest(tmp_path, {"type": "kmer", "k": 5}, vocab))
    enc = tok.encode("ATCGAATNGGCGATGCAC")
    assert [vocab[i] for i in enc.ids] == ["ATCGA", "A", "T", "N", "GGCGA", "TGCAC"]
    assert enc.bases.tolist() == [5, 1, 1, 1, 5, 5]


def test_kmer_vocabulary_without_single_bases_refuses_lengths_it_cannot_read(tmp_path):
    from itertools import product

    sixmers = ["".join(p) for p in product("ACGT", repeat=6)]
    vocab = ["<pad>", "<mask>", "<oov>", *sixmers]
    tok = Tokenizer(manifest(tmp_path, {"type": "kmer", "k": 6}, vocab, mask_token="<mask>"))
    assert [vocab[i] for i in tok.encode("ACGTACTTTTTT").ids] == ["ACGTAC", "TTTTTT"]
    with pytest.raises(ModelError, match=r"reads 6-mers and has no single-base tokens.*this one is 100 bp "
                                         r"\(the nearest that work: 96 or 102 bp\)"):
        tok.encode("A" * 100)
    with pytest.raises(ModelError, match="this one is 12 bp and holds a k-mer the vocabulary lacks"):
        tok.encode("ACGTNCTTTTTT")


def test_kmer_identity_names_the_scheme(tmp_path):
    """A model whose k-mers were read another way before must not hit old cache entries."""
    from mitspec.models import manifest as manifest_module

    vocab = ["[MASK]", *BASES, "N", "ACGTAC"]
    before = manifest(tmp_path, {"type": "kmer", "k": 6}, vocab).tokenizer_fingerprint
    manifest_module.KMER_SCHEME += 1
    try:
        assert manifest(tmp_path, {"type": "kmer", "k": 6}, vocab).tokenizer_fingerprint != before
    finally:
        manifest_module.KMER_SCHEME -= 1


def test_char_tokenizer_and_missing_n(tmp_path):
    tok = Tokenizer(manifest(tmp_path, {"type": "char"}, ["[MASK]", *BASES]))
    assert tok.encode("acgt").ids.tolist() == [1, 2, 3, 4]
    with pytest.raises(ModelError, match="has no token for N"):
        tok.encode("ACNT")


def test_hf_tokenizer_json(tmp_path):
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers, processors

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "A": 5, "C": 6, "G": 7, "T": 8, "AC": 9}
    hf = tokenizers.Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=1000))
    hf.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    hf.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    hf.save(str(tmp_path / "tokenizer.json"))
    tok = Tokenizer(manifest(tmp_path, {"type": "hf", "file": "tokenizer.json"}, list(vocab)))
    enc = tok.encode("ACGT")
    assert enc.ids.tolist() == [2, 5, 6, 7, 8, 3]
    assert enc.scored.tolist() == [False, True, True, True, True, False]
    assert enc.bases.tolist() == [0, 1, 1, 1, 1, 0]
    with pytest.raises(ModelError, match="cannot encode 'N'"):
        tok.encode("ACNT")


def test_manifest_is_strict(tmp_path):
    with pytest.raises(ModelError, match="unknown key\\(s\\) kindd"):
        manifest(tmp_path, {"type": "char"}, BASES, kindd="x")
    with pytest.raises(ModelError, match="tokenizer\\) has unknown key\\(s\\) kk"):
        manifest(tmp_path, {"type": "kmer", "kk": 6}, BASES)
    with pytest.raises(ModelError, match="kind must be one of causal, masked, blindspot"):
        manifest(tmp_path, {"type": "char"}, BASES, kind="encoder")
    with pytest.raises(ModelError, match="special token '\\[CLS\\]' is not in the vocab"):
        Tokenizer(manifest(tmp_path, {"type": "char", "bos": "[CLS]"}, ["[MASK]", *BASES]))


def test_bases_count_tokens_not_specials(tmp_path):
    tok = Tokenizer(manifest(tmp_path, {"type": "char", "bos": "[MASK]", "eos": "[MASK]"}, ["[MASK]", *BASES]))
    enc = tok.encode("ACG")
    assert int(np.sum(enc.bases)) == 3 and len(enc.ids) == 5
