"""The yearbook style: a bound-book page on dotted paper. A green cover panel with the year
in outline numerals and the contents beside the text (stacked on phones), pictures as
taped prints, ribbon headings."""

from hail.pages.blocks import ArticleView, Layout, Masthead, PublicationView, Sizes, Story
from hail.pages.css import BOOK, SANS

GREEN = "#1f3d2b"
GOLD = "#c9a227"

CSS = f"""
body {{ background-color: #ece3cf; color: #2b2418; font-family: {BOOK}; font-size: 1.2rem;
  line-height: 1.6;
  background-image: radial-gradient(rgba(120, 90, 40, .13) 1px, transparent 1.3px);
  background-size: 14px 14px; }}
.page {{ display: grid; grid-template-columns: minmax(0, 1fr);
  width: calc(100% - 2 * clamp(0rem, 4vw, 3.5rem)); max-width: 68rem;
  margin: clamp(0rem, 4vw, 3.5rem) auto; background: #fffdf7;
  border: 1px solid #d8cbad; box-shadow: 0 22px 44px -22px rgba(60, 40, 10, .55); }}
@media (min-width: 54rem) {{ .page {{ grid-template-columns: 19rem minmax(0, 1fr); }} }}
.masthead {{ padding: 2.5rem 2.25rem; background: {GREEN}; color: #f5ecd7;
  outline: 1px solid {GOLD}; outline-offset: -12px; }}
.cover {{ display: flex; flex-direction: column; }}
@media (min-width: 54rem) {{ .cover {{ position: sticky; top: 2.5rem; }} }}
.cover::after {{ content: "\\2726 \\2726 \\2726"; order: 9; margin-top: 1.25rem; color: {GOLD};
  font-size: .8rem; letter-spacing: .6em; }}
.org {{ font: 700 .74rem/1.4 {SANS}; letter-spacing: .3em; text-transform: uppercase;
  color: #e6c65c; }}
.mark {{ display: none; }}
.edition {{ margin: 1.25rem 0 .75rem; font-size: clamp(4.25rem, 12vw, 6rem); font-weight: 600;
  line-height: .95; letter-spacing: .01em; font-variant-numeric: lining-nums; color: transparent;
  -webkit-text-stroke: 1.5px #e6c65c; }}
h1 {{ margin-bottom: 1.75rem; font-size: clamp(1.9rem, 4.5vw, 2.5rem); font-style: italic;
  font-weight: 500; line-height: 1.12; }}
.masthead .byline {{ margin: -.75rem 0 1.5rem; font: 600 .78rem/1.7 {SANS};
  letter-spacing: .06em; color: #cfe0d2; }}
.masthead .byline > * {{ display: block; }}
.masthead .byline > * + *::before {{ content: none; }}
.masthead .story-status {{ align-self: flex-start; }}
.contents {{ margin-bottom: 1.5rem; padding: 0; list-style: none; counter-reset: page; }}
.contents-title {{ margin-bottom: .5rem; font: 700 .68rem/1.4 {SANS}; letter-spacing: .3em;
  text-transform: uppercase; color: #e6c65c; }}
.contents li {{ display: flex; gap: .75rem; padding: .45rem 0;
  border-top: 1px solid rgba(230, 198, 92, .25); font-size: 1.02rem; line-height: 1.3; }}
.contents li::before {{ counter-increment: page; content: counter(page, decimal-leading-zero);
  flex: none; padding-top: .2em; font: 700 .7rem/1.3 {SANS}; color: #e6c65c; }}
.contents a {{ color: #f5ecd7; text-decoration: none; }}
.contents a:hover {{ text-decoration: underline; }}
.date {{ padding-top: 1rem; border-top: 1px solid rgba(230, 198, 92, .45);
  font: 600 .74rem/1.5 {SANS}; letter-spacing: .18em; text-transform: uppercase;
  color: #cfe0d2; }}
.text {{ min-width: 0; padding: clamp(1.75rem, 5vw, 3.5rem); }}
.text > * + * {{ margin-top: clamp(2.5rem, 6vw, 3.5rem); }}
.editorial h3, .prose h3, .kicker {{ display: inline-block; margin-top: 1.75em;
  padding: .35rem .85rem; background: {GREEN}; color: #f5ecd7; font: 700 .78rem/1.4 {SANS};
  letter-spacing: .2em; text-transform: uppercase; transform: rotate(-1.5deg); }}
.editorial h3:first-child {{ margin-top: 0; }}
.prose h2 {{ margin-top: 1.5em; font-size: 1.6rem; font-style: italic; font-weight: 600;
  line-height: 1.2; color: {GREEN}; }}
.editorial h4, .prose h4 {{ font-size: 1.35rem; font-style: italic; font-weight: 600;
  color: {GREEN}; }}
.editorial blockquote, .prose blockquote {{ position: relative; margin: 2rem .5rem;
  padding: 1.5rem 1.75rem; background: #fff; font-style: italic;
  box-shadow: 0 8px 18px -10px rgba(60, 40, 10, .6); transform: rotate(-1deg); }}
.editorial blockquote::before, .prose blockquote::before {{ content: ""; position: absolute;
  top: -.7rem; left: 50%; width: 6.5rem; height: 1.4rem; margin-left: -3.25rem;
  background: rgba(201, 162, 39, .35); transform: rotate(2deg); }}
.editorial ul, .prose ul {{ padding-left: 1.4em; }}
.editorial li::marker, .prose ul > li::marker {{ content: "\\2726  "; color: #b08d1a; }}
.prose ol li::marker {{ color: #b08d1a; font-weight: 600; }}
.prose figure {{ border-color: {GOLD}; font-style: italic; }}
.editorial a, .prose a, .lead a {{ color: {GREEN}; }}
.story {{ padding-top: clamp(2.5rem, 6vw, 3.5rem); border-top: 1px dashed #d8cbad; }}
.text > .story:first-child {{ padding-top: 0; border-top: 0; }}
.story > * + * {{ margin-top: 1.4rem; }}
.kicker {{ margin: 0 0 1rem; }}
.story-title {{ font-size: clamp(1.6rem, 4vw, 2.2rem); font-style: italic; font-weight: 600;
  line-height: 1.15; color: {GREEN}; }}
.story-title a:hover {{ color: #7a5c0e; }}
.story .byline {{ margin-top: .6rem; font: 600 .72rem/1.6 {SANS}; letter-spacing: .14em;
  text-transform: uppercase; color: #8a7a5c; }}
.story .byline .author {{ color: {GREEN}; }}
.lead {{ font-size: 1.3rem; font-style: italic; line-height: 1.5; color: #4a3f2c; }}
.hero, .gallery li, .video {{ padding: .7rem .7rem .8rem; background: #fff;
  box-shadow: 0 10px 22px -12px rgba(60, 40, 10, .65); }}
.hero {{ position: relative; margin-inline: .35rem; transform: rotate(-.6deg); }}
.story:nth-of-type(even) .hero {{ transform: rotate(.6deg); }}
.hero::before {{ content: ""; position: absolute; z-index: 1; top: -.7rem; left: 50%;
  width: 7rem; height: 1.4rem; margin-left: -3.5rem; background: rgba(201, 162, 39, .38);
  transform: rotate(-2deg); }}
.hero figcaption {{ margin-top: .6rem; font-style: italic; font-size: 1rem; opacity: 1;
  color: #4a3f2c; }}
.credit {{ font: 600 .66rem/1 {SANS}; letter-spacing: .12em; text-transform: uppercase;
  color: #8a7a5c; }}
.hero.portrait {{ width: fit-content; max-width: calc(100% - .7rem); margin-inline: auto; }}
.hero.portrait img {{ width: min(100%, 24rem); }}
.gallery {{ --cols: 2; gap: 1rem; padding: .5rem .25rem; }}
@media (min-width: 40rem) {{ .gallery {{ --cols: 3; }} }}
.gallery li {{ padding: .45rem .45rem 1.4rem; transform: rotate(-1.2deg); }}
.gallery li:nth-child(even) {{ transform: rotate(1.4deg); }}
.gallery li:nth-child(3n) {{ transform: rotate(-.4deg); }}
.video {{ transform: rotate(.5deg); }}
.video-caption {{ font-style: italic; color: #4a3f2c; }}
.video-caption b {{ font: 700 .7rem/1 {SANS}; letter-spacing: .16em; text-transform: uppercase;
  font-style: normal; color: {GREEN}; }}
.tags li {{ padding: .15rem .6rem; border: 1.5px solid {GREEN}; border-radius: 3px;
  font: 700 .66rem/1.5 {SANS}; letter-spacing: .16em; text-transform: uppercase;
  color: {GREEN}; transform: rotate(-1deg); }}
.colophon {{ grid-column: 1 / -1; padding: 1rem 2rem; border-top: 1px solid #e6dcc4;
  font: 600 .7rem/1.5 {SANS}; letter-spacing: .22em; text-transform: uppercase;
  text-align: center; color: #8a7a5c; }}
"""

SIZES = Sizes(
    hero="(min-width: 68rem) 42rem, (min-width: 54rem) 60vw, 88vw",
    gallery="(min-width: 54rem) 11rem, 42vw",
    video="(min-width: 68rem) 42rem, (min-width: 54rem) 60vw, 88vw",
)


def _story(s: Story, *, featured: bool = False) -> str:
    return (
        f'<article class="story" id="{s.anchor}">{s.head("h2", "Cover story" if featured else "")}'
        f"{s.hero}{s.text()}{s.media()}{s.tags}</article>"
    )


def _contents(stories: list[Story]) -> str:
    if len(stories) < 2:
        return ""
    items = "".join(f'<li><a href="#{s.anchor}">{s.name}</a></li>' for s in stories)
    return (
        f'<nav aria-label="In this issue"><p class="contents-title">In this issue</p>'
        f'<ol class="contents">{items}</ol></nav>'
    )


def _masthead(m: Masthead, middle: str) -> str:
    return (
        f'<header class="masthead"><div class="cover">\n<p class="org"><span class="mark" '
        f'aria-hidden="true">{m.initial}</span>{m.org}</p>\n<p class="edition">{m.edition}</p>\n'
        f"{middle}\n{m.date}\n</div></header>"
    )


def publication(v: PublicationView) -> str:
    m = v.masthead
    stories = ([v.featured] if v.featured else []) + v.stories
    editorial = f'<article class="editorial">\n{v.editorial}\n</article>\n' if v.editorial else ""
    parts = [_story(v.featured, featured=True)] if v.featured else []
    parts += [_story(s) for s in v.stories]
    return (
        f'<div class="page">\n{_masthead(m, m.heading + _contents(stories))}\n'
        f'<main class="text">\n{editorial}{"".join(p + chr(10) for p in parts)}</main>\n'
        f'<footer class="colophon">{m.org} · {m.edition}</footer>\n</div>'
    )


def article(v: ArticleView) -> str:
    s, m = v.story, v.masthead
    middle = f'{s.status}<h1 class="title">{s.title}</h1>{s.byline}'
    return (
        f'<div class="page article-page">\n{_masthead(m, middle)}\n<main class="text">'
        f'<article class="story" id="{s.anchor}">{s.hero}{s.text()}{s.media()}{s.tags}'
        f'</article></main>\n<footer class="colophon">{m.org} · {m.edition}</footer>\n</div>'
    )


LAYOUT = Layout(CSS, SIZES, SIZES, publication, article)
