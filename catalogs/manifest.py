"""One manifest per catalog: what it is, where it comes from, how to load it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

HERE = Path(__file__).resolve().parent
BUNDLED = HERE / "data"


class Manifest(BaseModel):
    name: str
    domain: str
    language: str = "en"
    description: str = ""
    source: str = ""
    licence: str = ""
    loader: str  # "module:function" under catalogs.loaders
    bundled: bool = False  # data ships in catalogs/data/<name>, no data dir needed
    files: dict[str, str] = Field(default_factory=dict)  # role -> path (relative to data dir or bundle)
    fields: dict[str, Any] = Field(default_factory=dict)  # field mapping / loader options
    interactions: str | None = None  # role in `files` holding the interaction log, if any
    # metadata fields for the item prior when there is no log: {count: FIELD, rating: FIELD}
    prior: dict[str, str] = Field(default_factory=dict)

    def path(self, role: str, data_dir: Path | None) -> Path:
        rel = self.files[role]
        if self.bundled and (BUNDLED / self.name / Path(rel).name).exists():
            return BUNDLED / self.name / Path(rel).name
        if data_dir is None:
            raise FileNotFoundError(
                f"catalog {self.name!r} needs the public data sets: set RECCHAT_DATA_DIR (file {rel})"
            )
        return Path(data_dir) / rel


def load_manifests() -> dict[str, Manifest]:
    out = {}
    for p in sorted(HERE.glob("*.yaml")):
        m = Manifest(**yaml.safe_load(p.read_text(encoding="utf-8")))
        out[m.name] = m
    return out
