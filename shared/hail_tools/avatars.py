"""Generated avatars for the demo: initials on a colour picked from the name, as SVG.

A real deployment stores any image URL in `avatar_url` (an S3/CloudFront object, say);
`make run` plays that image host itself, so the demo's avatars are ordinary URLs too
(`http://127.0.0.1:3003/avatars/alice.svg?size=150`), served by the local sign-in server
and never fetched from outside the machine.
"""

import hashlib
from html import escape

# Background colours with enough contrast for white initials (WCAG AA for large text).
PALETTE = ("#1d4e89", "#8a3b12", "#2f6b3a", "#6a2c70", "#8c1c3a", "#245e6b", "#5b4a14")
DEFAULT_SIZE = 150
MAX_SIZE = 1000


def initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").replace("_", " ").split() if w]
    letters = "".join(w[0] for w in words[:2]) or "?"
    return letters.upper()


def svg(name: str, size: int = DEFAULT_SIZE, *, rounded: bool = True) -> str:
    """A square avatar of `size` pixels: a circle (users) or a rounded square
    (organisations) with the name's initials."""
    size = max(16, min(MAX_SIZE, size))
    colour = PALETTE[hashlib.sha256(name.encode()).digest()[0] % len(PALETTE)]
    shape = (
        '<circle cx="50" cy="50" r="50"' if rounded else '<rect width="100" height="100" rx="14"'
    )
    label = escape(name)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 100 100" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'{shape} fill="{colour}"/>'
        '<text x="50" y="50" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="Helvetica, Arial, sans-serif" font-size="40" font-weight="600">'
        f"{escape(initials(name))}</text></svg>"
    )
