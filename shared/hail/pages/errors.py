"""The plain pages of errors: what happened, and nothing about why (or about what exists)."""

import html
from functools import cache

from hail.pages.css import ERROR_CSS
from hail.pages.security import Document, content_security_policy, hash_source

NOT_FOUND = ("Page not found", "There is no page at this address.")


@cache
def _stylesheet() -> tuple[str, str]:
    return ERROR_CSS, hash_source(ERROR_CSS)


def error_page(heading: str, text: str) -> Document:
    css, style_hash = _stylesheet()
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>{html.escape(heading)}</title>
<style>{css}</style>
</head>
<body>
<main>
<h1>{html.escape(heading)}</h1>
<p>{html.escape(text)}</p>
</main>
</body>
</html>
"""
    return Document(page, content_security_policy(style_hash))


def not_found() -> Document:
    return error_page(*NOT_FOUND)
