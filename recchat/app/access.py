"""Who may use what in the app.

Three modes, decided once at start from the environment:
- `local`: loopback bind, no RECCHAT_ADMIN_TOKEN (a developer's machine): every tool works, no token.
- `owner`: RECCHAT_ADMIN_TOKEN set: uploads/builds, Label and Compare are shown but each call must
  carry the token (a password box in those tabs; `owner_token` for `/compare`).
- `public`: no token and a public bind (GRADIO_SERVER_NAME not loopback, or on Spaces: SPACE_ID set):
  those tools are not built at all, so neither their tabs nor their endpoints exist.
Chat and `/recommend` are public in every mode. With RECCHAT_PUBLIC_UPLOADS=1, visitors may also
upload, each catalog named inside the visitor's session (`v-<hash of the session>-<name>`), so it can
neither replace another visitor's catalog nor a bundled or owner's one, and other visitors don't see it.

The owner check runs inside every gated handler, not only in the page: Gradio lets any HTTP client
call a private (browser-only) event by its index, so hiding a button protects nothing by itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from recchat.core.settings import get_settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
VISITOR_RE = re.compile(r"^v-[0-9a-f]{10}-")
VISITOR_NAME_RE = re.compile(r"\bv-[0-9a-f]{10}-[a-z0-9_-]+")


class OwnerOnly(Exception):
    """A gated tool was called without the owner's token."""


@dataclass(frozen=True)
class Access:
    token: str | None  # RECCHAT_ADMIN_TOKEN ("" counts as unset)
    public: bool  # bound beyond loopback, or on Spaces
    public_uploads: bool

    @property
    def mode(self) -> str:
        return "owner" if self.token else ("public" if self.public else "local")

    @property
    def owner_tools(self) -> bool:
        """Are Label, Compare and owner uploads built at all?"""
        return self.mode != "public"

    @property
    def uploads(self) -> bool:
        """Is the upload form built (for the owner, or for visitors when public uploads are on)?"""
        return self.owner_tools or self.public_uploads

    def is_owner(self, given: str | None) -> bool:
        if self.mode == "local":
            return True
        if not self.token:
            return False
        # constant time, so the token cannot be guessed a character at a time from response times
        return hmac.compare_digest((given or "").encode("utf-8"), self.token.encode("utf-8"))

    def require_owner(self, given: str | None) -> None:
        if not self.is_owner(given):
            raise OwnerOnly("this tool needs the owner token (RECCHAT_ADMIN_TOKEN); "
                            "type it in the tab's 'Owner token' box" if self.token else
                            "this tool is off on a public server without RECCHAT_ADMIN_TOKEN")


def current_access() -> Access:
    s = get_settings()
    token = s.admin_token.get_secret_value() if s.admin_token else None
    bind = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1").strip()
    public = bind not in LOOPBACK or bool(os.environ.get("SPACE_ID"))
    return Access(token=token or None, public=public, public_uploads=s.public_uploads)


def visitor_prefix(session_hash: str | None) -> str:
    """`v-` and 10 hex digits of a hash of the session: the namespace of one visitor's uploads."""
    return "v-" + hashlib.sha256((session_hash or "").encode("utf-8")).hexdigest()[:10] + "-"


def visitor_catalog(session_hash: str | None, name: str) -> str:
    return visitor_prefix(session_hash) + (name or "").strip()


def visible(name: str | None, session_hash: str | None) -> bool:
    """Catalogs in another visitor's namespace are hidden from this one (and refused as unknown)."""
    return not name or not VISITOR_RE.match(name) or name.startswith(visitor_prefix(session_hash))


def hide_other_visitors(text: str, session_hash: str | None) -> str:
    """Other visitors' catalog names taken out of a message (e.g. the 'available: …' list)."""
    mine = visitor_prefix(session_hash)
    return VISITOR_NAME_RE.sub(lambda m: m.group(0) if m.group(0).startswith(mine) else "(hidden)", text)
