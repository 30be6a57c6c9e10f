"""The plain HTTP transport of the government API clients (``operators.sirene``,
``geo.geocoding``): a GET of an http(s) URL with a timeout and a size cap."""

import urllib.request


def get(url: str, timeout: float, max_bytes: int) -> bytes:
    """The body of ``GET url`` (JSON asked), at most ``max_bytes + 1`` bytes so the caller can
    tell a too long answer. Raises ValueError for a URL that is not http(s), and urllib's
    errors (HTTPError, URLError, TimeoutError) otherwise."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(url)
    request = urllib.request.Request(  # noqa: S310 — http(s) only, checked above
        url, headers={"Accept": "application/json", "User-Agent": "Passnum/1.0"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — checked
        return response.read(max_bytes + 1)
