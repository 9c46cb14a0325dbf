"""User-facing errors: one clear line, no traceback (the CLI exits 2, the UI shows the text)."""


class RecchatError(Exception):
    """An input or setup problem the user can fix; the message says how."""


class UnknownCatalog(RecchatError):
    pass


class UnknownCheckpoint(RecchatError):
    pass


class EmbedderMismatch(RecchatError):
    pass


class BadInput(RecchatError):
    pass
