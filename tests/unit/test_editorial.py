"""Editorial sanitising: only b, i, p, a[href], h3, h4, blockquote, ul, li, br survive."""

import pytest
from hail.editorial import plain_text, sanitise


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<p>Hi <b>bold</b> <i>it</i></p>", "<p>Hi <b>bold</b> <i>it</i></p>"),
        (
            "<h3>A</h3><h4>B</h4><blockquote>q</blockquote>",
            "<h3>A</h3><h4>B</h4><blockquote>q</blockquote>",
        ),
        ("<ul><li>one</li></ul>line<br>break", "<ul><li>one</li></ul>line<br>break"),
        ('<p class="x" style="color:red" onclick="evil()">t</p>', "<p>t</p>"),
        ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
        ("<style>p{}</style>text", "text"),
        ("<h1>Big</h1><div>box</div><span>s</span>", "Bigboxs"),
        ("<img src=x onerror=alert(1)>", ""),
        ("<iframe src='https://evil.example'></iframe>", ""),
        ("<!-- secret --><p>x</p>", "<p>x</p>"),
        (
            '<a href="https://hail.to" target="_blank" title="t">l</a>',
            '<a href="https://hail.to">l</a>',
        ),
        (
            '<a href="http://a.example/x?y=1&amp;z=2">l</a>',
            '<a href="http://a.example/x?y=1&amp;z=2">l</a>',
        ),
        (
            '<a href="mailto:office@school.example">mail</a>',
            '<a href="mailto:office@school.example">mail</a>',
        ),
        ('<a href="javascript:alert(1)">l</a>', "<a>l</a>"),
        ('<a href="JaVaScRiPt:alert(1)">l</a>', "<a>l</a>"),
        ('<a href="data:text/html,x">l</a>', "<a>l</a>"),
        ('<a href="/relative/path">l</a>', "<a>l</a>"),
        ('<a href="//evil.example">l</a>', "<a>l</a>"),
        ('<a href="ftp://files.example">l</a>', "<a>l</a>"),
        ("<p>unclosed <b>bold", "<p>unclosed <b>bold</b></p>"),
        ("5 < 6 & 7 > 3", "5 &lt; 6 &amp; 7 &gt; 3"),
    ],
)
def test_sanitise(raw, clean):
    assert sanitise(raw) == clean


def test_sanitising_is_stable():
    once = sanitise('<p>a <a href="https://x.example">b</a><script>c</script></p>')
    assert sanitise(once) == once


def test_plain_text_is_what_a_reader_sees():
    assert plain_text("<h3>Camp</h3><p>Fish &amp; chips<br>at  <b>noon</b></p>") == (
        "Camp Fish & chips at noon"
    )


@pytest.mark.parametrize(
    ("raw", "editorial", "body"),
    [
        ("<h2>Sub</h2>", "Sub", "<h2>Sub</h2>"),
        ("<em>e</em><strong>s</strong>", "es", "<em>e</em><strong>s</strong>"),
        ("<ol><li>one</li></ol>", "<li>one</li>", "<ol><li>one</li></ol>"),
        (
            "<figure>Quote<figcaption>Who</figcaption></figure>",
            "QuoteWho",
            "<figure>Quote<figcaption>Who</figcaption></figure>",
        ),
        ('<figure><img src="x.jpg"></figure>', "", "<figure></figure>"),
        ('<h2 class="x" onclick="y()">t</h2>', "t", "<h2>t</h2>"),
        ('<a href="javascript:x()">l</a>', "<a>l</a>", "<a>l</a>"),
        ("<h1>Big</h1><table><tr><td>c</td></tr></table>", "Bigc", "Bigc"),
    ],
)
def test_an_article_body_allows_a_few_more_tags(raw, editorial, body):
    # Given / When / Then: the editorial's (and a lead's) tags, and for a body those too
    assert sanitise(raw) == editorial
    assert sanitise(raw, body=True) == body
    assert sanitise(body, body=True) == body


def test_plain_text_of_a_body_separates_its_blocks():
    assert plain_text("<h2>Results</h2><ol><li>Blue</li><li>Red</li></ol>") == "Results Blue Red"
