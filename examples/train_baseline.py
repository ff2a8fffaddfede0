"""Train the linear baseline on a built akhbar dataset, evaluate it on the test split, save everything.

The dataset is read the way any Hugging Face user would read it:

* a built version directory (``akhbar build`` -> ``out/<name>/<version>``) with
  ``datasets.load_from_disk``: ``<version>/tokens`` for training, ``<version>/documents`` for scoring;
* a Hub-layout export (``akhbar export``) with ``datasets.load_dataset(folder, "tokens")`` -- pass
  ``--hub-layout``. A Hub repo id works the same way once the dataset is published.

Then: train :class:`eval.baselines.linear.LinearTokenClassifier` on the ``train`` split of the
``tokens`` config, predict character spans on the ``test`` split of the ``documents`` config, score
them with :func:`eval.evaluate.evaluate` (all four matching modes, bootstrap 95% intervals), and
write into ``--out``:

* ``predictions.jsonl`` -- the predictions in akhbar's standoff JSONL (``akhbar eval --pred`` reads it);
* ``result.json`` -- the full evaluation result (``akhbar compare`` reads it);
* ``model.json`` -- the model's settings and what it learned (clitic convention, classes, timing).

Usage::

    akhbar build corpora/recipes/newsfane-gold.yaml --data-dir ../shared/corpora --out out
    python examples/train_baseline.py out/newsfane-gold/1.0.0 --out runs/newsfane-linear
    akhbar export out/newsfane-gold/1.0.0 --out out/hub/newsfane-gold
    python examples/train_baseline.py out/hub/newsfane-gold --hub-layout --out runs/newsfane-linear-hub

It runs in about a minute on two CPU cores for NewsFANE Gold (132k training words).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any


def load_split(source: str, config: str, split: str, *, hub_layout: bool) -> Any:
    """One split of one config (``tokens`` or ``documents``) as a ``datasets.Dataset``."""
    import datasets

    if hub_layout:
        return datasets.load_dataset(source, config, split=split)
    return datasets.load_from_disk(str(Path(source) / config))[split]


def dataset_identity(source: str) -> dict[str, Any]:
    """Name, version and fingerprint from ``manifest.json`` (both layouts carry one), else ``{}``."""
    manifest = Path(source) / "manifest.json"
    if not manifest.is_file():
        return {}
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return {key: data.get(key) for key in ("name", "version", "fingerprint")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="built version directory, or an export folder with --hub-layout")
    parser.add_argument("--out", type=Path, required=True, help="folder for predictions.jsonl, result.json, model.json")
    parser.add_argument("--hub-layout", action="store_true", help="read an `akhbar export` folder with load_dataset")
    parser.add_argument("--train-split", default="train")
    parser.add_argument("--test-split", default="test")
    parser.add_argument("--tag-column", default=None, help="tag column of the tokens config (default: the only one)")
    parser.add_argument("--layer", default="entities", help="annotation layer of the tag column")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from eval.baselines.linear import LinearTokenClassifier, tagged_sentences
    from eval.benchmark import write_predictions
    from eval.evaluate import evaluate
    from eval.gold import DatasetRef, GoldSet, content_fingerprint, documents_from_dataset
    from eval.model import run_model
    from eval.options import BootstrapOptions, ScoringOptions
    from eval.report import render

    def split_of(config: str, split: str) -> Any:
        return load_split(args.dataset, config, split, hub_layout=args.hub_layout)

    train_rows = split_of("tokens", args.train_split)
    # The training documents teach the model the corpus' clitic convention (is و in وبوتين inside the span?).
    train_documents = documents_from_dataset(split_of("documents", args.train_split))
    test_documents = documents_from_dataset(split_of("documents", args.test_split),
                                            source=f"{args.dataset}:{args.test_split}")
    labels = {span.label for doc in test_documents for span in doc.spans if span.layer == args.layer}
    train = tagged_sentences(train_rows, tag_column=args.tag_column, labels=labels or None,
                             source=f"{args.dataset}:{args.train_split}")
    print(f"train: {len(train.words)} sentences, {sum(map(len, train.words))} words ({train.tag_column}); "
          f"test: {len(test_documents)} documents", file=sys.stderr)

    started = time.perf_counter()
    model = LinearTokenClassifier(layer=args.layer, epochs=args.epochs, random_state=args.seed)
    model.fit(train.words, train.tags, documents=train_documents)
    print(f"trained in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    run = run_model(model, test_documents, progress=False)
    identity = dataset_identity(args.dataset)
    ref = DatasetRef(identity.get("name"), identity.get("version"),
                     identity.get("fingerprint") or content_fingerprint(test_documents), "documents",
                     args.test_split, args.dataset)
    result = evaluate(GoldSet(test_documents, ref), list(run), options=ScoringOptions(layers=(args.layer,)),
                      intervals=BootstrapOptions(resamples=args.bootstrap, seed=args.seed))

    args.out.mkdir(parents=True, exist_ok=True)
    write_predictions(args.out / "predictions.jsonl", test_documents, run)
    (args.out / "result.json").write_text(result.to_json(include_texts=False), encoding="utf-8")
    (args.out / "model.json").write_text(json.dumps(model.describe(), ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    print(render(result, "table"))
    print(f"wrote {args.out}/predictions.jsonl, result.json, model.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
