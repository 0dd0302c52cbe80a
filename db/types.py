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


PRECISION, SCALE = 24, 6  # NUMERIC(24, 6): 18 digits before the decimal mark, 6 after


class ExactDecimal(TypeDecorator[Decimal]):
    """Decimals that come back exactly as they went in, on every database.

    PostgreSQL has NUMERIC. SQLite has no decimal type: SQLAlchemy's Numeric goes through
    floats there, which loses digits on large values with decimals (45000000000.123456), so on
    SQLite the value is stored as its text.

    A value with more than 18 digits before the decimal mark, or NaN or an infinity, is refused
    on every database (PostgreSQL would refuse the first and keep NaN; SQLite would keep both):
    numbers are bounded where they are read (`domain.number_limits.check_storable`), so reaching
    this is a bug, and it shows on SQLite as it would on PostgreSQL.
    """

    impl = Numeric(PRECISION, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(PRECISION, SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect) -> object:
        if value is None:
            return None
        value = Decimal(value)
        if not value.is_finite() or (not value.is_zero() and value.adjusted() >= PRECISION - SCALE):
            raise ValueError(f"{value!r} does not fit NUMERIC({PRECISION}, {SCALE}); bound it where it is read")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: object, dialect) -> Decimal | None:
        return None if value is None else plain_decimal(Decimal(value))


def plain_decimal(value: Decimal) -> Decimal:
    """Without the trailing zeros NUMERIC(24, 6) adds (1.600000 -> 1.6, 46000000.000000 -> 46000000),
    so a value reads the same from either database; no exponent (4.6E+7 -> 46000000), no sign
    on zero. Exact whatever the number of digits: no decimal context is involved."""
    if not value.is_finite():
        return value
    if value.is_zero():
        return Decimal(0)
    sign, digits, exponent = value.as_tuple()
    digits = tuple(digits)
    while exponent < 0 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    if exponent > 0:
        digits, exponent = digits + (0,) * exponent, 0
    return Decimal((sign, digits, exponent))
