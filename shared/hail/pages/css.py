"""The CSS every page shares: font stacks (system fonts only: nothing is fetched), a small
reset, the preview banner, and the parts of an article (pictures, gallery, videos, tags)
that each style then dresses."""

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
  -webkit-font-smoothing: antialiased; overflow-wrap: break-word; overflow-wrap: anywhere; }}
h1, h2, h3, h4, p, ul, ol, blockquote, figure {{ margin: 0; }}
img {{ display: block; max-width: 100%; height: auto; }}
.editorial > * + *, .prose > * + *, .lead > * + * {{ margin-top: 1em; }}
.editorial a, .prose a, .lead a {{ color: inherit; text-decoration-thickness: .08em;
  text-underline-offset: .18em; }}
.prose ul, .prose ol {{ padding-left: 1.4em; }}
.prose li + li {{ margin-top: .35em; }}
.prose figure {{ padding: 1rem 1.25rem; border-left: 3px solid currentColor; }}
.prose figcaption {{ margin-top: .5rem; font-size: .85em; opacity: .75; }}
.untitled {{ opacity: .65; font-style: italic; }}
.preview-bar {{ position: sticky; top: 0; z-index: 10; margin: 0; padding: .6rem 1rem;
  background: #111827; color: #f9fafb; font: 500 .8125rem/1.4 {SANS}; text-align: center; }}
.preview-bar strong {{ margin-right: .6em; color: #fcd34d; letter-spacing: .14em;
  text-transform: uppercase; }}
.story {{ scroll-margin-top: 3rem; }}
.story-title a {{ color: inherit; text-decoration: none; }}
.story-title a:hover {{ text-decoration: underline; text-decoration-thickness: .06em;
  text-underline-offset: .14em; }}
.story-status {{ display: inline-block; margin-bottom: .6rem; padding: .2rem .55rem;
  border-radius: 4px; background: #fef3c7; color: #92400e;
  font: 700 .68rem/1.3 {SANS}; letter-spacing: .12em; text-transform: uppercase; }}
.byline > * + *::before {{ content: "\\00B7"; margin: 0 .5em; opacity: .6; }}
.byline .author {{ font-weight: 600; }}
.hero img {{ width: 100%; }}
.hero.portrait img {{ width: min(100%, 30rem); margin-inline: auto; }}
.hero figcaption {{ margin-top: .55rem; font-size: .85rem; line-height: 1.45; opacity: .8; }}
.credit {{ display: inline-block; margin-left: .4em; opacity: .8; }}
.gallery {{ display: grid; grid-template-columns: repeat(var(--cols, 3), minmax(0, 1fr));
  gap: .5rem; margin: 0; padding: 0; list-style: none; }}
.gallery a {{ display: block; }}
.gallery img {{ width: 100%; aspect-ratio: 1; object-fit: cover; }}
.videos {{ display: grid; grid-template-columns: minmax(0, 1fr); gap: 1.25rem; }}
.video {{ display: block; color: inherit; text-decoration: none; }}
.video-frame {{ position: relative; display: block; overflow: hidden; background: #111827; }}
.video-frame.blank {{ aspect-ratio: 21 / 9;
  background: linear-gradient(135deg, #374151, #111827); }}
.video-frame img {{ width: 100%; }}
.play {{ position: absolute; inset: 0; width: 4rem; height: 4rem; margin: auto;
  border-radius: 50%; background: rgba(17, 24, 39, .72); box-shadow: 0 0 0 3px #fff; }}
.play::after {{ content: ""; position: absolute; top: 50%; left: 54%;
  border-style: solid; border-width: .75rem 0 .75rem 1.2rem;
  border-color: transparent transparent transparent #fff; transform: translate(-50%, -50%); }}
.video:hover .play {{ background: rgba(17, 24, 39, .9); }}
.video-caption {{ display: block; margin-top: .55rem; font-size: .9rem; line-height: 1.45; }}
.video-caption b {{ margin-right: .4em; }}
.tags {{ display: flex; flex-wrap: wrap; gap: .4rem; margin: 0; padding: 0; list-style: none; }}
"""

ERROR_CSS = f"""
*, *::before, *::after {{ box-sizing: border-box; }}
html, body {{ height: 100%; }}
body {{ margin: 0; display: grid; place-items: center; padding: 1.5rem;
  background: #f9fafb; color: #374151; font: 1rem/1.6 {SANS}; }}
h1 {{ margin: 0 0 .25rem; font-size: 1.5rem; color: #111827; }}
p {{ margin: 0; }}
"""
