from __future__ import annotations

from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.http import BEARER, TILL_COOKIE, bearer_token, run, settings
from pos.schemas import Strict
from pos.staff import services

api = APIBlueprint("staff", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="auth")])


class LoginIn(Strict):
    login: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=32)
    terminal: str = Field(default="T1", min_length=1, max_length=32, description="the till's code")


class LoginOut(BaseModel):
    token: str
    token_type: str
    cashier: dict
    terminal: dict


@api.post("/auth/login", responses={201: LoginOut})
def login(body: LoginIn):
    """A bearer token for this cashier on this terminal.  Five wrong PINs lock the login for a while."""
    def work(session, _):
        config = current_app.config
        token, cashier, terminal = services.login(session, body.login, body.pin, body.terminal,
                                                  config["POS_STORE_CODE"], settings().pin_policy,
                                                  config["POS_TOKEN_HOURS"])
        return {"token": token, "token_type": "Bearer",
                "cashier": {"id": str(cashier.id), "login": cashier.login, "name": cashier.name,
                            "role": cashier.role},
                "terminal": {"id": str(terminal.id), "code": terminal.code, "language": terminal.language}}, 201
    response = run(work, auth=False)
    if response.status_code == 201:
        # for the till's event stream only (EventSource sends no headers); never readable by the page's JS
        response.set_cookie(TILL_COOKIE, response.get_json()["token"], path="/api/v1/terminals/",
                            max_age=current_app.config["POS_TOKEN_HOURS"] * 3600, httponly=True,
                            samesite="Strict", secure=request.is_secure)
    return response


@api.post("/auth/logout", responses={204: None}, security=BEARER)
def logout():
    def work(session, _):
        services.logout(session, bearer_token())
        return current_app.response_class(status=204)
    response = run(work, auth=False)
    response.delete_cookie(TILL_COOKIE, path="/api/v1/terminals/", httponly=True, samesite="Strict")
    return response
