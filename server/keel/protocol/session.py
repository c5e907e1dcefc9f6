"""The connection itself: what a TCP client sends before anything else."""

from __future__ import annotations

from pydantic import Field

from .base import ParamsModel

__all__ = ["AuthenticateParams"]


class AuthenticateParams(ParamsModel):
    token: str = Field(
        min_length=1, max_length=1024,
        description="The server's token: KEEL_SERVER_TOKEN as the client set it when it started "
        "`keel serve --tcp`, or the content of the token file the server named on stderr.")
