"""Errors a channel client raises (partial batch failures are not errors: see PushResult)."""

from __future__ import annotations


class ChannelError(Exception):
    """The channel refused a request or answered something we cannot use."""

    def __init__(self, message: str, *, status: int | None = None, body: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = body


class ChannelUnavailable(ChannelError):
    """Still throttled, failing (5xx) or timing out when the retry budget ran out."""


class ChannelAuthError(ChannelError):
    """The token endpoint refused our credentials, or the channel keeps answering 401."""
