"""Event options shared by the app's tabs."""

from __future__ import annotations

from recchat.core.settings import get_settings


def private(name: str) -> dict:
    """A page-only event. Gradio names private events too (after the function) and de-duplicates names
    across all events, so an unnamed `compare` click pushed the documented `/compare` to `/compare_1`:
    every private event gets a `ui_` name that no endpoint uses."""
    return {"api_name": "ui_" + name, "api_visibility": "private"}


def llm_group() -> dict:
    """Every event that runs the model shares one queue group as wide as the llama.cpp pool, so requests
    wait in Gradio's queue (and see their position) instead of holding a worker on the pool's lock."""
    return {"concurrency_id": "llm", "concurrency_limit": max(1, get_settings().llm_pool_size)}
