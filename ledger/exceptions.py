class LedgerError(Exception):
    """A business rule refused the change. ``code`` is machine-readable, the message is French."""

    code = "refused"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class OrderStateError(LedgerError):
    code = "order_state"
