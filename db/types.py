"""Column types shared by the models."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database.

    SQLite drops UTC offsets, so we store UTC and re-attach it on the way out; a naive
    datetime on the way in is a bug (time is always a timezone-aware parameter here).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class ExactDecimal(TypeDecorator[Decimal]):
    """Decimals that come back exactly as they went in, on every database.

    PostgreSQL has NUMERIC. SQLite has no decimal type: SQLAlchemy's Numeric goes through
    floats there, which loses digits on large values with decimals (45000000000.123456), so on
    SQLite the value is stored as its text.
    """

    impl = Numeric(24, 6)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(24, 6, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect) -> object:
        if value is None:
            return None
        value = Decimal(value)
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: object, dialect) -> Decimal | None:
        return None if value is None else plain_decimal(Decimal(value))


def plain_decimal(value: Decimal) -> Decimal:
    """Without the trailing zeros NUMERIC(24, 6) adds (1.600000 -> 1.6, 46000000.000000 -> 46000000),
    so a value reads the same from either database."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
