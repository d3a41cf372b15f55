"""Who is selling where: the context every store-side service takes."""
from __future__ import annotations

from dataclasses import dataclass, field

from pos.countries import Country
from pos.staff.services import PinPolicy


@dataclass
class Settings:
    """The slice of configuration the selling code needs (no Flask in services)."""

    country: Country
    embedded_layouts: list
    discount_limit_percent: int = 10
    pin_policy: PinPolicy = field(default_factory=PinPolicy)


@dataclass
class Till:
    cashier: object
    terminal: object
    location: object
    settings: Settings

    @property
    def vat_rates(self) -> dict:
        return self.settings.country.vat_rates

    @property
    def currency(self) -> str:
        return self.location.currency
