"""Prompts for an LLM extractor, written from the dataset's own schema.

A prompt template is a text file with a ``[system]`` and a ``[user]`` section and
:class:`string.Template` placeholders: ``$labels`` (one line per label with its one-line definition
from the schema), ``$quotes`` (the quote layer and its speaker link, empty when the dataset has none),
``$answer_format`` (the JSON the model must return) and, in the user section, ``$text`` (the article).
The default is ``eval/runners/templates/extract.txt``; users pass their own with ``--prompt FILE``.
The sha256 of the template text goes into the run record, so two runs with different prompts are
never mistaken for each other.

``--shots K`` adds K worked examples (user: article, assistant: its gold answer) drawn from the
training split in a fixed order (sha256 of ``seed:doc_id``), so the same K give the same prompt on
every machine; they never come from the split being scored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from dataset_builder.model import Document
from dataset_builder.problems import InputError, Problem
from dataset_builder.schema import Schema

DEFAULT_TEMPLATE = Path(__file__).with_name("templates") / "extract.txt"
ENTITY_LAYER = "entities"
QUOTE_LAYER = "quotes"
SPEAKER_LINK = "speaker"


@dataclass(frozen=True)
class LabelInventory:
    """What the model is asked to find: entity labels with definitions, and the quote labels if any."""

    entity_labels: tuple[tuple[str, str], ...]
    quote_labels: tuple[tuple[str, str], ...] = ()
    speaker_definition: str = ""

    @property
    def has_quotes(self) -> bool:
        return bool(self.quote_labels)

    @classmethod
    def from_schema(cls, schema: Schema) -> LabelInventory:
        entities = schema.layer(ENTITY_LAYER) if ENTITY_LAYER in schema.layer_names else schema.layers[0]
        quotes = schema.layer(QUOTE_LAYER) if QUOTE_LAYER in schema.layer_names else None
        speaker = next((link for link in schema.links if link.name == SPEAKER_LINK), None)
        return cls(
            tuple((label.name, label.definition) for label in entities.labels),
            tuple((label.name, label.definition) for label in quotes.labels) if quotes else (),
            speaker.description if speaker else "",
        )

    @classmethod
    def from_documents(cls, documents: Sequence[Document]) -> LabelInventory:
        """Labels seen in gold documents, without definitions: for datasets that carry no schema."""
        entity = sorted({s.label for d in documents for s in d.spans if s.layer == ENTITY_LAYER})
        quote = sorted({s.label for d in documents for s in d.spans if s.layer == QUOTE_LAYER})
        return cls(tuple((label, "") for label in entity), tuple((label, "") for label in quote),
                   "" if not quote else "The person who said the quotation.")

    def response_schema(self) -> dict[str, Any]:
        """The JSON schema of an answer (for ``response_format={"type": "json_schema", ...}``)."""
        mention = {"type": "object", "additionalProperties": False, "required": ["text", "label"],
                   "properties": {"text": {"type": "string"},
                                  "label": {"type": "string", "enum": [name for name, _ in self.entity_labels]}}}
        properties: dict[str, Any] = {"mentions": {"type": "array", "items": mention}}
        if self.has_quotes:
            properties["quotes"] = {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["text", "label", "speaker"],
                "properties": {"text": {"type": "string"}, "speaker": {"type": ["string", "null"]},
                               "label": {"type": "string", "enum": [name for name, _ in self.quote_labels]}}}}
        return {"type": "object", "additionalProperties": False, "required": list(properties),
                "properties": properties}


@dataclass(frozen=True)
class PromptTemplate:
    """A template file's two sections and the sha256 of its text."""

    system: str
    user: str
    sha256: str
    path: str

    @classmethod
    def load(cls, path: str | Path | None = None) -> PromptTemplate:
        path = Path(path) if path is not None else DEFAULT_TEMPLATE
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(Problem("prompt-unreadable", f"cannot read the prompt template: {exc.strerror}.",
                                     "Pass an existing text file to --prompt.", path=str(path))) from None
        if "[system]" not in text or "[user]" not in text or "$text" not in text.split("[user]", 1)[1]:
            raise InputError(Problem(
                "prompt-sections", "a prompt template needs a `[system]` section and a `[user]` section holding "
                "`$text`.", f"Start from {DEFAULT_TEMPLATE.name} in eval/runners/templates/.", path=str(path)))
        system, user = text.split("[system]", 1)[1].split("[user]", 1)
        return cls(system.strip("\n"), user.strip("\n"), hashlib.sha256(text.encode("utf-8")).hexdigest(), str(path))


def _label_lines(labels: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"- {name}: {definition}" if definition else f"- {name}" for name, definition in labels)


def answer_of(document: Document, inventory: LabelInventory) -> dict[str, Any]:
    """The gold answer of a document in the offset-free mention format (for shots)."""
    mentions = [{"text": document.text[s.start:s.end], "label": s.label}
                for s in sorted(document.spans, key=lambda s: (s.start, -s.end)) if s.layer == ENTITY_LAYER]
    answer: dict[str, Any] = {"mentions": mentions}
    if inventory.has_quotes:
        by_id = {span.id: span for span in document.spans}
        speaker_of = {link.source: by_id.get(link.target) for link in document.links if link.type == SPEAKER_LINK}
        quotes = []
        for span in sorted(document.spans, key=lambda span: span.start):
            if span.layer != QUOTE_LAYER:
                continue
            speaker = speaker_of.get(span.id)
            quotes.append({"text": document.text[span.start:span.end], "label": span.label,
                           "speaker": document.text[speaker.start:speaker.end] if speaker else None})
        answer["quotes"] = quotes
    return answer


def draw_shots(train: Sequence[Document], k: int, *, seed: int = 0, exclude_ids: frozenset[str] = frozenset()
               ) -> list[Document]:
    """``k`` training documents in the fixed order of sha256(``seed:doc_id``), skipping ``exclude_ids``."""
    if k <= 0:
        return []
    def rank(doc: Document) -> str:
        return hashlib.sha256(f"{seed}:{doc.id}".encode()).hexdigest()
    return sorted((d for d in train if d.id not in exclude_ids), key=rank)[:k]


@dataclass(frozen=True)
class PromptBuilder:
    """Turns a document into chat messages: system (labels, rules), shots, then the article."""

    template: PromptTemplate
    inventory: LabelInventory
    shots: tuple[Document, ...] = ()

    def _answer_format(self) -> str:
        if self.inventory.has_quotes:
            return ('{"mentions": [{"text": "...", "label": "..."}], '
                    '"quotes": [{"text": "...", "label": "...", "speaker": "..." or null}]}')
        return '{"mentions": [{"text": "...", "label": "..."}]}'

    def _quotes_section(self) -> str:
        if not self.inventory.has_quotes:
            return ""
        return ("\nAlso find reported speech (quotations) with these labels; give each quotation's text and its "
                f"speaker as the name written in the article (null when the article does not name one). "
                f"{self.inventory.speaker_definition}\n{_label_lines(self.inventory.quote_labels)}\n")

    def messages(self, document: Document) -> list[dict[str, str]]:
        values = {"labels": _label_lines(self.inventory.entity_labels), "quotes": self._quotes_section(),
                  "answer_format": self._answer_format()}
        system = Template(self.template.system).safe_substitute(values)
        messages = [{"role": "system", "content": system}]
        for shot in self.shots:
            messages.append({"role": "user", "content": Template(self.template.user).safe_substitute(
                values, text=shot.text)})
            messages.append({"role": "assistant", "content": json.dumps(answer_of(shot, self.inventory),
                                                                        ensure_ascii=False)})
        messages.append({"role": "user", "content": Template(self.template.user).safe_substitute(
            values, text=document.text)})
        return messages


__all__ = ["DEFAULT_TEMPLATE", "LabelInventory", "PromptBuilder", "PromptTemplate", "answer_of", "draw_shots"]
