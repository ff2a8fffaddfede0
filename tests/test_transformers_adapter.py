"""TransformersTokenClassifier on a tiny, randomly initialised BERT created here (no download).

The WordPiece vocabulary is built from the bundled SANA article itself: every character (as a word
start and as a ``##`` continuation) plus its most frequent words, so that most words are one
sub-token and the rest split into several -- which is what first-sub-token labelling must handle.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the transformers extra (torch) is not installed")
transformers = pytest.importorskip("transformers", reason="the transformers extra is not installed")

from dataset_builder.model import Document  # noqa: E402
from dataset_builder.problems import InputError  # noqa: E402
from dataset_builder.readers.jsonl import read_jsonl  # noqa: E402
from eval.baselines._words import repair_bio, sentence_words  # noqa: E402
from eval.baselines.transformers_adapter import TransformersTokenClassifier  # noqa: E402
from eval.evaluate import evaluate  # noqa: E402
from eval.model import run_model  # noqa: E402
from eval.options import NO_INTERVALS, ScoringOptions  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpora" / "sana-sample" / "sana-sample.jsonl"
LABELS = ["O", "B-PERS", "I-PERS", "B-LOC", "I-LOC"]


@pytest.fixture(scope="module")
def sana() -> Document:
    documents = [item for item in read_jsonl(CORPUS) if isinstance(item, Document)]
    assert len(documents) == 1
    return documents[0]


def _save_tiny_bert(folder: Path, text: str, *, n_words: int = 60, max_positions: int = 512) -> Path:
    words = Counter(text.split())
    chars = sorted(c for c in set(text) if unicodedata.category(c)[0] not in "CZ")  # no spaces or controls
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars)]
    vocab += [w for w, _ in words.most_common(n_words) if w not in vocab]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    options = {"do_lower_case": False, "tokenize_chinese_chars": False, "strip_accents": False}
    if int(transformers.__version__.split(".")[0]) >= 5:  # v5 takes the vocabulary itself, v4 a file
        tokenizer = transformers.BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)}, **options)
    else:  # pragma: no cover - transformers 4
        tokenizer = transformers.BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), **options)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=max_positions, id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    torch.manual_seed(0)
    model = transformers.BertForTokenClassification(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory, sana: Document) -> Path:
    return _save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), sana.text)


def _force(folder: Path, target: Path, label: str) -> Path:
    """A copy of the model whose classifier ignores its input and always prefers ``label``."""
    model = transformers.BertForTokenClassification.from_pretrained(folder, local_files_only=True)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([1.0 if name == label else 0.0 for name in LABELS]))
    model.save_pretrained(target)
    transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True).save_pretrained(target)
    return target


def test_first_sub_token_labels_agree_with_a_direct_forward_pass(tiny_bert: Path, sana: Document) -> None:
    model = TransformersTokenClassifier(tiny_bert)
    sentences = [[sana.text[a:b] for a, b in words] for words in sentence_words(sana)]
    tokenizer = model.tokenizer
    split_words = sum(len(tokenizer(w, add_special_tokens=False)["input_ids"]) > 1 for s in sentences for w in s)
    assert split_words > 50  # the vocabulary really forces multi-piece words
    expected = []
    for words in sentences:  # one sentence at a time, no padding: the reference computation
        encoding = tokenizer(words, is_split_into_words=True, return_tensors="pt")
        with torch.no_grad():
            ids = model.model(**encoding).logits[0].argmax(-1).tolist()
        labels: dict[int, str] = {}
        for position, word in enumerate(encoding.word_ids(0)):
            if word is not None and word not in labels:
                labels[word] = LABELS[ids[position]]
        expected.append(repair_bio([labels.get(i, "O") for i in range(len(words))]))
    assert model.predict_tags(sentences) == expected  # batched and padded, the same labels


def test_every_word_becomes_its_own_span_when_b_always_wins(tiny_bert: Path, sana: Document, tmp_path: Path) -> None:
    model = TransformersTokenClassifier(_force(tiny_bert, tmp_path / "b", "B-PERS"), batch_size=4)
    (spans,) = model.predict([sana])
    words = [word for sentence in sentence_words(sana) for word in sentence]
    assert [(s.start, s.end) for s in spans] == words
    assert all(s.text == sana.text[s.start:s.end] and s.label == "PERS" and s.layer == "entities" for s in spans)


def test_i_tags_are_repaired_into_one_chunk_per_sentence(tiny_bert: Path, sana: Document, tmp_path: Path) -> None:
    model = TransformersTokenClassifier(_force(tiny_bert, tmp_path / "i", "I-LOC"))
    (spans,) = model.predict([sana])
    sentences = sentence_words(sana)
    assert [(s.start, s.end) for s in spans] == [(words[0][0], words[-1][1]) for words in sentences]
    assert {s.label for s in spans} == {"LOC"}


def test_long_sentences_are_cut_into_windows_of_whole_words(tiny_bert: Path, sana: Document, tmp_path: Path) -> None:
    forced = _force(tiny_bert, tmp_path / "w", "B-LOC")
    short = TransformersTokenClassifier(forced, max_length=16)
    sentences = [[sana.text[a:b] for a, b in words] for words in sentence_words(sana)]
    longest = max(sentences, key=len)
    windows = short._windows(longest)
    assert len(windows) > 1 and windows[0][0] == 0 and windows[-1][1] == len(longest)
    assert all(a < b for a, b in windows) and all(b == c for (_, b), (c, _) in pairwise(windows))
    assert short.predict_tags(sentences) == [["B-LOC"] * len(s) for s in sentences]


def test_runs_through_run_model_and_evaluate(tiny_bert: Path, sana: Document) -> None:
    model = TransformersTokenClassifier(tiny_bert)
    run = run_model(model, [sana], progress=False)
    assert run.problems == [] and run.model_name == f"transformers:{tiny_bert.name}"
    result = evaluate([sana], model, options=ScoringOptions(layers=("entities",), modes=("strict",)),
                      intervals=NO_INTERVALS)
    assert result.score().n_pred == len(run.mentions)


def test_refuses_a_folder_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"config\.json"):
        TransformersTokenClassifier(tmp_path)


def test_refuses_labels_that_are_not_iob2(tiny_bert: Path, tmp_path: Path) -> None:
    model = transformers.BertForTokenClassification.from_pretrained(tiny_bert, local_files_only=True)
    model.config.id2label = {i: f"LABEL_{i}" for i in range(len(LABELS))}
    model.config.label2id = {f"LABEL_{i}": i for i in range(len(LABELS))}
    model.save_pretrained(tmp_path)
    transformers.AutoTokenizer.from_pretrained(tiny_bert, local_files_only=True).save_pretrained(tmp_path)
    with pytest.raises(InputError, match="not IOB2"):
        TransformersTokenClassifier(tmp_path)
