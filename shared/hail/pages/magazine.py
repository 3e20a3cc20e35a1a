"""The magazine style: a dark, full-width cover with a large serif headline, a cover story
with a wide picture, then each article with its byline and tags in a margin beside the
text on wide screens. A long editorial runs in two columns; a drop cap opens only a
paragraph long enough to hold it."""

from hail.pages.blocks import ArticleView, Layout, Masthead, PublicationView, Sizes, Story
from hail.pages.css import DISPLAY, SANS, SERIF

GUTTER = "calc(max(0px, (100% - 76rem) / 2) + clamp(1.25rem, 7vw, 6rem))"
ACCENT = "#e11d48"

CSS = f"""
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
.editorial.short {{ padding-bottom: clamp(1rem, 3vw, 2rem); }}
.editorial.short {{ font-size: clamp(1.2rem, 2.4vw, 1.45rem); line-height: 1.6; }}
.editorial.short > * {{ max-width: 40rem; }}
@media (min-width: 60rem) {{
  .editorial.long {{ columns: 2 22rem; column-gap: 4rem; column-rule: 1px solid #e4dccd; }}
}}
.dropcap > p:first-child::first-letter {{ float: left; padding: .06em .12em 0 0;
  font-family: {DISPLAY}; font-weight: 700; font-size: 4.4em; line-height: .8;
  color: {ACCENT}; }}
.editorial h3, .prose h3 {{ margin-top: 1.75em; font: 700 .8rem/1.4 {SANS};
  letter-spacing: .22em; text-transform: uppercase; color: {ACCENT}; break-after: avoid; }}
.editorial h3:first-child {{ margin-top: 0; }}
.prose h2 {{ margin-top: 1.5em; font-family: {DISPLAY}; font-size: 1.65rem; line-height: 1.2; }}
.editorial h4, .prose h4 {{ font-size: 1.3rem; font-style: italic; font-weight: 600;
  break-after: avoid; }}
.editorial blockquote, .prose blockquote {{ margin: 2.25rem 0; padding: 1.5rem 0;
  border-block: 3px double #1c1917; font-family: {DISPLAY}; font-style: italic;
  font-size: clamp(1.4rem, 3.2vw, 2rem); line-height: 1.25; text-align: center; }}
.editorial.long blockquote {{ column-span: all; }}
.editorial ul {{ padding-left: 1.1em; }}
.editorial li::marker, .prose li::marker {{ color: {ACCENT}; }}
.editorial a, .prose a, .lead a {{ color: #be123c; }}
.prose figure {{ border-color: {ACCENT}; font-style: italic; }}
.stories {{ padding: 0 {GUTTER}; }}
.story {{ padding: clamp(2.5rem, 6vw, 4.5rem) 0; border-top: 1px solid #e4dccd; }}
.story > * + *, .story-body > * + * {{ margin-top: 1.5rem; }}
.kicker {{ margin-bottom: .75rem; font: 700 .72rem/1.3 {SANS}; letter-spacing: .28em;
  text-transform: uppercase; color: {ACCENT}; }}
.story-title {{ max-width: 22ch; font-family: {DISPLAY}; font-weight: 700;
  font-size: clamp(1.9rem, 4.4vw, 3.1rem); line-height: 1.05; letter-spacing: -.015em; }}
.story-title a:hover {{ color: #be123c; }}
.byline {{ margin-top: 1rem; font: 600 .74rem/1.6 {SANS}; letter-spacing: .14em;
  text-transform: uppercase; color: #78716c; }}
.byline .author {{ color: #1c1917; }}
.lead {{ max-width: 40rem; font-style: italic; font-size: 1.3rem; line-height: 1.55;
  color: #44403c; }}
.prose {{ max-width: 40rem; }}
.hero figcaption {{ font: italic .9rem/1.5 {SERIF}; color: #57534e; }}
.credit {{ font: 600 .66rem/1 {SANS}; letter-spacing: .14em; text-transform: uppercase; }}
.gallery {{ --cols: 2; }}
@media (min-width: 40rem) {{ .gallery {{ --cols: 4; }} }}
.videos {{ max-width: 40rem; }}
.video-caption {{ font-style: italic; color: #57534e; }}
.video-caption b {{ font: 700 .7rem/1 {SANS}; letter-spacing: .16em; text-transform: uppercase;
  font-style: normal; color: {ACCENT}; }}
.tags li {{ padding: .25rem .65rem; border: 1px solid #d6cbb8; border-radius: 999px;
  font: 600 .68rem/1.4 {SANS}; letter-spacing: .12em; text-transform: uppercase;
  color: #57534e; }}
.cover {{ border-top: 0; }}
.cover .story-title {{ max-width: 18ch; font-size: clamp(2.3rem, 6.5vw, 4.6rem); line-height: 1; }}
.cover .lead {{ font-size: clamp(1.3rem, 2.6vw, 1.6rem); }}
@media (min-width: 64rem) {{
  .story {{ display: grid; grid-template-columns: 12rem minmax(0, 40rem) minmax(0, 1fr);
    column-gap: 3.5rem; align-items: start; }}
  .story > * {{ grid-column: 2; }}
  .story > .story-head {{ grid-column: 1 / -1; }}
  .story > .hero {{ grid-column: 2 / -1; }}
  .story > .aside {{ grid-column: 1; grid-row: 2; }}
  .story > .story-body {{ grid-row: 2; }}
  .with-hero > .story-body {{ grid-row: 3; }}
  .cover > .hero, .article-page .story > .hero {{ grid-column: 1 / -1; }}
  .cover > .aside, .cover > .story-body, .article-page .story > .aside,
  .article-page .story > .story-body {{ grid-row: 3; margin-top: 1.5rem; }}
  .aside .byline > * {{ display: block; }}
  .aside .byline > * + *::before {{ content: none; }}
  .aside .tags {{ flex-direction: column; align-items: flex-start; }}
}}
.aside .byline {{ margin-top: 0; }}
.aside > * + * {{ margin-top: 1rem; }}
.colophon {{ margin: 0 {GUTTER}; padding: 1.5rem 0 3rem; border-top: 1px solid #e4dccd;
  font: 600 .72rem/1.5 {SANS}; letter-spacing: .2em;
  text-transform: uppercase; color: #78716c; }}
.article-page .masthead h1 {{ max-width: 20ch; font-size: clamp(2.3rem, 6.5vw, 4.75rem);
  line-height: 1.02; }}
.article-page .masthead .byline {{ position: relative; color: rgba(255, 247, 237, .8); }}
.article-page .masthead .byline .author {{ color: #fff7ed; }}
.article-page .masthead .story-status {{ position: relative; margin: 1rem 0 0; }}
.article-page .story {{ border-top: 0; }}
"""

WIDE = Sizes(
    hero="(min-width: 80rem) 50rem, (min-width: 64rem) 65vw, 92vw",
    gallery="(min-width: 64rem) 10rem, 46vw",
    video="(min-width: 64rem) 40rem, 92vw",
)


COVER = Sizes(
    hero="(min-width: 80rem) 65rem, 92vw",
    gallery=WIDE.gallery,
    video=WIDE.video,
)


def _aside(s: Story, *, byline: bool = True) -> str:
    inner = (s.byline if byline else "") + s.tags
    return f'<div class="aside">{inner}</div>' if inner else ""


def _head(s: Story, kicker: str = "") -> str:
    label = f'<p class="kicker">{kicker}</p>' if kicker else ""
    return (
        f'<header class="story-head">{s.status}{label}'
        f'<h2 class="story-title">{s.title}</h2></header>'
    )


def _body(s: Story) -> str:
    inner = s.text() + s.media()
    return f'<div class="story-body">{inner}</div>' if inner else ""


def _story(s: Story, *, cover: bool = False) -> str:
    cls = "story" + (" cover" if cover else "") + (" with-hero" if s.hero else "")
    return (
        f'<article class="{cls}" id="{s.anchor}">{_head(s, "Cover story" if cover else "")}'
        f"{s.hero}{_aside(s)}{_body(s)}</article>"
    )


def _masthead(m: Masthead, below: str = "") -> str:
    return (
        f'<header class="masthead">\n<p class="org"><span class="mark" aria-hidden="true">'
        f'{m.initial}</span>{m.org}</p>\n<p class="edition">{m.edition}</p>\n'
        f"{m.heading}\n{m.date}{below}\n</header>"
    )


def publication(v: PublicationView) -> str:
    m = v.masthead
    editorial = ""
    if v.editorial:
        shape = "long" if v.editorial_long else "short"
        dropcap = " dropcap" if v.editorial_dropcap else ""
        editorial = f'<article class="editorial {shape}{dropcap}">\n{v.editorial}\n</article>\n'
    stories = ([_story(v.featured, cover=True)] if v.featured else []) + [
        _story(s) for s in v.stories
    ]
    main = '<main class="stories">\n' + "\n".join(stories) + "\n</main>\n" if stories else ""
    return (
        f'<div class="page">\n{_masthead(m)}\n{editorial}{main}'
        f'<footer class="colophon">{m.org} · {m.edition}</footer>\n</div>'
    )


def article(v: ArticleView) -> str:
    s, m = v.story, v.masthead
    masthead = (
        f'<header class="masthead">\n<p class="org">{m.org}</p>\n{s.status}'
        f'<h1 class="story-title">{s.title}</h1>\n{s.byline}\n</header>'
    )
    return (
        f'<div class="page article-page">\n{masthead}\n<main class="stories">'
        f'<article class="story" id="{s.anchor}">{s.hero}{_aside(s, byline=False)}{_body(s)}'
        f'</article></main>\n<footer class="colophon">{m.org}</footer>\n</div>'
    )


LAYOUT = Layout(CSS, WIDE, COVER, publication, article)
