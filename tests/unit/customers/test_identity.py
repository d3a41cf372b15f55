"""Phone and e-mail normalisation: the same person typed two ways must be one identity."""
import pytest

from pos.customers.identity import IdentityError, normalise_card, normalise_email, normalise_phone


@pytest.mark.parametrize("raw, region, expected", [
    ("601 234 567", "PL", "+48601234567"),
    ("+48 601-234-567", "PL", "+48601234567"),
    ("0048601234567", "PL", "+48601234567"),
    ("601234567", "CZ", "+420601234567"),
    ("+48601234567", "CZ", "+48601234567"),  # an explicit prefix wins over the store's country
    ("050 123 4567", "UA", "+380501234567"),
])
def test_phone_numbers_become_e164_with_the_store_country_as_default(raw, region, expected):
    assert normalise_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "+48 123"])
def test_a_phone_that_is_not_a_number_is_refused_naming_the_field(raw):
    with pytest.raises(IdentityError) as refused:
        normalise_phone(raw, "PL")
    assert refused.value.field == "phone"


def test_missing_identities_stay_missing():
    assert normalise_phone(None, "PL") is None
    assert normalise_phone("  ", "PL") is None
    assert normalise_email("") is None
    assert normalise_card(" ") is None


@pytest.mark.parametrize("raw, expected", [
    ("  Jan.Kowalski@Example.PL ", "jan.kowalski@example.pl"),
    ("ANNA@SKLEP.CZ", "anna@sklep.cz"),
])
def test_emails_are_trimmed_and_lower_cased(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["no-at-sign", "two@@example.pl", "a@b", "spa ce@example.pl"])
def test_a_malformed_email_is_refused(raw):
    with pytest.raises(IdentityError) as refused:
        normalise_email(raw)
    assert refused.value.field == "email"


def test_loyalty_cards_lose_spaces_and_dashes():
    assert normalise_card(" 1234-5678 90ab ") == "1234567890AB"
