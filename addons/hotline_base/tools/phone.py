"""Phone numbers as callers type them and as the PBX sends them, reduced to E.164."""

import re

import phonenumbers

_NOISE = re.compile(r"[\s\-().\u3000/]")


def normalize_phone(number, region="CN", area_code=None):
    """Return the E.164 form of ``number`` (e.g. ``+8613800138000``), or False.

    Accepts local (``12345678`` with ``area_code`` ``755``), national
    (``0755-12345678``, ``13800138000``) and international (``+86 755 1234 5678``,
    ``0086...``) spellings. Anything that is not a possible number gives False;
    it never raises.
    """
    if not number or not isinstance(number, str):
        return False
    digits = _NOISE.sub("", number.strip())
    if not digits:
        return False
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.isdigit() and not digits.startswith("0") and len(digits) <= 8:
        # a local number: only meaningful with the city's area code
        if not area_code or len(digits) < 7:
            return False
        digits = "0" + area_code.lstrip("0") + digits
    try:
        parsed = phonenumbers.parse(digits, (region or "CN").upper())
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_possible_number(parsed):
        return False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(number):
    """Hide the middle of a phone number: ``13800138000`` gives ``138****8000``."""
    if not number:
        return number
    digits = [index for index, char in enumerate(number) if char.isdigit()]
    if len(digits) < 7:
        return "*" * len(number)
    hidden = set(digits[3:-4])
    return "".join("*" if index in hidden else char for index, char in enumerate(number))
