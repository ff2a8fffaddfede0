"""The keys and types a corpus schema file may have (:func:`dataset_builder.schema.load_schema` reads it).

In a module of its own so that pydantic is imported only when a schema is read, not by
``import dataset_builder`` (the conlleval fast path of the CLI never loads it).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SchemaFile"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class _LayerFile(_Strict):
    description: str | None = ""
    nesting: bool = False
    overlap: bool = False
    levels: int = Field(1, ge=1)
    tag_column: str | None = None
    #: label -> one-line definition (may be left empty)
    labels: dict[str, str | None]


class _LinkEndFile(_Strict):
    layer: str
    labels: list[str] | None = None


class _LinkFile(_Strict):
    description: str | None = ""
    source: _LinkEndFile = Field(alias="from")
    target: _LinkEndFile = Field(alias="to")


class SchemaFile(_Strict):
    name: str = Field(min_length=1)
    description: str | None = ""
    layers: dict[str, _LayerFile]
    links: dict[str, _LinkFile] | None = None
