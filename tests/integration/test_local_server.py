"""The local server (`make run`) over HTTP: whatever it refuses is in the envelope, its ports
are fixed and named, and it does not grow under load."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hail_tools import embedded, serve
from hail_tools.gateway import HEADERS_TOO_LARGE, LocalGateway


@pytest.fixture
def http_port(seeded: LocalGateway) -> Iterator[int]:
    """The local server's HTTP front (serve._RequestHandler) over the demo, on a free port."""
    server = serve._Server(("127.0.0.1", 0), serve._RequestHandler)
    server.gateway = seeded
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _exchange(port: int, request: bytes) -> tuple[str, dict[str, str], Any]:
    """Send raw bytes; the status line, headers and JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return status, headers, json.loads(body)


NOT_FOUND = {"error": {"message": "No such resource.", "error_code": "NOT_FOUND"}}


@pytest.mark.parametrize(
    ("request_line", "extra", "status", "body"),
    [
        # Not API Gateway methods (methods are case-sensitive): no route matches them
        ("TRACE /v1/publications/camp2026 HTTP/1.1", "", "404 Not Found", NOT_FOUND),
        ("get /v1/publications/camp2026 HTTP/1.1", "", "404 Not Found", NOT_FOUND),
        ("CONNECT /v1/publications/camp2026 HTTP/1.1", "", "404 Not Found", NOT_FOUND),
        # Over API Gateway's 10,240 bytes of request line and header values
        (
            "GET /v1/publications/camp2026 HTTP/1.1",
            "Cookie: " + "a" * 20_000 + "\r\n",
            "431 Request Header Fields Too Large",
            {"error": {"message": HEADERS_TOO_LARGE, "error_code": "BAD_REQUEST"}},
        ),
        # Refused by http.server itself: a header line over 64 KiB, and over 100 headers
        (
            "GET /v1/publications/camp2026 HTTP/1.1",
            "Cookie: " + "a" * 70_000 + "\r\n",
            "431 Request Header Fields Too Large",
            {"error": {"message": HEADERS_TOO_LARGE, "error_code": "BAD_REQUEST"}},
        ),
        (
            "GET /v1/publications/camp2026 HTTP/1.1",
            "".join(f"X-{n}: 1\r\n" for n in range(101)),
            "431 Request Header Fields Too Large",
            {"error": {"message": HEADERS_TOO_LARGE, "error_code": "BAD_REQUEST"}},
        ),
        # A body length that is not a number
        *[
            (
                "PUT /v1/publications/camp2026 HTTP/1.1",
                extra,
                "400 Bad Request",
                {
                    "error": {
                        "message": "Malformed Content-Length or chunk size.",
                        "error_code": "BAD_REQUEST",
                    }
                },
            )
            for extra in (
                "Content-Length: abc\r\n",
                "Content-Length: -1\r\n",
                "Transfer-Encoding: chunked\r\n\r\nzz",
            )
        ],
        (
            "GET /v1/publications/camp2026 HTTP/9.1",
            "",
            "505 HTTP Version Not Supported",
            {"error": {"message": "Invalid HTTP version (9.1).", "error_code": "BAD_REQUEST"}},
        ),
        (
            "GET /v1/publications/camp2026 HTTP/1.1 extra",
            "",
            "400 Bad Request",
            {
                "error": {
                    "message": "Bad request version ('extra').",
                    "error_code": "BAD_REQUEST",
                }
            },
        ),
    ],
)
def test_what_the_server_refuses_is_in_the_envelope(
    http_port: int, request_line: str, extra: str, status: str, body: dict
) -> None:
    # Given a request API Gateway or http.server would refuse
    request = f"{request_line}\r\nHost: x\r\nConnection: close\r\n{extra}\r\n".encode()

    # When it is sent to the local server
    got_status, headers, got_body = _exchange(http_port, request)

    # Then the answer is JSON in the envelope, never http.server's HTML page
    assert got_status == f"HTTP/1.1 {status}"
    assert headers["content-type"] == "application/json"
    assert got_body == body


def test_the_envelope_keeps_the_connection_usable(http_port: int) -> None:
    # Given a TRACE and then a GET on one keep-alive connection
    with socket.create_connection(("127.0.0.1", http_port), timeout=30) as connection:
        stream = connection.makefile("rb")
        answers = []
        for method in ("TRACE", "GET"):
            connection.sendall(f"{method} /v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status = stream.readline()
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            answers.append((status.split()[1], json.loads(stream.read(length))))

    # Then both are answered in turn, in the envelope
    assert answers == [(b"404", NOT_FOUND), (b"404", NOT_FOUND)]


# ------------------------------------------------------------------ ports ---


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 3001), ("", 3001), ("0", 0), ("4001", 4001)]
)
def test_each_port_has_a_default_and_a_variable(value: str | None, expected: int) -> None:
    environ = {} if value is None else {"AWS_PORT": value}
    assert serve.port_setting("aws", environ) == expected
    assert [(variable, port) for _, variable, port in serve.PORTS.values()] == [
        ("PORT", 3000),
        ("AWS_PORT", 3001),
        ("SINK_PORT", 3002),
        ("SIGNIN_PORT", 3003),
    ]


@pytest.mark.parametrize("value", ["x", "-1", "70000", "\uff13\uff10\uff10\uff10"])
def test_a_port_that_is_not_a_number_is_refused_by_name(value: str) -> None:
    with pytest.raises(SystemExit) as refused:
        serve.port_setting("sink", {"SINK_PORT": value})
    assert str(refused.value) == f"error: SINK_PORT={value!r} is not a port number (0 to 65535)"


@pytest.mark.parametrize(
    ("busy", "variable", "what"),
    [
        ("port", "PORT", "API"),
        ("aws_port", "AWS_PORT", "embedded AWS"),
        ("sink_port", "SINK_PORT", "webhook sink"),
        ("signin_port", "SIGNIN_PORT", "sign-in"),
    ],
)
def test_a_port_in_use_names_the_variable_that_moves_it(
    busy: str, variable: str, what: str
) -> None:
    # Given a port something else listens on
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        ports = {"port": 0, "aws_port": 0, "sink_port": 0, busy: port}

        # When the local server is asked to use it
        with pytest.raises(serve.PortInUseError) as refused:
            serve.start(ports.pop("port"), seed=False, endpoint_file=None, **ports)

    # Then the error names the endpoint and the variable, on one line
    assert refused.value.variable == variable
    assert refused.value.advice() == (
        f"error: port {port} on 127.0.0.1 ({what}) is already in use: set {variable} to a "
        f"free port (`make run {variable}={port + 100}`), or {variable}=0 for any free port"
    )


# ------------------------------------------------------------------ memory ---


def test_moto_keeps_no_copy_of_the_items_it_wrote(aws: Any) -> None:
    # Given moto with instance tracking off, as the local server runs it
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    embedded.untrack_moto_models()
    table = aws.table_name
    key = {"pk": {"S": "X"}, "sk": {"S": "Y"}}
    aws.dynamodb.put_item(TableName=table, Item={**key, "n": {"N": "0"}})
    tracked = len(Table.instances_tracked), len(Item.instances_tracked)

    # When it writes in transactions (each copies the table, to roll back) and reads
    for n in range(20):
        aws.dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": key,
                        "UpdateExpression": "SET n = :n",
                        "ExpressionAttributeValues": {":n": {"N": str(n)}},
                    }
                }
            ]
        )
        aws.dynamodb.get_item(TableName=table, Key=key, ProjectionExpression="n")

    # Then none of the copies is kept
    assert (len(Table.instances_tracked), len(Item.instances_tracked)) == tracked


def test_no_metric_documents_when_metrics_are_disabled(
    seeded: LocalGateway,
    token: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given metrics disabled, as in `make run` and `make bench`
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    headers = {"Authorization": token("alice")}

    # When more than 100 requests are answered (Powertools prints a metric at 100 values)
    for _ in range(110):
        assert seeded.request("GET", "/v1/publications/camp2026", headers=headers).status == 200

    # Then no EMF document was printed
    assert '"_aws"' not in capsys.readouterr().out
