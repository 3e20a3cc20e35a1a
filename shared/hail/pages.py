"""Publication pages as HTML: one layout per style, and the plain error pages.

Every page is a complete document with its stylesheet inline, allowed by the page's
Content-Security-Policy through the stylesheet's SHA-256 (no 'unsafe-inline', no script
at all). Text is escaped; the editorial is inserted as HTML because it is sanitised
(on write, and once more here, which changes nothing in clean HTML). Knows HTML, not HTTP.
"""

import base64
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from hail.editorial import sanitise

STYLES = ("magazine", "newsletter", "yearbook")
DEFAULT_STYLE = "newsletter"
LOCALHOST = frozenset({"localhost", "127.0.0.1", "::1"})
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")

SANS = (
    '"Inter", "Lato", system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", '
    "Arial, sans-serif"
)
SERIF = (
    '"Iowan Old Style", "Palatino Linotype", Palatino, "TeX Gyre Pagella", "URW Palladio L", '
    "Georgia, serif"
)
DISPLAY = '"Playfair Display", "Bodoni Moda", Didot, "Bodoni 72", "EB Garamond", Georgia, serif'
BOOK = '"EB Garamond", Garamond, "Iowan Old Style", "Palatino Linotype", Georgia, serif'

BASE_CSS = f"""
*, *::before, *::after {{ box-sizing: border-box; }}
html {{ -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }}
body {{ display: flow-root; margin: 0; min-height: 100vh; text-rendering: optimizeLegibility;
  -webkit-font-smoothing: antialiased; overflow-wrap: break-word; }}
h1, h3, h4, p, ul, blockquote {{ margin: 0; }}
.editorial > * + * {{ margin-top: 1em; }}
.editorial a {{ color: inherit; text-decoration-thickness: .08em; text-underline-offset: .18em; }}
.untitled {{ opacity: .65; font-style: italic; }}
.preview-bar {{ position: sticky; top: 0; z-index: 10; margin: 0; padding: .6rem 1rem;
  background: #111827; color: #f9fafb; font: 500 .8125rem/1.4 {SANS}; text-align: center; }}
.preview-bar strong {{ margin-right: .6em; color: #fcd34d; letter-spacing: .14em;
  text-transform: uppercase; }}
"""

GUTTER = "calc(max(0px, (100% - 76rem) / 2) + clamp(1.25rem, 7vw, 6rem))"  # magazine margins

MAGAZINE_CSS = f"""
body {{ background: #f7f3ec; color: #1c1917; font-family: {SERIF}; font-size: 1.125rem;
  line-height: 1.7; }}
.masthead {{ position: relative; overflow: hidden; color: #fff7ed;
  padding: clamp(2.75rem, 8vw, 7rem) {GUTTER} clamp(2.5rem, 6vw, 5rem);
  background:
    radial-gradient(circle at 82% 18%, rgba(251, 146, 60, .60), transparent 36%),
    radial-gradient(circle at 6% 112%, rgba(225, 29, 72, .55), transparent 42%),
    linear-gradient(135deg, #1e1b3a 0%, #2a1f4d 55%, #3d1c40 100%); }}
.masthead::after {{ content: ""; position: absolute; right: -8rem; bottom: -14rem;
  width: 34rem; height: 34rem; border-radius: 50%;
  border: 1px solid rgba(255, 247, 237, .16); box-shadow: 0 0 0 3rem rgba(255, 247, 237, .03); }}
.org {{ font: 700 .78rem/1.2 {SANS}; letter-spacing: .3em; text-transform: uppercase;
  color: #fdba74; }}
.mark {{ display: none; }}
.edition {{ display: inline-block; margin-top: 1rem; padding: .3rem .75rem;
  border: 1px solid rgba(255, 247, 237, .45); border-radius: 999px;
  font: 600 .7rem/1 {SANS}; letter-spacing: .2em; text-transform: uppercase; }}
h1 {{ position: relative; z-index: 1; max-width: 15ch; margin: 1.5rem 0 1.75rem;
  font-family: {DISPLAY}; font-weight: 700; font-size: clamp(2.75rem, 8.5vw, 6.25rem);
  line-height: .98; letter-spacing: -.02em; }}
.date {{ max-width: 30rem; padding-top: 1rem; border-top: 1px solid rgba(255, 247, 237, .35);
  font-style: italic; color: rgba(255, 247, 237, .85); }}
.editorial {{ padding: clamp(2.25rem, 6vw, 4.5rem) {GUTTER}; }}
@media (min-width: 60rem) {{
  .editorial {{ columns: 2 22rem; column-gap: 4rem; column-rule: 1px solid #e4dccd; }}
}}
.editorial > p:first-of-type::first-letter {{ float: left; padding: .06em .12em 0 0;
  font-family: {DISPLAY}; font-weight: 700; font-size: 4.4em; line-height: .8;
  color: #e11d48; }}
.editorial h3 {{ margin-top: 1.75em; font: 700 .8rem/1.4 {SANS}; letter-spacing: .22em;
  text-transform: uppercase; color: #e11d48; break-after: avoid; }}
.editorial h3:first-child {{ margin-top: 0; }}
.editorial h4 {{ font-size: 1.3rem; font-style: italic; font-weight: 600; break-after: avoid; }}
.editorial blockquote {{ column-span: all; margin: 2.25rem 0; padding: 1.5rem 0;
  border-block: 3px double #1c1917; font-family: {DISPLAY}; font-style: italic;
  font-size: clamp(1.5rem, 3.2vw, 2.2rem); line-height: 1.25; text-align: center; }}
.editorial ul {{ padding-left: 1.1em; }}
.editorial li::marker {{ color: #e11d48; }}
.editorial a {{ color: #be123c; }}
.colophon {{ margin: 0 {GUTTER}; padding: 1.5rem 0 3rem; border-top: 1px solid #e4dccd;
  font: 600 .72rem/1.5 {SANS}; letter-spacing: .2em;
  text-transform: uppercase; color: #78716c; }}
"""

NEWSLETTER_CSS = f"""
body {{ background: #e8eef5; color: #1f2937; font-family: {SANS}; font-size: 1.0625rem;
  line-height: 1.7; }}
.page {{ width: calc(100% - 2 * clamp(0rem, 3vw, 1.5rem)); max-width: 42rem;
  margin: clamp(0rem, 5vw, 3.5rem) auto; overflow: hidden; background: #fff;
  border-top: 6px solid #0f766e; border-radius: clamp(0px, 2vw, 14px);
  box-shadow: 0 1px 2px rgba(15, 23, 42, .06), 0 18px 40px -18px rgba(15, 23, 42, .28); }}
.masthead {{ padding: 2rem clamp(1.25rem, 6vw, 3rem) 1.75rem; border-bottom: 1px solid #e5e7eb; }}
.org {{ display: flex; align-items: center; gap: .75rem; font-weight: 650; font-size: .95rem;
  color: #0f766e; }}
.mark {{ display: inline-grid; place-items: center; flex: none; width: 2.25rem; height: 2.25rem;
  border-radius: 50%; background: #0f766e; color: #fff; font-weight: 700; }}
.edition {{ margin-top: 1.75rem; font-size: .72rem; font-weight: 650; letter-spacing: .16em;
  text-transform: uppercase; color: #14b8a6; }}
h1 {{ margin: .35rem 0 .6rem; font-size: clamp(1.8rem, 5.5vw, 2.5rem); font-weight: 800;
  line-height: 1.15; letter-spacing: -.022em; color: #0f172a; }}
.date {{ font-size: .95rem; color: #6b7280; }}
.editorial {{ padding: 1.75rem clamp(1.25rem, 6vw, 3rem) 2.5rem; }}
.editorial h3 {{ margin-top: 1.75em; padding-left: .8rem; border-left: 4px solid #14b8a6;
  font-size: 1.2rem; line-height: 1.35; color: #0f172a; }}
.editorial h3:first-child {{ margin-top: 0; }}
.editorial h4 {{ font-size: 1rem; color: #0f766e; }}
.editorial ul {{ padding: 0; list-style: none; }}
.editorial li {{ position: relative; padding-left: 1.6rem; }}
.editorial li + li {{ margin-top: .4rem; }}
.editorial li::before {{ content: ""; position: absolute; left: .25rem; top: .62em;
  width: .5rem; height: .5rem; border-radius: 2px; background: #14b8a6; }}
.editorial blockquote {{ padding: 1rem 1.25rem; border-radius: 10px; background: #f0fdfa;
  color: #134e4a; font-style: italic; }}
.editorial a {{ color: #0f766e; }}
.colophon {{ padding: 1.25rem clamp(1.25rem, 6vw, 3rem); border-top: 1px solid #e5e7eb;
  background: #f8fafc; font-size: .85rem; color: #6b7280; }}
"""

YEARBOOK_CSS = f"""
body {{ background-color: #ece3cf; color: #2b2418; font-family: {BOOK}; font-size: 1.2rem;
  line-height: 1.6;
  background-image: radial-gradient(rgba(120, 90, 40, .13) 1px, transparent 1.3px);
  background-size: 14px 14px; }}
.page {{ display: grid; width: calc(100% - 2 * clamp(0rem, 4vw, 3.5rem)); max-width: 66rem;
  margin: clamp(0rem, 4vw, 3.5rem) auto; background: #fffdf7;
  border: 1px solid #d8cbad; box-shadow: 0 22px 44px -22px rgba(60, 40, 10, .55); }}
@media (min-width: 54rem) {{ .page {{ grid-template-columns: 21rem 1fr; }} }}
.masthead {{ display: flex; flex-direction: column; padding: 2.5rem 2.25rem;
  background: #1f3d2b; color: #f5ecd7; outline: 1px solid #c9a227; outline-offset: -12px; }}
.masthead::after {{ content: "\\2726 \\2726 \\2726"; margin-top: 1.25rem; color: #c9a227;
  font-size: .8rem; letter-spacing: .6em; }}
.org {{ font: 700 .74rem/1.4 {SANS}; letter-spacing: .3em; text-transform: uppercase;
  color: #e6c65c; }}
.mark {{ display: none; }}
.edition {{ margin: 1.25rem 0 .75rem; font-size: clamp(4.25rem, 12vw, 6.5rem); font-weight: 600;
  line-height: .95; letter-spacing: .01em; font-variant-numeric: lining-nums; color: transparent;
  -webkit-text-stroke: 1.5px #e6c65c; }}
h1 {{ margin-bottom: 1.75rem; font-size: clamp(1.9rem, 4.5vw, 2.6rem); font-style: italic;
  font-weight: 500; line-height: 1.12; }}
.date {{ margin-top: auto; padding-top: 1rem; border-top: 1px solid rgba(230, 198, 92, .45);
  font: 600 .74rem/1.5 {SANS}; letter-spacing: .18em; text-transform: uppercase;
  color: #cfe0d2; }}
.editorial {{ padding: clamp(1.75rem, 5vw, 3.5rem); }}
.editorial h3 {{ display: inline-block; margin-top: 1.75em; padding: .35rem .85rem;
  background: #1f3d2b; color: #f5ecd7; font: 700 .78rem/1.4 {SANS}; letter-spacing: .2em;
  text-transform: uppercase; transform: rotate(-1.5deg); }}
.editorial h3:first-child {{ margin-top: 0; }}
.editorial h4 {{ font-size: 1.35rem; font-style: italic; font-weight: 600; color: #1f3d2b; }}
.editorial blockquote {{ position: relative; margin: 2rem .5rem; padding: 1.5rem 1.75rem;
  background: #fff; font-style: italic; box-shadow: 0 8px 18px -10px rgba(60, 40, 10, .6);
  transform: rotate(-1deg); }}
.editorial blockquote::before {{ content: ""; position: absolute; top: -.7rem; left: 50%;
  width: 6.5rem; height: 1.4rem; margin-left: -3.25rem; background: rgba(201, 162, 39, .35);
  transform: rotate(2deg); }}
.editorial ul {{ padding-left: 1.4em; }}
.editorial li::marker {{ content: "\\2726  "; color: #b08d1a; }}
.editorial a {{ color: #1f3d2b; }}
.colophon {{ grid-column: 1 / -1; padding: 1rem 2rem; border-top: 1px solid #e6dcc4;
  font: 600 .7rem/1.5 {SANS}; letter-spacing: .22em; text-transform: uppercase;
  text-align: center; color: #8a7a5c; }}
"""

ERROR_CSS = f"""
body {{ margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 1.5rem;
  background: #f9fafb; color: #374151; font: 1rem/1.6 {SANS}; }}
h1 {{ margin: 0 0 .25rem; font-size: 1.5rem; color: #111827; }}
p {{ margin: 0; }}
"""

_STYLE_CSS = {"magazine": MAGAZINE_CSS, "newsletter": NEWSLETTER_CSS, "yearbook": YEARBOOK_CSS}


@dataclass(frozen=True, slots=True)
class Document:
    html: str
    content_security_policy: str


def _hash_source(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


@cache
def _stylesheet(style: str) -> tuple[str, str]:
    """(css, its CSP hash source) for a style; computed once per container."""
    css = BASE_CSS + _STYLE_CSS[style] if style in _STYLE_CSS else ERROR_CSS
    return css, _hash_source(css)


def stylesheet_origin(url: str | None) -> str | None:
    """The origin of a custom stylesheet URL, if it is one a page may load: https (or http
    on localhost), a plain host name, no credentials. Anything else is ignored."""
    if not url or any(c.isspace() or c in "'\"<>\\;," for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in LOCALHOST)
    if not secure or not _HOST.match(host) or parts.username or parts.password:
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def content_security_policy(style_hash: str, custom_origin: str | None = None) -> str:
    """No script, no frames, no forms, nothing fetched but the custom stylesheet (and the
    fonts and images it uses, from the same origin)."""
    extra = f" {custom_origin}" if custom_origin else ""
    parts = ["default-src 'none'", f"style-src {style_hash}{extra}"]
    if custom_origin:
        parts += [f"img-src {custom_origin}", f"font-src {custom_origin}"]
    parts += ["base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]
    return "; ".join(parts)


def _day(due_date: str) -> tuple[str, str] | None:
    """('2026-09-01', 'Tuesday 1 September 2026') for a stored due date."""
    try:
        day = datetime.strptime(due_date[:10], "%Y-%m-%d")
    except (TypeError, ValueError):
        return None
    return day.strftime("%Y-%m-%d"), f"{day:%A} {day.day} {day:%B %Y}"


def _edition(style: str, pub: dict) -> str:
    if style == "yearbook":
        return str(pub.get("due_date") or pub.get("created_at") or "")[:4]
    return str((pub.get("style") or {}).get("name") or style.title())


def render(pub: dict, organisation_name: str, *, preview: bool) -> Document:
    """A publication's page, laid out by its style (unknown styles look like newsletters)."""
    style_id = str((pub.get("style") or {}).get("id") or "")
    style = style_id if style_id in _STYLE_CSS else DEFAULT_STYLE
    css, style_hash = _stylesheet(style)
    e = html.escape
    title = pub.get("title") or ""
    org = organisation_name or "Hail"
    heading = f"<h1>{e(title)}</h1>" if title else '<h1 class="untitled">Untitled</h1>'
    day = _day(pub.get("due_date") or "")
    date = f'<p class="date"><time datetime="{day[0]}">{day[1]}</time></p>' if day else ""
    custom_url = pub.get("custom_css_url")
    origin = stylesheet_origin(custom_url)
    custom = f'\n<link rel="stylesheet" href="{e(custom_url)}">' if origin and custom_url else ""
    initial = next((c for c in org if c.isalnum()), "H").upper()
    bar = (
        '<p class="preview-bar" role="status"><strong>Preview</strong>'
        "Not published yet: only people with a preview link can see this page.</p>\n"
        if preview
        else ""
    )
    robots = '\n<meta name="robots" content="noindex">' if preview else ""
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">{robots}
<title>{e(title or "Untitled")} · {e(org)}</title>
<style>{css}</style>{custom}
</head>
<body class="{style}">
{bar}<div class="page">
<header class="masthead">
<p class="org"><span class="mark" aria-hidden="true">{e(initial)}</span>{e(org)}</p>
<p class="edition">{e(_edition(style, pub))}</p>
{heading}
{date}
</header>
<article class="editorial">
{sanitise(str(pub.get("editorial") or ""))}
</article>
<footer class="colophon">{e(org)} · {e(_edition(style, pub))}</footer>
</div>
</body>
</html>
"""
    return Document(page, content_security_policy(style_hash, origin))


def error_page(heading: str, text: str) -> Document:
    """A plain page that says what happened and nothing about why (or about what exists)."""
    css, style_hash = _stylesheet("error")
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


NOT_FOUND = ("Page not found", "There is no page at this address.")


def not_found() -> Document:
    return error_page(*NOT_FOUND)


def etag(document: Document) -> str:
    return '"' + hashlib.sha256(document.html.encode()).hexdigest()[:32] + '"'
