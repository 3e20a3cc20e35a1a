"""Publication and article pages (hail.pages): what is shown, what never is, pictures and
their sizes, and the Content-Security-Policy. Pure functions: no AWS, no sockets."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hail import pages
from hail_tools import demo_content, page_fixtures

MEDIA = "https://media.example.org"
VOID = {"meta", "link", "img", "br"}


def _image(id_: str = "img1", width: int = 3000, height: int = 2000, **extra: Any) -> dict:
    image = {
        "id": id_,
        "caption": "Runners & <friends>",
        "photographer": "Pat O'Neill",
        "original_width": width,
        "original_height": height,
        "focal_point": {"x": 0.5, "y": 0.5},
        "file_150_square_url": f"{MEDIA}/{id_}/150sq.jpg",
        "file_500_url": f"{MEDIA}/{id_}/500.jpg",
        "file_500_square_url": f"{MEDIA}/{id_}/500sq.jpg",
        "file_1000_url": f"{MEDIA}/{id_}/1000.jpg",
        "file_1000_square_url": f"{MEDIA}/{id_}/1000sq.jpg",
        "file_2000_url": f"{MEDIA}/{id_}/2000.jpg",
        "file_original_url": f"{MEDIA}/{id_}/original.jpg",
    }
    image.update(extra)
    return image


def _article(id_: str = "art00001", **fields: Any) -> dict:
    article = {
        "id": id_,
        "title": f"Title of {id_}",
        "author": "Jo Bloggs",
        "lead": "<p>The lead.</p>",
        "body": "<p>The body.</p>",
        "date": "2026-10-12 01:05:00",
        "location": "School field",
        "status": "published",
        "flagged": False,
        "average_rating": 0,
        "created_date": "2026-10-12 01:05:00",
        "updated_date": "2026-10-12 01:05:00",
        "hail_url": f"https://hail.test/a/{id_}",
        "tags": [{"id": "sport", "name": "Sport", "description": "Teams"}],
        "private_tags": [{"id": "secret", "name": "Needs photo", "description": "Hush"}],
        "hero_image": None,
        "hero_video": None,
        "attachments": [],
        "short_gallery": [],
        "short_video_gallery": [],
    }
    article.update(fields)
    return article


def _pub(style: str = "newsletter", **fields: Any) -> dict:
    pub = {
        "id": "pub00001",
        "title": "The newsletter",
        "editorial": "<p>Hello.</p>",
        "due_date": "2026-10-15",
        "status": "published",
        "style": {"id": style, "name": style.title()},
        "featured_article": None,
        "url": "https://hail.test/p/pub00001",
        "custom_css_url": None,
    }
    pub.update(fields)
    return pub


def _publication(articles: list[dict], style: str = "newsletter", **kw: Any) -> str:
    fields = {k: kw.pop(k) for k in list(kw) if k in ("featured_article", "editorial")}
    document = pages.render_publication(_pub(style, **fields), articles, "Demo School", **kw)
    return document.html


class _Balance(HTMLParser):
    """Fails on a closing tag that closes nothing open, or an element left open."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()


def _assert_well_formed(page: str) -> None:
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.open == []


# ------------------------------------------------------------------- articles ---


def test_text_is_escaped_and_html_is_sanitised() -> None:
    # Given an article whose text fields look like markup, and unsafe lead and body
    article = _article(
        title='<script>alert("t")</script> & co',
        author="<b>Jo</b>",
        location="Room <12>",
        lead='<p onclick="x()">Lead <em>em</em></p><script>s()</script>',
        body="<h2>Sub</h2><figure>F<figcaption>C</figcaption></figure><img src=x><iframe></iframe>",
        tags=[{"id": "t", "name": "<i>Tag</i>", "description": ""}],
    )

    # When its page and a publication with it are rendered
    for page in (
        pages.render_article(article, "Demo <School>", preview=False).html,
        _publication([article], preview=False),
    ):
        # Then text is escaped, and only the allowed markup survives
        assert "<script" not in page and "onclick" not in page and "<iframe" not in page
        assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; co" in page
        assert "By &lt;b&gt;Jo&lt;/b&gt;" in page
        assert "Room &lt;12&gt;" in page
        assert "<li>&lt;i&gt;Tag&lt;/i&gt;</li>" in page
        assert '<div class="lead"><p>Lead em</p></div>' in page  # no <em> in a lead
        assert "<h2>Sub</h2><figure>F<figcaption>C</figcaption></figure>" in page
        assert "<img" not in page
        _assert_well_formed(page)


@pytest.mark.parametrize("preview", [False, True])
@pytest.mark.parametrize("style", pages.STYLES)
def test_private_tags_are_never_shown(style: str, preview: bool) -> None:
    # Given articles with private tags (the team's own workflow labels)
    articles = [_article(f"art0000{n}", status="ready" if n else "published") for n in range(3)]

    # When their pages are rendered, published or previewed
    shown = [_publication(articles, style, preview=preview, featured_article=articles[1])]
    shown += [pages.render_article(a, "D", preview=preview, style=style).html for a in articles]

    # Then no private tag appears, but the public ones do
    for page in shown:
        assert "Needs photo" not in page and "Hush" not in page and "secret" not in page
        assert "<li>Sport</li>" in page


@pytest.mark.parametrize("style", pages.STYLES)
def test_the_featured_article_comes_first_and_each_article_once(style: str) -> None:
    # Given three articles in order, the third featured
    articles = [_article(f"art0000{n}") for n in range(1, 4)]

    # When the publication is rendered
    page = _publication(articles, style, preview=False, featured_article=articles[2])

    # Then the featured one comes first, then the others in their order, each shown once
    shown = [m.group(1) for m in re.finditer(r'<article class="story[^"]*" id="story-(\w+)"', page)]
    assert shown == ["art00003", "art00001", "art00002"]
    for article in articles:
        assert page.count(f'<a href="https://hail.test/a/{article["id"]}">') == 1
    # And the editorial stays, before the articles
    assert page.index("<p>Hello.</p>") < page.index('id="story-art00003"')


def test_a_featured_article_that_is_not_given_is_not_shown() -> None:
    # Given a public page whose featured article is a draft (so not among those given)
    draft = _article("draft001", title="Secret draft", status="draft")

    # When it is rendered with the published articles only
    page = _publication([_article()], preview=False, featured_article=draft)

    # Then the draft is nowhere on it
    assert "Secret draft" not in page and "draft001" not in page
    assert 'id="story-art00001"' in page


def test_only_what_is_given_is_shown() -> None:
    # Given an article with a title and nothing else
    bare = _article(
        author="",
        lead="",
        body="",
        location="",
        date=None,
        tags=[],
        hero_image=_image(file_500_url=None, file_1000_url=None, file_2000_url=None),
    )

    # When it is rendered
    page = pages.render_article(bare, "D", preview=False).html

    # Then there is no empty byline, lead, body, picture or tag list
    for absent in ('class="byline"', 'class="lead"', 'class="prose', "<img", "<figure", '"tags"'):
        assert absent not in page
    assert '<h1 class="story-title">Title of art00001</h1>' in page


def test_a_preview_marks_unpublished_articles_and_does_not_link_them() -> None:
    # Given a ready article and a published one
    ready, published = _article("ready001", status="ready"), _article("publ0001")

    # When a preview of their publication is rendered
    page = _publication([ready, published], preview=True)

    # Then the ready one says so and has no link (its page is not public), the other does
    assert '<p class="story-status">Ready</p><h2 class="story-title">Title of ready001</h2>' in page
    assert '<a href="https://hail.test/a/publ0001">Title of publ0001</a>' in page
    assert page.count('class="story-status"') == 1


def test_the_byline_has_author_date_and_location() -> None:
    page = pages.render_article(_article(), "D", preview=False).html
    assert (
        '<p class="byline"><span class="author">By Jo Bloggs</span>'
        '<time datetime="2026-10-12">Monday 12 October 2026</time>'
        '<span class="location">School field</span></p>'
    ) in page


# ------------------------------------------------------------------- pictures ---


def test_a_hero_picture_has_every_rendition_its_size_and_caption() -> None:
    # Given an article with a processed hero image
    article = _article(hero_image=_image())

    # When its page is rendered with the media origin
    page = pages.render_article(article, "D", preview=False, media_origin=MEDIA).html

    # Then the picture has its renditions, sizes, width and height, alt, and loads at once
    img = re.search(r"<img [^>]+>", page)
    assert img is not None
    assert img.group(0) == (
        f'<img src="{MEDIA}/img1/1000.jpg" srcset="{MEDIA}/img1/500.jpg 500w, '
        f'{MEDIA}/img1/1000.jpg 1000w, {MEDIA}/img1/2000.jpg 2000w" '
        'sizes="(min-width: 46rem) 42rem, 100vw" width="2000" height="1333" '
        'alt="Runners &amp; &lt;friends&gt;" fetchpriority="high" decoding="async">'
    )
    assert "<figcaption>Runners &amp; &lt;friends&gt; " in page
    assert '<span class="credit">Photo: Pat O&#x27;Neill</span>' in page


def test_renditions_are_never_wider_than_the_original() -> None:
    # Given a small, portrait original (the worker does not enlarge)
    article = _article(hero_image=_image(width=800, height=1200))

    # When / Then the srcset names each real width once, and the picture is marked portrait
    page = pages.render_article(article, "D", preview=False, media_origin=MEDIA).html
    assert f'srcset="{MEDIA}/img1/500.jpg 500w, {MEDIA}/img1/1000.jpg 800w"' in page
    assert 'width="800" height="1200"' in page
    assert '<figure class="hero portrait">' in page


def test_only_the_first_hero_loads_at_once_and_galleries_are_square() -> None:
    # Given two articles with heroes, the first with a gallery holding its hero too
    first = _article(
        "first001", hero_image=_image("h1"), gallery=[_image("h1"), _image("g1"), _image("g2")]
    )
    second = _article("second01", hero_image=_image("h2"))

    # When the publication is rendered
    page = _publication([first, second], preview=False, media_origin=MEDIA)

    # Then one picture is eager, every other lazy
    assert page.count('fetchpriority="high"') == 1
    assert page.count('loading="lazy"') == 3
    # And the gallery leaves out the hero, shows squares, each opening its largest picture
    assert f"{MEDIA}/h1/500sq.jpg" not in page
    assert (
        f'<li><a href="{MEDIA}/g1/2000.jpg"><img src="{MEDIA}/g1/1000sq.jpg" '
        f'srcset="{MEDIA}/g1/150sq.jpg 150w, {MEDIA}/g1/500sq.jpg 500w, '
        f'{MEDIA}/g1/1000sq.jpg 1000w" sizes="(min-width: 46rem) 12rem, 31vw" '
        'width="1000" height="1000"'
    ) in page


def test_the_short_gallery_is_used_without_a_full_gallery() -> None:
    page = pages.render_article(
        _article(short_gallery=[_image("s1")]), "D", preview=False, media_origin=MEDIA
    ).html
    assert f"{MEDIA}/s1/500sq.jpg 500w" in page


def test_pictures_are_shown_only_from_the_media_origin() -> None:
    # Given pictures on another origin, and a page without a media origin
    elsewhere = _article(hero_image=_image(file_1000_url="https://evil.example/x.jpg"))

    # When / Then only renditions on the media origin are used
    page = pages.render_article(elsewhere, "D", preview=False, media_origin=MEDIA).html
    assert "evil.example" not in page and f"{MEDIA}/img1/2000.jpg 2000w" in page
    # And without a media origin (or with one that is not an origin) there are no pictures
    for origin in (None, "javascript:alert(1)", f"{MEDIA}/path", "http://media.example.org"):
        document = pages.render_article(
            _article(hero_image=_image()), "D", preview=False, media_origin=origin
        )
        assert "<img" not in document.html
        assert "img-src" not in document.content_security_policy


def test_the_csp_allows_exactly_the_media_origin_for_pictures() -> None:
    # Given / When pages rendered with a media origin (and one with a custom stylesheet too)
    article = pages.render_article(_article(), "D", preview=False, media_origin=MEDIA)
    publication = pages.render_publication(_pub(), [], "D", preview=False, media_origin=MEDIA)
    custom = pages.render_publication(
        _pub(custom_css_url="https://cdn.example.org/s.css"),
        [],
        "D",
        preview=False,
        media_origin=MEDIA,
    )

    # Then img-src is that origin, and nothing else changes
    for document in (article, publication):
        assert re.fullmatch(
            r"default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; "
            rf"img-src {MEDIA}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            document.content_security_policy,
        )
    assert (
        f"img-src {MEDIA} https://cdn.example.org; font-src https://cdn.example.org;"
        in custom.content_security_policy
    )


def test_videos_are_links_with_their_preview_picture() -> None:
    # Given a YouTube hero video (with a preview picture) and a Vimeo one in the gallery
    youtube = {
        "id": "v1",
        "caption": "The <final>",
        "service": "youtube",
        "service_data": "abc&123",
        "url": None,
        "preview": _image("p1"),
    }
    vimeo = {"id": "v2", "caption": "", "service": "vimeo", "service_data": "42", "url": None}
    article = _article(hero_video=youtube, short_video_gallery=[youtube, vimeo])

    # When its page is rendered
    page = pages.render_article(article, "D", preview=False, media_origin=MEDIA).html

    # Then each video is a link to where it plays, shown once, with no player and no script
    assert '<a class="video" href="https://www.youtube.com/watch?v=abc%26123">' in page
    assert '<a class="video" href="https://vimeo.com/42">' in page
    assert page.count("watch?v=abc%26123") == 1
    assert '<div class="hero hero-video">' in page
    assert "<b>Watch on YouTube</b> The &lt;final&gt;" in page
    assert '<span class="video-frame blank">' in page  # no preview picture: a plain frame
    assert "<iframe" not in page and "<script" not in page


# ------------------------------------------------------------------- layouts ---


def test_a_short_magazine_editorial_has_no_columns_and_no_drop_cap() -> None:
    # Given a one-line editorial and a long one
    short = _publication([], "magazine", preview=False, editorial="<p>Term starts Monday.</p>")
    long_text = "<p>" + "A long first paragraph of the editorial. " * 12 + "</p>"
    long = _publication([], "magazine", preview=False, editorial=long_text * 8)

    # Then only the long one runs in columns and opens with a drop cap
    assert '<article class="editorial short">' in short
    assert '<article class="editorial long dropcap">' in long


def test_an_article_page_is_laid_out_by_its_style() -> None:
    # Given / When an article is rendered in each style, and in an unknown one
    for style in pages.STYLES:
        page = pages.render_article(_article(), "D", preview=True, style=style).html
        # Then it has its style's stylesheet, the title as its heading, and the preview bar
        assert f'<body class="{style}">' in page
        assert re.search(r'<h1 class="[a-z-]+">Title of art00001</h1>', page)
        assert '<p class="preview-bar" role="status">' in page
        assert "<title>Title of art00001 · D</title>" in page
    fallback = pages.render_article(_article(), "D", preview=False, style="retro").html
    assert '<body class="newsletter">' in fallback


@pytest.mark.parametrize("preview", [False, True])
@pytest.mark.parametrize("style", pages.STYLES)
def test_every_style_renders_every_fixture(style: str, preview: bool) -> None:
    # Given the demo publications and articles, and the extremes
    org = page_fixtures.organisation_name()
    documents = []
    for pub_id in demo_content.PUBLICATION_ARTICLES:
        pub, articles = page_fixtures.publication(pub_id, style=style)
        documents.append(
            pages.render_publication(
                pub, articles, org, preview=preview, media_origin=page_fixtures.MEDIA_ORIGIN
            )
        )
    for make in (page_fixtures.short_publication, page_fixtures.long_publication):
        pub, articles = make(style)
        documents.append(
            pages.render_publication(
                pub, articles, org, preview=preview, media_origin=page_fixtures.MEDIA_ORIGIN
            )
        )
    for a in [*demo_content.ARTICLES]:
        for pictures in (False, True):
            article = page_fixtures.article(a["id"], pictures)
            documents.append(
                pages.render_article(
                    article,
                    org,
                    preview=preview,
                    media_origin=page_fixtures.MEDIA_ORIGIN,
                    style=style,
                )
            )

    # Then each is a well-formed page in that style, with no script and no private tag
    for document in documents:
        _assert_well_formed(document.html)
        assert f'<body class="{style}">' in document.html
        assert "<script" not in document.html
        for tag in demo_content.PRIVATE_TAGS:
            assert tag["name"] not in document.html
