"""Helpers for the coupon tests: campaigns and product groups written through the coupon services."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from pos.catalogue.models import Product
from pos.coupons import services

NOW = dt.datetime.now(dt.timezone.utc)


def set_group(app, group: str, *skus: str) -> None:
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Product).where(Product.sku.in_(skus)).values(product_group=group))
        uow.commit()


def campaign(app, name="Spring", *, issue: int = 0, store_code=None, currency=None, valid_from=None,
             valid_until=None, **rules) -> tuple[str, list[str]]:
    """(campaign id, single-use codes issued)."""
    with app.extensions["pos.db"].unit_of_work() as uow:
        currency = currency or app.extensions["pos.settings"].country.currency
        made = services.create_campaign(uow.session, name=name, currency=currency,
                                        valid_from=valid_from or NOW - dt.timedelta(days=1),
                                        valid_until=valid_until or NOW + dt.timedelta(days=30), **rules)
        codes = services.issue_batch(uow.session, made.id, issue, store_code=store_code)[1] if issue else []
        uow.commit()
        return str(made.id), codes


def price_of(app, sku: str) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(Product.price).where(Product.sku == sku))
