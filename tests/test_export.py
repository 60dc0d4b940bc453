"""`mitspec export`: tiny random HF checkpoints -> ONNX; scores match PyTorch computed directly.

Needs the `export` extra (torch, transformers, optimum); skipped without it."""
import itertools

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # torch export and training: seconds each

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("optimum.exporters.onnx")

from mitspec.errors import ModelError  # noqa: E402
from mitspec.export.onnx import export  # noqa: E402
from mitspec.models.onnx_lm import OnnxLM  # noqa: E402

VOCAB = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "A": 5, "C": 6, "G": 7, "T": 8, "N": 9}
SEQS = ["ACGTTGCAAC", "TTTTGACAAT", "GGGCCCAT"]


def _fast_tokenizer(with_specials: bool):
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    if with_specials:
        tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]",
                                                           special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf")
    torch.manual_seed(0)
    bert = transformers.BertForMaskedLM(transformers.BertConfig(
        vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64))
    bert.save_pretrained(root / "bert")
    _fast_tokenizer(True).save_pretrained(root / "bert")
    gpt = transformers.GPT2LMHeadModel(transformers.GPT2Config(vocab_size=len(VOCAB), n_embd=32, n_layer=2, n_head=2,
                                                               n_positions=64))
    gpt.save_pretrained(root / "gpt2")
    _fast_tokenizer(False).save_pretrained(root / "gpt2")
    return root


def _torch_pll(model_dir, seq):
    model = transformers.AutoModelForMaskedLM.from_pretrained(model_dir).eval()
    ids = [VOCAB["[CLS]"]] + [VOCAB[b] for b in seq] + [VOCAB["[SEP]"]]
    total = 0.0
    with torch.no_grad():
        for t in range(1, len(ids) - 1):
            masked = list(ids)
            masked[t] = VOCAB["[MASK]"]
            logits = model(input_ids=torch.tensor([masked])).logits[0, t].double()
            total += float(torch.log_softmax(logits, -1)[ids[t]])
    return total


def _torch_ll(model_dir, seq):
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir).eval()
    ids = torch.tensor([[VOCAB[b] for b in seq]])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), -1)
    return float(sum(logp[t - 1, ids[0, t]] for t in range(1, ids.shape[1])))


def test_masked_export_scores_like_pytorch(checkpoints, tmp_path):
    report = export(str(checkpoints / "bert"), tmp_path / "bert")
    assert report.exporter.startswith("optimum") and report.max_abs_diff <= 1e-4
    m = report.manifest
    assert (m.kind, m.tokenizer.type, m.mask_token) == ("masked", "hf", "[MASK]")
    assert m.params == sum(p.numel() for p in transformers.BertForMaskedLM.from_pretrained(checkpoints / "bert").parameters())
    scores = OnnxLM(m).score(SEQS).score
    np.testing.assert_allclose(scores, [_torch_pll(checkpoints / "bert", s) for s in SEQS], atol=1e-4)


def test_causal_export_scores_like_pytorch(checkpoints, tmp_path):
    report = export(str(checkpoints / "gpt2"), tmp_path / "gpt2")
    assert report.manifest.kind == "causal"
    (tmp_path / "plain").mkdir()  # the exported directory gets a plain mkdir's mode, not mkdtemp's 0700
    assert (tmp_path / "gpt2").stat().st_mode == (tmp_path / "plain").stat().st_mode
    scores = OnnxLM(report.manifest).score(SEQS).score
    np.testing.assert_allclose(scores, [_torch_ll(checkpoints / "gpt2", s) for s in SEQS], atol=1e-4)


def test_torch_onnx_fallback(checkpoints, tmp_path):
    report = export(str(checkpoints / "bert"), tmp_path / "bert_fallback", use_optimum=False)
    assert report.exporter == "torch.onnx" and report.max_abs_diff <= 1e-4
    assert OnnxLM(report.manifest).session.get_inputs()[0].name == "input_ids"


def test_unfaithful_export_is_refused_and_nothing_is_written(checkpoints, tmp_path):
    with pytest.raises(ModelError, match="optimum: its logits differ from PyTorch by .*; torch.onnx: its logits differ"):
        export(str(checkpoints / "bert"), tmp_path / "strict", tolerance=-1.0)
    assert not (tmp_path / "strict").exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="has no config.json, so it is not a Hugging Face checkpoint"):
        export(str(tmp_path / "empty"), tmp_path / "out")


def test_a_hub_id_with_no_hub_to_reach_fails_at_once_and_says_so(tmp_path, monkeypatch):
    """Offline, a hub id spent a minute in retries and then hinted at --trust-remote-code.
    The hub here is a closed local port, and the cache is empty."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelError) as caught:
        export("LongSafari/hyenadna-tiny-1k-seqlen-hf", tmp_path / "out")
    message = str(caught.value)
    assert "cannot reach the Hugging Face hub (http://127.0.0.1:9" in message
    assert "--local-dir DIR" in message and "mitspec export DIR" in message and "trust-remote-code" not in message
    assert not (tmp_path / "out").exists()


def test_a_path_that_is_neither_a_directory_nor_a_hub_id_is_named(tmp_path):
    with pytest.raises(ModelError, match="no such checkpoint directory"):
        export(str(tmp_path / "no" / "such" / "dir"), tmp_path / "out")


SIXMERS = ["".join(p) for p in itertools.product("ACGT", repeat=6)]


def _kmer_esm(directory, vocab: list[str], **tokenizer_options):
    """A tiny random ESM checkpoint with a slow k-mer EsmTokenizer over `vocab` (the
    Nucleotide Transformer's layout: pad id 1, mask id 2): (directory, tokenizer)."""
    directory.mkdir(parents=True)
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = transformers.EsmTokenizer(str(directory / "vocab.txt"), **tokenizer_options)
    torch.manual_seed(0)
    model = transformers.EsmForMaskedLM(transformers.EsmConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64, pad_token_id=1, mask_token_id=2, position_embedding_type="rotary",
        token_dropout=False))
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory, tok


def test_nucleotide_transformer_style_esm_with_kmer_tokenizer(tmp_path):
    """ESM + a slow 6-mer tokenizer (the Nucleotide Transformer's scheme): mitspec's own
    k-mer tokenizer must produce exactly the ids the checkpoint's tokenizer produces."""
    specials = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"]
    checkpoint, tok = _kmer_esm(tmp_path / "esm", specials + SIXMERS + list("ACGTN"))
    report = export(str(checkpoint), tmp_path / "out")
    spec = report.manifest.tokenizer
    assert (spec.type, spec.k) == ("kmer", 6)
    lm = OnnxLM(report.manifest)
    for seq in ("ACGTACGTA", "ACGTACGTACGTAC", "TTT"):
        assert lm.tokenizer.encode(seq).ids.tolist() == tok(seq)["input_ids"]
    assert report.max_abs_diff <= 1e-4


class _FFTConvLM(torch.nn.Module):
    """input_ids -> logits through an FFT long convolution (HyenaDNA's operator in miniature):
    TorchScript's exporter has no aten::fft_rfft, the dynamo exporter has."""

    def __init__(self, vocab: int = 10, width: int = 8, max_len: int = 64):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, width)
        self.filter = torch.nn.Parameter(torch.randn(width, max_len) * 0.2)
        self.head = torch.nn.Linear(width, vocab)

    def forward(self, input_ids):
        x = self.embed(input_ids).transpose(1, 2)
        n = 2 * x.shape[-1]
        y = torch.fft.irfft(torch.fft.rfft(x, n=n) * torch.fft.rfft(self.filter[:, :x.shape[-1]], n=n), n=n)
        return self.head(y[..., :x.shape[-1]].transpose(1, 2))


def _fields(name, kind="causal"):
    return {"name": name, "kind": kind, "tokenizer": {"type": "char"}, "vocab": list(VOCAB), "max_length": 64,
            "mask_token": "[MASK]" if kind == "masked" else None, "provenance": {"source": name}}


def test_dynamo_exporter_takes_what_torchscript_cannot(tmp_path):
    from mitspec.export.onnx import export_module

    torch.manual_seed(0)
    model = _FFTConvLM().eval()
    report = export_module(model, tmp_path / "fft", _fields("fft"), [5, 6, 7, 8], len(VOCAB))
    assert report.exporter == "torch.onnx dynamo" and report.max_abs_diff <= 1e-4
    lm = OnnxLM(report.manifest)
    for seq in ("ACGTTGCAAC", "GATTACAGATTACAGATTACA"):  # two lengths, neither the traced one
        ids = torch.tensor([[VOCAB[b] for b in seq]])
        with torch.no_grad():
            logp = torch.log_softmax(model(ids)[0].double(), -1)
        expected = float(sum(logp[t - 1, ids[0, t]] for t in range(1, ids.shape[1])))
        assert lm.score([seq]).score[0] == pytest.approx(expected, abs=1e-4)


class _LengthInPython(torch.nn.Module):
    """Reads the length into Python (as DNABERT-2's unpadding does with .item()): tracing
    freezes it, torch.export refuses the numpy round trip."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(len(VOCAB), 4)
        self.head = torch.nn.Linear(4, len(VOCAB))

    def forward(self, input_ids):
        n = int(input_ids.shape[1])
        scale = torch.from_numpy(np.full((1, n, 1), 1.0 / n, dtype=np.float32))
        return self.head(self.embed(input_ids) * scale)


def test_every_exporter_failing_is_one_error_naming_each_reason(tmp_path):
    from mitspec.export.onnx import export_module

    with pytest.raises(ModelError) as caught:
        export_module(_LengthInPython(), tmp_path / "bad", _fields("bad"), [5, 6, 7, 8], len(VOCAB))
    message = str(caught.value)
    assert message.startswith("cannot export bad (torch module) to a faithful ONNX graph, so nothing was written; ")
    assert "torch.onnx: " in message and "torch.onnx dynamo: " in message and "\n" not in message
    assert not (tmp_path / "bad").exists()


def test_a_checkpoint_with_code_of_its_own_says_to_trust_it(checkpoints, tmp_path):
    import json
    import shutil

    custom = shutil.copytree(checkpoints / "bert", tmp_path / "custom")
    config = json.loads((custom / "config.json").read_text())
    config["auto_map"] = {"AutoModelForMaskedLM": "modeling_x.XForMaskedLM"}
    config["intermediate_size"] = 128  # the weights no longer fit the built-in class: a size mismatch
    (custom / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="cannot load .* as a masked LM with transformers .*pass --trust-remote-code"):
        export(str(custom), tmp_path / "out")


def test_import_of_a_missing_plugin_is_a_clear_error(checkpoints, tmp_path):
    with pytest.raises(ModelError, match="--import no_such_plugin_module: cannot import it"):
        export(str(checkpoints / "bert"), tmp_path / "out", imports=("no_such_plugin_module",))


def test_kmer_tokenizer_without_single_bases_or_end_token(tmp_path):
    """GENERator-style: 6-mers only, no end token. The old 8 bp probe ended in the unknown
    token and took it for an end token; the 60 bp probe reads whole 6-mers. Lengths that
    are not whole 6-mers are refused with the nearest that work."""
    checkpoint, tok = _kmer_esm(tmp_path / "sixmers", ["<unk>", "<pad>", "<mask>", "<cls>"] + SIXMERS, eos_token=None)
    report = export(str(checkpoint), tmp_path / "out")
    spec = report.manifest.tokenizer
    assert (spec.type, spec.k, spec.bos, spec.eos) == ("kmer", 6, "<cls>", None)
    lm = OnnxLM(report.manifest)
    assert lm.tokenizer.encode("ACGTAC" * 10).ids.tolist() == tok("ACGTAC" * 10)["input_ids"]
    with pytest.raises(ModelError, match=r"this one is 100 bp \(the nearest that work: 96 or 102 bp\)"):
        lm.score(["A" * 100])


def _dnabert1_pll(model, tok, seq: str, k: int) -> float:
    """DNABERT's PLL written out one base at a time: mask every k-mer token containing base
    i, read each masked token's probability of the k-mers with x_i at i's offset, average
    over those tokens, sum log p over bases."""
    kmers = [seq[j:j + k] for j in range(len(seq) - k + 1)]
    ids = torch.tensor([tok(" ".join(kmers))["input_ids"]])  # DNABERT's usage: space-separated k-mers
    vocab = tok.get_vocab()
    total = 0.0
    for i in range(len(seq)):
        covering = [j for j in range(len(kmers)) if j <= i < j + k]
        masked = ids.clone()
        for j in covering:
            masked[0, 1 + j] = tok.mask_token_id  # position 0 is [CLS]
        with torch.no_grad():
            probs = model(input_ids=masked).logits[0].double().softmax(-1)
        p = [sum(float(probs[1 + j, v]) for t, v in vocab.items() if len(t) == k and t[i - j] == seq[i])
             for j in covering]
        total += np.log(np.mean(p))
    return total


def test_dnabert1_overlapping_kmers_mask_every_token_covering_a_base(tmp_path):
    """A BERT whose vocabulary is k-mers only is DNABERT's: mitspec reads the k-mer at each
    base (the ids DNABERT's tokenizer gives space-separated k-mers) and its PLL masks every
    token covering a base, which the slow loop above computes independently."""
    k = 3
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = specials + ["".join(p) for p in itertools.product("ACGT", repeat=k)]
    checkpoint = tmp_path / "dnabert1"
    checkpoint.mkdir()
    (checkpoint / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = transformers.BertTokenizer(str(checkpoint / "vocab.txt"), do_lower_case=False)
    torch.manual_seed(0)
    model = transformers.BertForMaskedLM(transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=48,
        max_position_embeddings=64)).eval()
    model.save_pretrained(checkpoint)
    tok.save_pretrained(checkpoint)
    report = export(str(checkpoint), tmp_path / "out")
    spec = report.manifest.tokenizer
    assert (spec.type, spec.k, spec.bos, spec.eos) == ("kmer_overlap", k, "[CLS]", "[SEP]")
    lm = OnnxLM(report.manifest)
    sequences = ["ACGTTGCAAC", "GATTACA", "CCGTA"]
    for seq in sequences:
        kmers = [seq[j:j + k] for j in range(len(seq) - k + 1)]
        assert lm.tokenizer.encode(seq).ids.tolist() == tok(" ".join(kmers))["input_ids"]
    scores = lm.score(sequences)
    np.testing.assert_allclose(scores.score, [_dnabert1_pll(model, tok, s, k) for s in sequences], atol=1e-4)
    assert scores.tokens.tolist() == [len(s) for s in sequences]  # the unit is the base
    np.testing.assert_allclose(scores.per_nt, scores.score / [len(s) for s in sequences])
    with pytest.raises(ModelError, match="reads overlapping 3-mers, so a sequence needs at least 3 bp"):
        lm.score(["AC"])


def test_weights_over_the_threshold_go_to_one_checked_external_data_file(tmp_path, monkeypatch):
    """Graphs over 2 GiB cannot be one protobuf: past EXTERNAL_DATA_BYTES the weights go to
    model.onnx.data, which the manifest lists with its sha256; scores are unchanged, and
    a changed data file is refused like a changed graph."""
    import mitspec.export.onnx as export_module_

    torch.manual_seed(0)
    model = _FFTConvLM().eval()
    small = export_module_.export_module(model, tmp_path / "inline", _fields("inline"), [5, 6, 7, 8], len(VOCAB))
    monkeypatch.setattr(export_module_, "EXTERNAL_DATA_BYTES", 0)
    large = export_module_.export_module(model, tmp_path / "external", _fields("external"), [5, 6, 7, 8], len(VOCAB))
    assert small.manifest.onnx_data is None
    assert list(large.manifest.onnx_data) == ["model.onnx.data"]
    assert "model.onnx.data" in large.manifest.files  # what a Ray node is sent
    sequences = ["ACGTTGCAAC", "GATTACAGATTACA"]
    np.testing.assert_array_equal(OnnxLM(large.manifest).score(sequences).score,
                                  OnnxLM(small.manifest).score(sequences).score)
    data = tmp_path / "external" / "model.onnx.data"
    data.write_bytes(data.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(ModelError, match=r"model.onnx.data \(the weights of .*model.onnx\) does not match the sha256"):
        OnnxLM(large.manifest)
    data.unlink()
    with pytest.raises(ModelError, match=r"model.onnx.data \(the weights of .*\) does not match .*\(changed, corrupt or missing\)"):
        OnnxLM(large.manifest)


def test_fp16_is_refused_for_checkpoints_mitspec_does_not_implement(checkpoints, tmp_path):
    with pytest.raises(ModelError, match="--fp16 is implemented for the families mitspec implements itself"):
        export(str(checkpoints / "gpt2"), tmp_path / "gpt2_fp16", fp16=True)
    assert not (tmp_path / "gpt2_fp16").exists()
