"""`make smoke API=https://... TOKEN=... [ORG=...]`: is a deployed stack (or `make run`) up?

A short, read-only check: the organisation's styles, its publications, one publication,
that publication's page, and two answers of the gateway itself (no token: 401; an unknown
path: 404), each in Hail's envelope. It prints one line per check and exits 1 if any failed.

TOKEN is an access token of a member of ORG with `content.read` (from your issuer). Against
a local server (an API on 127.0.0.1 or localhost) it may be left out: one is made for
`alice` with the local keys. ORG defaults to the demo's `demo-school`.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Smoke:
    api: str
    token: str
    org: str
    results: list[tuple[bool, str, str]] = field(default_factory=list)

    def get(
        self, path_or_url: str, *, token: bool = True, accept: str = "application/json"
    ) -> Answer:
        url = path_or_url if "://" in path_or_url else self.api + path_or_url
        request = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 - http(s)
        if token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def check(self, name: str, test: Callable[[], str]) -> None:
        """Run one check: `test` returns what it saw, or raises AssertionError saying why."""
        try:
            self.results.append((True, name, test()))
        except (AssertionError, OSError, ValueError, KeyError, TypeError) as error:
            self.results.append((False, name, str(error) or type(error).__name__))

    def run(self) -> bool:
        found: dict[str, Any] = {}

        def styles() -> str:
            answer = self.get(f"/v1/organisations/{self.org}/styles")
            _expect(answer, 200)
            listed = answer.json()
            assert isinstance(listed, list) and listed, f"no styles in {self.org}"
            return f"{len(listed)}: " + ", ".join(str(style.get("id")) for style in listed)

        def publications() -> str:
            answer = self.get(f"/v1/organisations/{self.org}/publications?limit=5")
            _expect(answer, 200)
            listed = answer.json()
            assert isinstance(listed, list), "not a list"
            published = [p for p in listed if p.get("status") == "published"]
            found["publication"] = (published or listed or [None])[0]
            return f"{len(listed)} listed (limit 5)"

        def publication() -> str:
            assert "publication" in found, "skipped: the list failed"
            first = found["publication"]
            assert first, f"{self.org} has no publication to read"
            answer = self.get(f"/v1/publications/{first['id']}")
            _expect(answer, 200)
            got = answer.json()
            assert got.get("id") == first["id"], f"asked for {first['id']}, got {got.get('id')}"
            assert answer.headers.get("ETag"), "no ETag"
            found["publication"] = got
            return f"{got['id']} ({got.get('status')}): {got.get('title')!r}"

        def page() -> str:
            got = found.get("publication")
            assert got and got.get("url"), "skipped: no publication was read"
            answer = self.get(got["url"], token=False, accept="text/html")
            expected = 200 if got.get("status") == "published" else 404
            _expect(answer, expected, content_type="text/html" if expected == 200 else None)
            return f"{got['url']} -> {answer.status}"

        def no_token() -> str:
            answer = self.get(f"/v1/organisations/{self.org}/styles", token=False)
            _expect(answer, 401, code="UNAUTHORIZED")
            assert answer.headers.get("WWW-Authenticate", "").startswith("Bearer"), (
                "no WWW-Authenticate: Bearer"
            )
            return "401 UNAUTHORIZED, WWW-Authenticate: Bearer"

        def unknown_path() -> str:
            answer = self.get("/v1/no-such-resource")
            _expect(answer, 404, code="NOT_FOUND")
            return "404 NOT_FOUND (the gateway's own answer)"

        self.check(f"GET /v1/organisations/{self.org}/styles", styles)
        self.check(f"GET /v1/organisations/{self.org}/publications", publications)
        self.check("GET /v1/publications/{id}", publication)
        self.check("GET the publication's page", page)
        self.check("no token", no_token)
        self.check("unknown path", unknown_path)
        return all(ok for ok, _, _ in self.results)


def _expect(
    answer: Answer, status: int, *, code: str | None = None, content_type: str | None = None
) -> None:
    if answer.status != status:
        detail = answer.body[:200].decode("utf-8", "replace")
        raise AssertionError(f"expected {status}, got {answer.status}: {detail}")
    if code is not None:
        error = answer.json().get("error") or {}
        assert error.get("error_code") == code, f"expected the envelope with {code}"
    if content_type is not None:
        assert (answer.headers.get("Content-Type") or "").startswith(content_type), (
            f"expected {content_type}, got {answer.headers.get('Content-Type')}"
        )


def main(environ: dict[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    api = (env.get("API") or "").rstrip("/")
    if not api.startswith(("http://", "https://")):
        print(
            "error: give the API's base URL: make smoke API=https://... TOKEN=... "
            "(the stack's ApiUrl output; against make run, API=http://127.0.0.1:3000)",
            file=sys.stderr,
        )
        return 2
    token = env.get("TOKEN") or ""
    if not token:
        if urlsplit(api).hostname not in LOCAL_HOSTS:
            print(
                f"error: {api} needs TOKEN=...: an access token of a member of the "
                "organisation, with content.read, from your issuer",
                file=sys.stderr,
            )
            return 2
        from hail_tools import keys

        token = keys.mint_token("alice")
    smoke = Smoke(api, token, env.get("ORG") or "demo-school")
    passed = smoke.run()
    for ok, name, seen in smoke.results:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {seen}")
    failed = sum(not ok for ok, _, _ in smoke.results)
    print(
        f"{len(smoke.results) - failed} of {len(smoke.results)} checks passed against {api}"
        + ("" if passed else f"; {failed} failed")
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
