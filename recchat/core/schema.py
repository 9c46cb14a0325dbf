"""The one catalog schema and the shapes recchat answers with."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

Task = Literal["search", "recommend"]


class Item(BaseModel):
    """One catalog item, whatever the source. `text` is what full-text search and the cards read;
    the embedder reads `embed_text` when set (text without the model's guessed genres), else `text`."""

    id: str
    title: str
    text: str
    embed_text: str | None = None
    language: str = "en"
    domain: str = "generic"
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", "title", mode="before")
    @classmethod
    def _strip(cls, v: Any) -> str:
        return str(v).strip()

    @field_validator("title")
    @classmethod
    def _non_empty(cls, v: str) -> str:
        if not v:
            raise ValueError("empty title")
        return v


class RecItem(BaseModel):
    id: str
    title: str
    score: float
    evidence: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class Timings(BaseModel):
    ttft_s: float | None = None
    decode_tok_s: float | None = None
    gen_tokens: int = 0
    retrieval_ms: float = 0.0
    total_s: float = 0.0


class Answer(BaseModel):
    """What `recchat ask --json` prints and the `/recommend` API returns."""

    task: Task
    language: str
    query: str
    history: list[str] = Field(default_factory=list)
    catalog: str
    checkpoint: str
    rationale: str = ""
    rationale_used: bool = True
    why: str = ""  # one sentence on why shown items fit, naming one (recchat.prompts.why_prompt)
    items: list[RecItem] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)
    notices: list[str] = Field(default_factory=list)
