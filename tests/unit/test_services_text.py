"""The text of a post fits each service's length rules."""

import pytest
from hail.services.text import ELLIPSIS, compose, mastodon_length, slack_escape, x_length

URL = "https://hail.test/p/welcome1"


def test_everything_fits_as_title_url_comment() -> None:
    # Given / When a short post is composed
    text = compose("Welcome back!", URL, "Term starts Monday.", limit=280)

    # Then it is title, URL, blank line, comment
    assert text == f"Welcome back!\n{URL}\n\nTerm starts Monday."


def test_no_comment_and_no_url() -> None:
    assert compose("  Welcome\n back!  ", URL, "  ") == f"Welcome back!\n{URL}"
    assert compose("Welcome back!", None, "Hi") == "Welcome back!\n\nHi"


def test_a_long_comment_is_cut_at_a_word_with_an_ellipsis() -> None:
    # Given a comment far over the limit
    comment = "word " * 200

    # When it is composed for 100 characters
    text = compose("Title", URL, comment, limit=100)

    # Then the title and URL are whole, the comment cut at a word and marked
    assert len(text) <= 100
    assert text.startswith(f"Title\n{URL}\n\nword word")
    assert text.endswith(f"word{ELLIPSIS}")


def test_a_long_title_is_cut_and_the_url_never() -> None:
    # Given a title that alone is over the limit
    title = "T" * 300

    # When it is composed for 100 characters
    text = compose(title, URL, "a comment", limit=100)

    # Then the comment is dropped, the title shortened, the URL kept whole
    assert len(text) <= 100
    assert text.endswith(f"{ELLIPSIS}\n{URL}")
    assert "a comment" not in text


def test_comment_dropped_when_not_even_a_word_fits() -> None:
    text = compose("T" * 60, URL, "comment", limit=len("T" * 60) + 1 + len(URL) + 3)
    assert text == "T" * 60 + f"\n{URL}"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        (f"see {URL}", 4 + 23),  # any http(s) link counts 23
        ("https://a.co", 23),  # ... short ones too
        ("visit example.com now", 6 + 23 + 4),  # a bare domain is a link for X
        ("日本語", 6),  # CJK weighs 2
        ("é ü", 3),  # Latin-1 and Latin Extended weigh 1
    ],
)
def test_x_length(text: str, length: int) -> None:
    assert x_length(text) == length


def test_x_posts_fit_280_with_links_counted_23() -> None:
    # Given a very long URL and a comment of CJK characters
    url = "https://hail.test/p/" + "x" * 200
    comment = "日" * 300

    # When composed for X
    text = compose("Title", url, comment, limit=280, measure=x_length)

    # Then X would count at most 280 (the long URL counted 23)
    assert x_length(text) <= 280
    assert x_length(text) >= 270  # and the room was used
    assert url in text


def test_mastodon_counts_links_as_23() -> None:
    url = "https://hail.test/p/" + "x" * 100
    assert mastodon_length(f"a {url}") == 2 + 23
    text = compose("Title", url, "c" * 1000, limit=500, measure=mastodon_length)
    assert mastodon_length(text) == 500
    assert url in text


def test_slack_escape() -> None:
    assert slack_escape("a & <b> c") == "a &amp; &lt;b&gt; c"
