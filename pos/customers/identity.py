"""How a person is recognised: phone in E.164, e-mail trimmed and lower-cased, loyalty card as printed."""
from __future__ import annotations

import re

import phonenumbers


class IdentityError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def normalise_phone(raw: str | None, region: str) -> str | None:
    """E.164; a number without a country prefix is read as the store's country's."""
    if raw is None or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise IdentityError("phone", f"not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise IdentityError("phone", f"{raw.strip()} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    email = raw.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise IdentityError("email", f"{raw.strip()} is not an e-mail address")
    return email


def normalise_card(raw: str | None) -> str | None:
    """Cards are typed with spaces or dashes as often as scanned; the digits and letters are the card."""
    if raw is None:
        return None
    card = re.sub(r"[\s-]", "", raw).upper()
    if not card:
        return None
    if len(card) > 64:
        raise IdentityError("card", "longer than 64 characters")
    return card
