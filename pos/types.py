"""Column types every area shares, so SQLite and PostgreSQL store the same facts."""
import datetime as dt

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, TypeDecorator, Uuid
from sqlalchemy.dialects.postgresql import JSONB


class UtcTimestamp(TypeDecorator):
    """Always UTC and timezone-aware on the way out; SQLite would hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


Money = BigInteger  # integer minor units; the currency sits beside it
Quantity = BigInteger  # pieces, or grams for goods sold by weight
Id = Uuid(as_uuid=True)
Timestamp = UtcTimestamp()
Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants 64 bits for a feed that never resets.
Sequence = BigInteger().with_variant(Integer(), "sqlite")
Currency = String(3)
