"""What a plaintext Slack token looks like, for at-rest checks.

A bare "xox" is not enough: Fernet's base64 ciphertext contains those three letters
by chance (about one run in a few hundred), so the check looks for a token's shape,
"xox", a type letter and its separator, which random base64 spells once in ~10^9.
"""

from __future__ import annotations

import re

SLACK_TOKEN_SHAPE = re.compile(r"xox[a-z][-.]")


def holds_slack_token(text: str) -> bool:
    return SLACK_TOKEN_SHAPE.search(text) is not None
