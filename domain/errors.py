"""Typed user errors: a message id and its parameters, rendered in the user's language at the edge."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; never a bug. The message says what to type instead."""

    def __init__(self, message_id: str, /, **params: object):
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params
