"""One exception type for mistakes a user can make; the CLI prints its message and exits 2."""


class GapbenchError(Exception):
    """A user-facing error with a one-line message naming the file, line or field at fault."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class ModelCallError(Exception):
    """A model call that failed after retries; recorded as an error for that item, never a score."""

    def __init__(self, message: str, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable
