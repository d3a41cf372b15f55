"""Text helpers shared by search and import."""
from anyascii import anyascii

SEARCH_KEY_LENGTH = 200  # product.search_name's column


def search_key(text: str) -> str:
    """What the cashier types finds what the label says: casefolded and in Latin letters without accents
    (anyascii's table), so `zolty` finds `żółty`, and `хліб` and `khlib` both find `Хліб`."""
    return anyascii(text).casefold()[:SEARCH_KEY_LENGTH]
