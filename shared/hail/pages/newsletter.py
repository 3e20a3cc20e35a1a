"""The newsletter style: a single white card on a soft background, like a good e-mail
newsletter: monogram, bold sans-serif headlines, pictures from edge to edge of the card."""

from hail.pages.blocks import ArticleView, Layout, Masthead, PublicationView, Sizes, Story
from hail.pages.css import SANS

CSS = f"""
body {{ background: #e8eef5; color: #1f2937; font-family: {SANS}; font-size: 1.0625rem;
  line-height: 1.7; }}
.page {{ --pad: clamp(1.25rem, 6vw, 3rem); width: calc(100% - 2 * clamp(0rem, 3vw, 1.5rem));
  max-width: 42rem; margin: clamp(0rem, 5vw, 3.5rem) auto; overflow: hidden; background: #fff;
  border-top: 6px solid #0f766e; border-radius: clamp(0px, 2vw, 14px);
  box-shadow: 0 1px 2px rgba(15, 23, 42, .06), 0 18px 40px -18px rgba(15, 23, 42, .28); }}
.masthead {{ padding: 2rem var(--pad) 1.75rem; border-bottom: 1px solid #e5e7eb; }}
.org {{ display: flex; align-items: center; gap: .75rem; font-weight: 650; font-size: .95rem;
  color: #0f766e; }}
.mark {{ display: inline-grid; place-items: center; flex: none; width: 2.25rem; height: 2.25rem;
  border-radius: 50%; background: #0f766e; color: #fff; font-weight: 700; }}
.edition, .kicker {{ margin-top: 1.75rem; font-size: .72rem; font-weight: 650;
  letter-spacing: .16em; text-transform: uppercase; color: #14b8a6; }}
h1 {{ margin: .35rem 0 .6rem; font-size: clamp(1.8rem, 5.5vw, 2.5rem); font-weight: 800;
  line-height: 1.15; letter-spacing: -.022em; color: #0f172a; }}
.date {{ font-size: .95rem; color: #6b7280; }}
.editorial {{ padding: 1.75rem var(--pad) 2.5rem; }}
.editorial h3, .prose h3 {{ margin-top: 1.75em; padding-left: .8rem;
  border-left: 4px solid #14b8a6; font-size: 1.2rem; line-height: 1.35; color: #0f172a; }}
.editorial h3:first-child {{ margin-top: 0; }}
.prose h2 {{ margin-top: 1.6em; font-size: 1.35rem; font-weight: 750; line-height: 1.3;
  letter-spacing: -.01em; color: #0f172a; }}
.editorial h4, .prose h4 {{ font-size: 1rem; color: #0f766e; }}
.editorial ul, .prose ul {{ padding: 0; list-style: none; }}
.editorial li, .prose ul > li {{ position: relative; padding-left: 1.6rem; }}
.editorial li + li {{ margin-top: .4rem; }}
.editorial li::before, .prose ul > li::before {{ content: ""; position: absolute; left: .25rem;
  top: .62em; width: .5rem; height: .5rem; border-radius: 2px; background: #14b8a6; }}
.prose ol li::marker {{ color: #0f766e; font-weight: 700; }}
.editorial blockquote, .prose blockquote {{ padding: 1rem 1.25rem; border-radius: 10px;
  background: #f0fdfa; color: #134e4a; font-style: italic; }}
.prose figure {{ border-color: #14b8a6; background: #f8fafc; border-radius: 0 10px 10px 0; }}
.editorial a, .prose a, .lead a {{ color: #0f766e; }}
.story {{ padding: 2.25rem var(--pad) 2.5rem; border-top: 1px solid #e5e7eb; }}
.story > * + * {{ margin-top: 1.25rem; }}
.hero img {{ border-radius: 10px; }}
.featured > .hero:first-child {{ margin: -2.25rem calc(-1 * var(--pad)) 0; }}
.featured > .hero:first-child img {{ border-radius: 0; }}
.featured > .hero:first-child figcaption {{ padding: 0 var(--pad); }}
.featured > .hero:first-child + * {{ margin-top: 1.5rem; }}
.featured {{ border-top: 0; background: linear-gradient(#f0fdfa, #fff 12rem); }}
.editorial + .featured {{ border-top: 1px solid #e5e7eb; }}
.kicker {{ margin: 0 0 .4rem; }}
.story-title {{ font-size: clamp(1.35rem, 4vw, 1.6rem); font-weight: 800; line-height: 1.25;
  letter-spacing: -.015em; color: #0f172a; }}
.featured .story-title {{ font-size: clamp(1.6rem, 5vw, 2.1rem); }}
.story-title a:hover {{ color: #0f766e; }}
.byline {{ margin-top: .5rem; font-size: .9rem; line-height: 1.5; color: #6b7280; }}
.byline .author {{ color: #374151; }}
.lead {{ font-size: 1.15rem; line-height: 1.6; color: #374151; }}
.gallery {{ --cols: 3; }}
.gallery img {{ border-radius: 8px; }}
.video-frame {{ border-radius: 10px; }}
.video-caption {{ color: #4b5563; }}
.video-caption b {{ color: #0f766e; }}
.tags li {{ padding: .2rem .7rem; border-radius: 999px; background: #f0fdfa; color: #115e59;
  font-size: .8rem; font-weight: 600; line-height: 1.5; }}
.colophon {{ padding: 1.25rem var(--pad); border-top: 1px solid #e5e7eb;
  background: #f8fafc; font-size: .85rem; color: #6b7280; }}
.article-page .masthead {{ padding-bottom: 1.25rem; }}
.article-page .story {{ border-top: 0; }}
.article-page .story-title {{ font-size: clamp(1.8rem, 5.5vw, 2.5rem); line-height: 1.15;
  letter-spacing: -.022em; }}
.article-page .story > .hero {{ margin-inline: calc(-1 * var(--pad)); }}
.article-page .story > .hero img {{ border-radius: 0; }}
.article-page .story > .hero figcaption {{ padding: 0 var(--pad); }}
"""

SIZES = Sizes(
    hero="(min-width: 46rem) 36rem, 90vw",
    gallery="(min-width: 46rem) 12rem, 31vw",
    video="(min-width: 46rem) 36rem, 90vw",
)


def _masthead(m: Masthead, *, full: bool = True) -> str:
    org = f'<p class="org"><span class="mark" aria-hidden="true">{m.initial}</span>{m.org}</p>'
    if not full:
        return f'<header class="masthead">\n{org}\n</header>'
    return (
        f'<header class="masthead">\n{org}\n<p class="edition">{m.edition}</p>\n'
        f"{m.heading}\n{m.date}\n</header>"
    )


def _story(s: Story, *, featured: bool = False) -> str:
    cls = "story featured" if featured else "story"
    head = s.head("h2", "Featured" if featured else "")
    return (
        f'<article class="{cls}" id="{s.anchor}">'
        f"{s.hero}{head}{s.text()}{s.media()}{s.tags}</article>"
    )


def publication(v: PublicationView) -> str:
    m = v.masthead
    editorial = f'<article class="editorial">\n{v.editorial}\n</article>\n' if v.editorial else ""
    featured = _story(v.featured, featured=True) + "\n" if v.featured else ""
    stories = "".join(_story(s) + "\n" for s in v.stories)
    return (
        f'<div class="page">\n{_masthead(m)}\n{editorial}{featured}{stories}'
        f'<footer class="colophon">{m.org} · {m.edition}</footer>\n</div>'
    )


def article(v: ArticleView) -> str:
    s = v.story
    return (
        f'<div class="page article-page">\n{_masthead(v.masthead, full=False)}\n'
        f'<article class="story" id="{s.anchor}">{s.head("h1")}{s.hero}{s.text()}'
        f"{s.media()}{s.tags}</article>\n"
        f'<footer class="colophon">{v.masthead.org}</footer>\n</div>'
    )


COVER = Sizes(hero="(min-width: 46rem) 42rem, 100vw", gallery=SIZES.gallery, video=SIZES.video)
LAYOUT = Layout(CSS, SIZES, COVER, publication, article)
