"""Text helpers shared by search and import."""
import unicodedata


def search_key(text: str) -> str:
    """Casefolded, diacritics removed: what the cashier types finds what the label says."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ł", "l")
