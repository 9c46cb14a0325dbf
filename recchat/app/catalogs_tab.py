"""The Catalogs tab: the list of catalogs, and uploads (the owner's, or visitors' in their own namespace)."""

from __future__ import annotations

import gradio as gr

from recchat.app.access import Access, OwnerOnly, visible, visitor_catalog
from recchat.app.events import private
from recchat.app.messages import shown
from recchat.catalog import build as cat
from recchat.catalog.upload import add_catalog
from recchat.core.errors import RecchatError

HEADERS = ["name", "domain", "language", "items", "built", "source"]


def catalogs_table(session_hash: str | None = None) -> list[list]:
    """Every catalog this visitor may see (other visitors' uploads are left out)."""
    return [[c["name"], c["domain"], c["language"], c["items"], "yes" if c["built"] else "no", c["source"]]
            for c in cat.list_catalogs() if visible(c["name"], session_hash)]


def catalog_choices(session_hash: str | None = None) -> list[tuple[str, str]]:
    return [(f"{c['name']} ({c['items']:,} items, {c['language']})", c["name"])
            for c in cat.list_catalogs() if c["built"] and visible(c["name"], session_hash)]


def upload_name(access: Access, name: str, token: str | None, session_hash: str | None) -> str:
    """The catalog name an upload gets: as typed for the owner, inside the visitor's namespace otherwise."""
    name = (name or "").strip()
    if not name:
        raise gr.Error("give the catalog a name (lowercase letters, digits, '-' and '_')")
    if access.is_owner(token):
        return name
    if token:  # a wrong token is an error, not a silent visitor upload
        raise gr.Error("wrong owner token")
    if access.public_uploads:
        return visitor_catalog(session_hash, name)
    try:
        access.require_owner(token)
    except OwnerOnly as e:
        raise gr.Error(str(e)) from None
    return name


def add_tab(access: Access, cat_dd, token_box_factory):
    """Build the tab (inside the page's gr.Tabs); returns the table, for the page's load event."""
    table = gr.Dataframe(catalogs_table(), headers=HEADERS, interactive=False, label="Catalogs",
                         elem_id="catalogs-table")
    if not access.uploads:
        gr.Markdown("Uploads are off on this server (the owner can enable them: see the README).")
        return table
    note = ("Add your own: CSV, TSV, JSON, JSONL or Parquet with a title column."
            + (" Your uploads are visible to your session only and named `v-<your session>-<name>`."
               if access.public_uploads and access.mode != "local" else ""))
    gr.Markdown(note)
    token = token_box_factory(access)
    with gr.Row():
        up_name = gr.Textbox(label="Catalog name", placeholder="my-books", max_length=64)
        up_id = gr.Textbox(label="id column (optional)")
        up_title = gr.Textbox(label="title column (optional)")
        up_text = gr.Textbox(label="text column (optional)")
    up_file = gr.File(label="File", file_types=[".csv", ".tsv", ".json", ".jsonl", ".parquet"])
    up_btn = gr.Button("Build catalog", variant="primary")

    def upload(name, file, id_col, title_col, text_col, tok, request: gr.Request, progress=gr.Progress()):
        sh = request.session_hash if request else None
        final = upload_name(access, name, tok, sh)
        if file is None:
            raise gr.Error("choose a file to upload")
        path = file if isinstance(file, str) else getattr(file, "name", None) or file.get("path")

        def cb(done, total, what):
            progress(done / max(total, 1), desc=what)

        try:
            info = add_catalog(final, path, id_col=id_col or None, title_col=title_col or None,
                               text_col=text_col or None, progress=cb)
        except RecchatError as e:
            raise gr.Error(shown(e, "upload")) from None
        gr.Info(f"catalog {info.name!r} built with {info.items} items")
        return catalogs_table(sh), gr.update(choices=catalog_choices(sh), value=info.name)

    # one build at a time: builds are CPU-bound, and two at once on one name used to race
    up_btn.click(upload, [up_name, up_file, up_id, up_title, up_text, token], [table, cat_dd],
                 **private("upload"), concurrency_id="build", concurrency_limit=1)
    return table
