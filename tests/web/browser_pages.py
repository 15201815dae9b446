"""Pages of the web app in headless Debian Chromium that may only talk to the local
server, optionally with some API answers stubbed in the browser."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

CHROMIUM = "/usr/bin/chromium"
# Offline, quiet, container-friendly Chromium: no sandbox (root in a container), no
# background fetches of any kind.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def open_page(
    browser: Any, base_url: str, stubs: Mapping[str, tuple[int, Any]] | None = None
) -> Iterator[Any]:
    """The page at `base_url`; `stubs` maps an API path ("/model") to the (status, JSON
    body) the browser gets instead of the server's answer, from the first load on.

    Anything the page fetches from elsewhere, and any script error, fails the test.
    """
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    outside: list[str] = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    errors: list[str] = []
    try:
        context.route("**/*", only_local)
        page = context.new_page()
        # Page routes win over the context's: the stubs answer before the server is asked.
        for path, (status, body) in (stubs or {}).items():
            page.route(base_url + path, _fulfil(status, body))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_default_timeout(10_000)
        page.goto(base_url + "/")
        yield page
    finally:
        context.close()
    assert errors == [], errors
    assert outside == [], outside


def _fulfil(status: int, body: Any) -> Any:
    def answer(route: Any) -> None:
        if body is None:  # no answer at all, as when the network fails
            route.abort()
        else:
            route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    return answer
