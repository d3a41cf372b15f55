"""Paging for long lists: ?page=N (50 a page), the rest of the query string kept in the links."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from sqlalchemy import func, select

PER_PAGE = 50
MAX_PAGE = 100_000


@dataclass
class Paged:
    items: list
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def link(self, number: int) -> str:
        args = {**request.args.to_dict(), **(request.view_args or {}), "page": number}
        return url_for(request.endpoint, **args)

    @property
    def previous(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.number + 1) if self.number < self.pages else None


def page_number() -> int:
    raw = request.args.get("page", "1")
    return min(MAX_PAGE, max(1, int(raw))) if raw.isdigit() and len(raw) < 7 else 1


def paged(session, statement, *, scalars: bool = False) -> Paged:
    """One page of ``statement`` (already ordered) and how many rows it has in all."""
    number = page_number()
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    limited = statement.limit(PER_PAGE).offset((number - 1) * PER_PAGE)
    rows = list(session.scalars(limited) if scalars else session.execute(limited))
    return Paged(rows, number, total or 0)


def search_text(name: str = "q", limit: int = 100) -> str:
    return request.args.get(name, "").strip().replace("\x00", "")[:limit]


def like(text: str) -> str:
    """A LIKE pattern for text typed by a person (their % and _ are matched as themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def day_arg(name: str):
    """?from= / ?to= as a date, or None when left out or not a date like 2026-12-03."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
