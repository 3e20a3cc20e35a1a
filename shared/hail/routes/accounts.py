"""/v1/me, /v1/users/{id}, /v1/users/{id}/organisations, /v1/organisations/{id}."""

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hail import accounts, hal
from hail.api import base_url, org_reader, user_reader
from hail.auth import Principal

router = APIRouter()


def _etag(body: Any) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return f'"{digest[:20]}"'


def _user_links(base: str, user_id: str) -> dict:
    return {
        "self": {"href": f"{base}/v1/users/{user_id}"},
        "organisations": {"href": f"{base}/v1/users/{user_id}/organisations"},
    }


def _organisation_links(base: str, org_id: str) -> dict:
    org = f"{base}/v1/organisations/{org_id}"
    return {
        "self": {"href": org},
        "publications": {"href": f"{org}/publications"},
        "styles": {"href": f"{org}/styles"},
    }


def _user(request: Request, body: dict) -> Response:
    links = _user_links(base_url(request), body["id"])
    return hal.resource(request, body, links, headers={"ETag": _etag(body)})


@router.get("/v1/me")
async def me(request: Request, caller: Principal = Depends(user_reader)) -> Response:
    return _user(request, accounts.me(caller.user_id))


@router.get("/v1/users/{id}")
async def get_user(id: str, request: Request, caller: Principal = Depends(user_reader)) -> Response:
    return _user(request, accounts.user(caller.user_id, id))


@router.get("/v1/users/{id}/organisations")
async def list_user_organisations(
    id: str, request: Request, caller: Principal = Depends(user_reader)
) -> Response:
    found = accounts.user_organisations(caller.user_id, id)
    base = base_url(request)
    return hal.collection(
        request,
        "organisations",
        [(org, _organisation_links(base, org["id"])) for org in found],
        f"{base}/v1/users/{id}/organisations",
    )


@router.get("/v1/organisations/{id}")
async def get_organisation(
    id: str, request: Request, caller: Principal = Depends(org_reader)
) -> Response:
    body = accounts.organisation(caller.user_id, id)
    links = _organisation_links(base_url(request), id)
    return hal.resource(request, body, links, headers={"ETag": _etag(body)})
