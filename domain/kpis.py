"""The KPI catalog: what a KPI is, which values make sense for it, and how a period aggregates.

Pure rules only: the shape of a KPI (key, names, unit, direction, aggregation, side, glossary
term), reading the one-line `/alinea kpi new` form, checking a logged value against its unit,
aggregating a period's values, and the starter set of e-commerce KPIs. Storage, periods and
number parsing live elsewhere: values arrive here as `Decimal`, already parsed.

Decisions worth knowing:

- **Rounding.** SUM and LAST are exact (SUM adds in a 100-digit context, so it never rounds in
  practice). AVERAGE and RATE are derived values: they are rounded half-even to
  `DERIVED_PLACES` (6) decimals, or to the most decimals among the inputs when those have more,
  and trailing zeros are removed (`Decimal("3")`, never `Decimal("3.000000")`). Six places are
  more than any display shows and keep equality tests stable; because the rounding grid
  contains every input, an average never leaves the range [min, max] of its inputs.
- **Rates.** A RATE KPI stores no values of its own: it is numerator ÷ denominator over the
  period, each part aggregated by its own rule, × 100 when the unit is percent (orders ÷
  sessions = 1.6 %). `aggregate()` refuses a RATE spec (a bug, not a user mistake); call `rate()`.
- **Negative values** make no sense for any unit (sessions, hours, pesos, percentages, ratios)
  unless the KPI sets `allow_negative` (gross margin can be negative when a shop sells at a
  loss). Percentages over 100 are refused unless `allow_over_100` (ROAS typed as a percent).
- **Units as typed.** `unit_matches` accepts a bare number for every unit (the reply echoes the
  value with its unit, so a misread is caught at once), `%` for percentages, the KPI's currency
  code or `$` for money (in Latin America `$` is the local peso), `h` (or hours/horas) for
  hours and `x` for ratios ("ROAS 4,2x").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from enum import Enum
from typing import Iterable, Sequence

from domain.commands import closest, fold, unknown_word
from domain.errors import UserError
from domain.words import WordCursor
from domain.glossary import MAX_TERM_LENGTH, Side
from domain.locales import normalize_locale

__all__ = [
    "Aggregation",
    "DERIVED_PLACES",
    "Direction",
    "KEY_PATTERN",
    "KNOWN_CURRENCIES",
    "KpiSpec",
    "MAX_NAME_LENGTH",
    "STARTER_TEMPLATES",
    "Side",
    "Unit",
    "aggregate",
    "check_unit",
    "closest_key",
    "parse_kpi_new",
    "rate",
    "round_derived",
    "template",
    "unit_matches",
    "validate_key",
    "validate_spec",
    "validate_value",
]

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")
MAX_NAME_LENGTH = 60
DERIVED_PLACES = 6
DEFAULT_CURRENCY = "COP"
EXAMPLE_KEY = "conversion_web"

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# Enough digits that adding or dividing the values a team logs never rounds.
_WIDE = Context(prec=100)

# Currencies the one-line form accepts as a unit (validate_spec accepts any 3-letter code, so
# the modal or an import may use others). Latin America first, then the usual references.
KNOWN_CURRENCIES = (
    "COP", "USD", "MXN", "BRL", "ARS", "CLP", "PEN", "UYU", "PYG", "BOB", "VES", "GTQ", "CRC",
    "DOP", "HNL", "NIO", "PAB", "EUR", "CAD", "GBP",
)  # fmt: skip


class Unit(str, Enum):
    COUNT = "count"
    PERCENT = "percent"
    CURRENCY = "currency"
    HOURS = "hours"
    RATIO = "ratio"


class Direction(str, Enum):
    """Which way is better."""

    HIGHER = "higher"
    LOWER = "lower"


class Aggregation(str, Enum):
    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"
    RATE = "rate"  # numerator KPI ÷ denominator KPI (× 100 for a percent)


@dataclass(frozen=True)
class KpiSpec:
    """One KPI of a team's catalog. Strings given for the enum fields are converted to them."""

    key: str
    name_es: str
    name_en: str
    unit: Unit = Unit.COUNT
    direction: Direction = Direction.HIGHER
    aggregation: Aggregation = Aggregation.SUM
    side: Side = Side.BOTH
    term: str | None = None  # the glossary term it measures, by name
    currency: str = DEFAULT_CURRENCY  # ISO 4217; meaningful only when unit is CURRENCY
    numerator: str | None = None  # RATE only: the KPI keys divided
    denominator: str | None = None
    allow_over_100: bool = False  # PERCENT only: e.g. ROAS typed as a percentage
    allow_negative: bool = False  # e.g. gross margin when selling at a loss

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", Unit(self.unit))
        object.__setattr__(self, "direction", Direction(self.direction))
        object.__setattr__(self, "aggregation", Aggregation(self.aggregation))
        object.__setattr__(self, "side", Side(self.side))
        if self.term is not None:
            object.__setattr__(self, "term", self.term.strip() or None)

    def name(self, language: str | None) -> str:
        """The display name in `language` ("es", "en", "es-CO", "en_US"…); Spanish otherwise."""
        return self.name_en if normalize_locale(language) == "en" else self.name_es


# ---------------------------------------------------------------------------------------------
# Keys


def validate_key(key: str) -> str:
    """The key as stored: `" Leads_MQL "` → `"leads_mql"`; `"tasa conversión"` is refused.

    Keys are lower-case ASCII letters, digits and `_`, 2 to 40 characters, starting with a letter.
    Case and accents are forgiven (folded); anything else is refused with a suggested key.
    """
    folded = fold(key.strip())
    if KEY_PATTERN.fullmatch(folded):
        return folded
    raise UserError("kpi.invalid_key", key=key.strip(), suggestion=_suggested_key(key))


def _suggested_key(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")
    if slug[:1].isdigit():
        slug = "kpi_" + slug
    slug = slug[:40].rstrip("_")
    return slug if KEY_PATTERN.fullmatch(slug) else EXAMPLE_KEY


def closest_key(query: str, keys: Iterable[str]) -> str | None:
    """The key `query` most likely means ("did you mean"), or None when nothing is close.

    Spaces and dashes count as `_` ("cart abandonment" finds `cart_abandonment`), and a prefix
    of three or more letters that starts exactly one key finds it ("cart").
    """
    candidates = sorted(set(keys))
    wanted = re.sub(r"[\s\-]+", "_", fold(query.strip()))
    if not wanted or not candidates:
        return None
    if wanted in candidates:
        return wanted
    suggestion = closest(wanted, candidates)
    if suggestion is not None:
        return suggestion
    starting = [key for key in candidates if key.startswith(wanted)]
    return starting[0] if len(wanted) >= 3 and len(starting) == 1 else None


# ---------------------------------------------------------------------------------------------
# Validating a KPI


def validate_spec(spec: KpiSpec) -> None:
    """Raise the first problem that keeps `spec` out of a catalog."""
    if not KEY_PATTERN.fullmatch(spec.key):
        raise UserError("kpi.invalid_key", key=spec.key, suggestion=_suggested_key(spec.key))
    for field, name in (("name_es", spec.name_es), ("name_en", spec.name_en)):
        _check_name(spec.key, field, name)
    if not _CURRENCY_CODE.fullmatch(spec.currency):
        raise UserError("kpi.invalid_currency", key=spec.key, currency=spec.currency)
    if spec.term is not None and len(spec.term) > MAX_TERM_LENGTH:
        raise UserError("kpi.term_too_long", key=spec.key, term=spec.term, limit=MAX_TERM_LENGTH, length=len(spec.term))
    _check_parts(spec)


def _check_name(key: str, field: str, name: str) -> None:
    length = len(name.strip())
    if not length:
        raise UserError("kpi.name_missing", key=key, field=field)
    if length > MAX_NAME_LENGTH:
        raise UserError("kpi.name_too_long", key=key, field=field, limit=MAX_NAME_LENGTH, length=length)


def _check_parts(spec: KpiSpec) -> None:
    if spec.aggregation is not Aggregation.RATE:
        if spec.numerator is not None or spec.denominator is not None:
            raise UserError("kpi.parts_without_rate", key=spec.key)
        return
    if not spec.numerator or not spec.denominator:
        raise UserError("kpi.rate_needs_parts", key=spec.key)
    for part in (spec.numerator, spec.denominator):
        if not KEY_PATTERN.fullmatch(part):
            raise UserError("kpi.invalid_key", key=part, suggestion=_suggested_key(part))
        if part == spec.key:
            raise UserError("kpi.rate_refers_to_itself", key=spec.key)
    if spec.numerator == spec.denominator:
        raise UserError("kpi.rate_same_parts", key=spec.key, part=spec.numerator)


# ---------------------------------------------------------------------------------------------
# Validating a value


def validate_value(spec: KpiSpec, value: Decimal, shown: str | None = None, *, language: str | None = "es") -> None:
    """Refuse a value that makes no sense for the KPI's unit.

    `shown` is the value as the person typed it ("-3", "120,5 %"), echoed in the message;
    `language` picks the KPI's display name for it. Every error carries `key`, `name`, `value`.
    """
    params = {"key": spec.key, "name": spec.name(language), "value": shown if shown is not None else str(value)}
    if not value.is_finite():
        raise UserError("kpi.value_not_a_number", **params)
    if value < 0 and not spec.allow_negative:
        raise UserError("kpi.negative_value", **params)
    if spec.unit is Unit.PERCENT and value > 100 and not spec.allow_over_100:
        raise UserError("kpi.percent_over_100", **params)
    if spec.unit is Unit.COUNT and value != value.to_integral_value():
        raise UserError("kpi.count_not_whole", **params)


_PERCENT_UNITS = {"%", "pct", "percent", "porcentaje", "porciento"}
_HOUR_UNITS = {"h", "hr", "hrs", "hour", "hours", "hora", "horas"}
_RATIO_UNITS = {"x"}


def unit_matches(spec: KpiSpec, quantity_unit: str | None) -> bool:
    """Whether a value typed with `quantity_unit` (None: a bare number) fits the KPI's unit."""
    if quantity_unit is None or not quantity_unit.strip():
        return True
    typed = fold(quantity_unit.strip())
    if spec.unit is Unit.PERCENT:
        return typed in _PERCENT_UNITS
    if spec.unit is Unit.CURRENCY:
        return typed in (spec.currency.casefold(), "$")
    if spec.unit is Unit.HOURS:
        return typed in _HOUR_UNITS
    if spec.unit is Unit.RATIO:
        return typed in _RATIO_UNITS
    return False  # a count has no unit


def check_unit(spec: KpiSpec, quantity_unit: str | None, *, language: str | None = "es") -> None:
    """`unit_matches`, raising `kpi.unit_mismatch` with an example of the value done right."""
    if not unit_matches(spec, quantity_unit):
        raise UserError(
            "kpi.unit_mismatch",
            key=spec.key,
            name=spec.name(language),
            unit=(quantity_unit or "").strip(),
            expected=spec.currency if spec.unit is Unit.CURRENCY else spec.unit.value,
            example=_example_value(spec),
        )


def _example_value(spec: KpiSpec) -> str:
    """A value written right for the unit, readable in both languages (no thousands marks)."""
    return {
        Unit.COUNT: "120",
        Unit.PERCENT: "12 %",
        Unit.CURRENCY: f"450000 {spec.currency}",
        Unit.HOURS: "4 h",
        Unit.RATIO: "4",
    }[spec.unit]


# ---------------------------------------------------------------------------------------------
# Aggregating a period


def round_derived(value: Decimal, places: int = DERIVED_PLACES) -> Decimal:
    """Round a derived value half-even to `places` decimals, without trailing zeros."""
    with localcontext(_WIDE):
        # quantize fails when the result would need more digits than the context holds, so very
        # large values keep fewer decimals rather than raise.
        whole_digits = max(value.adjusted() + 1, 1) if value else 1
        places = min(places, _WIDE.prec - whole_digits)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        if rounded == 0:
            return Decimal(0)
        if rounded == rounded.to_integral_value():
            return rounded.quantize(Decimal(1))
        return rounded.normalize()


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def aggregate(spec: KpiSpec, values: Sequence[Decimal]) -> Decimal | None:
    """A period's value from its values in time order; None when there are none.

    SUM adds exactly; LAST is the latest value; AVERAGE is rounded as the module explains.
    A RATE KPI aggregates its parts instead: see `rate()`.
    """
    if spec.aggregation is Aggregation.RATE:
        raise ValueError(f"{spec.key} is a rate of {spec.numerator}/{spec.denominator}: aggregate its parts and call rate()")
    if not values:
        return None
    if spec.aggregation is Aggregation.LAST:
        return values[-1]
    with localcontext(_WIDE):
        total = sum(values, Decimal(0))
        if spec.aggregation is Aggregation.SUM:
            return total
        mean = total / len(values)
    return round_derived(mean, max(DERIVED_PLACES, *(_places(value) for value in values)))


def rate(numerator_total: Decimal | None, denominator_total: Decimal | None, unit: Unit | str) -> Decimal | None:
    """numerator ÷ denominator (× 100 for a percent); None when either is missing or the
    denominator is 0 (no sessions means no conversion rate, not a rate of 0)."""
    if numerator_total is None or denominator_total is None or denominator_total == 0:
        return None
    with localcontext(_WIDE):
        quotient = numerator_total / denominator_total
        if Unit(unit) is Unit.PERCENT:
            quotient *= 100
    return round_derived(quotient)


# ---------------------------------------------------------------------------------------------
# The starter set


def _starter(key: str, name_es: str, name_en: str, unit: Unit, aggregation: Aggregation, side: Side, **extra: object) -> KpiSpec:
    return KpiSpec(key=key, name_es=name_es, name_en=name_en, unit=unit, aggregation=aggregation, side=side, **extra)  # type: ignore[arg-type]


_C, _P, _M, _H, _R = Unit.COUNT, Unit.PERCENT, Unit.CURRENCY, Unit.HOURS, Unit.RATIO
_SUM, _AVG, _LAST, _RATE = Aggregation.SUM, Aggregation.AVERAGE, Aggregation.LAST, Aggregation.RATE
_MKT, _SALES, _BOTH = Side.MARKETING, Side.SALES, Side.BOTH
_LOWER = {"direction": Direction.LOWER}

STARTER_TEMPLATES: tuple[KpiSpec, ...] = (
    _starter("sessions", "Sesiones", "Sessions", _C, _SUM, _MKT),
    _starter("orders", "Pedidos", "Orders", _C, _SUM, _SALES),
    _starter("leads_mql", "Leads calificados por mercadeo (MQL)", "Marketing qualified leads (MQL)", _C, _SUM, _MKT, term="MQL"),
    _starter("sql", "Leads calificados por ventas (SQL)", "Sales qualified leads (SQL)", _C, _SUM, _SALES, term="SQL"),
    _starter("conversion_web", "Tasa de conversión web", "Web conversion rate", _P, _RATE, _BOTH, numerator="orders", denominator="sessions"),
    _starter("mobile_conversion", "Conversión en móvil", "Mobile conversion rate", _P, _AVG, _MKT),
    _starter("cart_abandonment", "Abandono de carrito", "Cart abandonment", _P, _AVG, _MKT, **_LOWER),
    _starter("checkout_abandonment", "Abandono en el checkout", "Checkout abandonment", _P, _AVG, _MKT, **_LOWER),
    _starter("whatsapp_close_rate", "Tasa de cierre en WhatsApp", "WhatsApp close rate", _P, _AVG, _SALES),
    _starter("whatsapp_response_time", "Tiempo de respuesta en WhatsApp", "WhatsApp response time", _H, _AVG, _SALES, **_LOWER),
    _starter("followup_hours", "Tiempo de seguimiento a leads", "Lead follow-up time", _H, _AVG, _SALES, **_LOWER),
    # Attempts per lead is a ratio (attempts ÷ leads, e.g. 2,5), so decimals are fine.
    _starter("contact_attempts", "Intentos de contacto por lead", "Contact attempts per lead", _R, _AVG, _SALES),
    _starter("repurchase_60d", "Recompra a 60 días", "60-day repurchase rate", _P, _LAST, _BOTH),
    _starter("cac", "Costo de adquisición de clientes (CAC)", "Customer acquisition cost (CAC)", _M, _AVG, _MKT, **_LOWER),
    _starter("roas", "Retorno de la inversión publicitaria (ROAS)", "Return on ad spend (ROAS)", _R, _AVG, _MKT),
    _starter("sales_cop", "Ventas", "Sales", _M, _SUM, _SALES),
    _starter("revenue_marketing", "Ingresos atribuidos a mercadeo", "Marketing-attributed revenue", _M, _SUM, _MKT),
    _starter("avg_deal", "Ticket promedio por oportunidad", "Average deal size", _M, _AVG, _SALES),
    # A CRM reports lead→customer as a rolling figure: the latest one is the period's value
    # (averaging rolling figures would count the same leads several times).
    _starter("lead_to_customer", "Conversión de lead a cliente", "Lead-to-customer conversion", _P, _LAST, _BOTH),
    _starter("gross_margin", "Margen bruto", "Gross margin", _P, _AVG, _BOTH, allow_negative=True),
)

_TEMPLATES_BY_KEY = {spec.key: spec for spec in STARTER_TEMPLATES}


def template(key: str) -> KpiSpec | None:
    """The starter KPI with this key (case and accents forgiven), or None."""
    return _TEMPLATES_BY_KEY.get(fold(key.strip()))


# ---------------------------------------------------------------------------------------------
# The one-line form: `/alinea kpi new KEY "Name" unit % better higher aggregate sum side …`

_OPENING_QUOTES = "\"“”„«"
_CLOSING_QUOTES = "\"“”»"
_TOKEN = re.compile(rf"[{_OPENING_QUOTES}][^{_CLOSING_QUOTES}]*[{_CLOSING_QUOTES}]|\S+")

# Folded keyword -> the setting it introduces (the setting also detects repeats).
_KEYWORDS = {
    **dict.fromkeys(("unit", "unidad"), "unit"),
    **dict.fromkeys(("better", "mejor", "direction", "direccion"), "direction"),
    **dict.fromkeys(("aggregate", "aggregation", "agregacion", "agregado", "agregar"), "aggregation"),
    **dict.fromkeys(("side", "lado"), "side"),
    **dict.fromkeys(("term", "termino"), "term"),
    **dict.fromkeys(("allow", "permite", "permitir"), "allow"),
}

_UNIT_WORDS: dict[str, Unit] = {
    **dict.fromkeys(("count", "conteo", "cantidad", "numero", "number"), Unit.COUNT),
    **dict.fromkeys(("%", "percent", "porcentaje", "pct", "porciento"), Unit.PERCENT),
    **dict.fromkeys(("hours", "hour", "horas", "hora", "h", "hrs"), Unit.HOURS),
    **dict.fromkeys(("ratio", "razon"), Unit.RATIO),
}
_DIRECTION_WORDS: dict[str, Direction] = {
    **dict.fromkeys(("higher", "high", "up", "alto", "alta", "mayor", "sube", "arriba", "mas"), Direction.HIGHER),
    **dict.fromkeys(("lower", "low", "down", "bajo", "baja", "menor", "abajo", "menos"), Direction.LOWER),
}
_AGGREGATION_WORDS: dict[str, Aggregation] = {
    **dict.fromkeys(("sum", "suma", "total"), Aggregation.SUM),
    **dict.fromkeys(("average", "avg", "mean", "promedio"), Aggregation.AVERAGE),
    **dict.fromkeys(("last", "latest", "ultimo", "ultima"), Aggregation.LAST),
    **dict.fromkeys(("rate", "tasa"), Aggregation.RATE),
}
_SIDE_WORDS: dict[str, Side] = {
    **dict.fromkeys(("marketing", "mercadeo", "mkt"), Side.MARKETING),
    **dict.fromkeys(("sales", "ventas"), Side.SALES),
    **dict.fromkeys(("both", "ambos", "ambas"), Side.BOTH),
}
_ALLOW_WORDS = {
    **dict.fromkeys(("over100", "sobre100", "mas100", "mas_de_100"), "allow_over_100"),
    **dict.fromkeys(("negative", "negatives", "negativo", "negativos"), "allow_negative"),
}

# Per setting: (value missing, unknown value, unknown value with a suggestion).
_VALUE_ERRORS = {
    "direction": ("kpi.direction_missing", "kpi.unknown_direction", "kpi.unknown_direction_suggestion"),
    "aggregation": ("kpi.aggregation_missing", "kpi.unknown_aggregation", "kpi.unknown_aggregation_suggestion"),
    "side": ("kpi.side_missing", "kpi.unknown_side", "kpi.unknown_side_suggestion"),
    "allow": ("kpi.allow_missing", "kpi.unknown_allow", "kpi.unknown_allow_suggestion"),
}


def _is_quoted(token: str) -> bool:
    return len(token) >= 2 and token[0] in _OPENING_QUOTES and token[-1] in _CLOSING_QUOTES


class _Tokens(WordCursor):
    def __init__(self, text: str):
        super().__init__(match.group(0) for match in _TOKEN.finditer(text))
        for word in self.words:
            if word[0] in _OPENING_QUOTES and not _is_quoted(word):
                raise UserError("kpi.quote_not_closed")

    def next_is_value(self) -> bool:
        word = self.peek()
        return word is not None and (_is_quoted(word) or fold(word) not in _KEYWORDS)


def parse_kpi_new(text: str) -> KpiSpec:
    """`KEY "Display name" [unit U] [better higher|lower] [aggregate A] [side S] [term T] [allow …]`.

    `text` is what follows `/alinea kpi new|nuevo`. Keywords come in English or Spanish, any
    case, accents optional, in any order, each once. The name is quoted (straight or
    typographic quotes) or a single word; it names the KPI in both languages (a team types it in
    its own). Defaults: unit count, higher is better, sum, side both; a rate (`tasa a/b`)
    without a unit is a percent. The result has passed `validate_spec`.
    """
    tokens = _Tokens(text)
    if tokens.peek() is None:
        raise UserError("kpi.key_missing")
    key = validate_key(tokens.take())
    name = _read_name(tokens, key)
    values: dict[str, object] = {}
    seen: set[str] = set()
    while tokens.peek() is not None:
        keyword = tokens.take()
        setting = _setting_of(keyword)
        if setting in seen:
            raise UserError("kpi.repeated_keyword", word=keyword)
        seen.add(setting)
        values.update(_READERS[setting](tokens, keyword))
    if values.get("aggregation") is Aggregation.RATE and "unit" not in values:
        values["unit"] = Unit.PERCENT
    spec = KpiSpec(key=key, name_es=name, name_en=name, **values)  # type: ignore[arg-type]
    validate_spec(spec)
    return spec


def _read_name(tokens: _Tokens, key: str) -> str:
    word = tokens.peek()
    if word is None or not tokens.next_is_value():
        raise UserError("kpi.name_missing", key=key, field="name")
    tokens.take()
    name = word[1:-1].strip() if _is_quoted(word) else word
    if not name:
        raise UserError("kpi.name_missing", key=key, field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise UserError("kpi.name_too_long", key=key, field="name", limit=MAX_NAME_LENGTH, length=len(name))
    return name


def _setting_of(word: str) -> str:
    setting = _KEYWORDS.get(fold(word))
    if setting is not None:
        return setting
    raise unknown_word(word, _KEYWORDS, "kpi.unknown_word")


def _read_word(tokens: _Tokens, keyword: str, setting: str, words: dict[str, object]) -> tuple[str, object]:
    """The one value after `keyword`, looked up in `words` (typos get a suggestion)."""
    missing_id, unknown_id, suggestion_id = _VALUE_ERRORS[setting]
    if not tokens.next_is_value():
        raise UserError(missing_id, word=keyword)
    typed = tokens.take()
    found = words.get(fold(typed))
    if found is None:
        raise unknown_word(typed, words, unknown_id, suggestion_id=suggestion_id)
    return typed, found


def _read_unit(tokens: _Tokens, keyword: str) -> dict[str, object]:
    """`unit %`, `unidad horas`, `unit COP` (a currency code makes it a currency KPI)."""
    if not tokens.next_is_value():
        raise UserError("kpi.unit_missing", word=keyword)
    typed = tokens.take()
    if typed.upper() in KNOWN_CURRENCIES:
        return {"unit": Unit.CURRENCY, "currency": typed.upper()}
    unit = _UNIT_WORDS.get(fold(typed))
    if unit is not None:
        return {"unit": unit}
    currencies = {code.casefold(): code for code in KNOWN_CURRENCIES}
    suggestion = closest(typed, sorted([*_UNIT_WORDS, *currencies]))
    if suggestion:
        raise UserError("kpi.unknown_unit_suggestion", word=typed, suggestion=currencies.get(suggestion, suggestion))
    raise UserError("kpi.unknown_unit", word=typed)


def _read_direction(tokens: _Tokens, keyword: str) -> dict[str, object]:
    _, direction = _read_word(tokens, keyword, "direction", dict(_DIRECTION_WORDS))
    return {"direction": direction}


def _read_aggregation(tokens: _Tokens, keyword: str) -> dict[str, object]:
    typed, aggregation = _read_word(tokens, keyword, "aggregation", dict(_AGGREGATION_WORDS))
    if aggregation is not Aggregation.RATE:
        return {"aggregation": aggregation}
    # `tasa orders/sessions`, also `orders / sessions` or `orders÷sessions`.
    parts: list[str] = []
    while tokens.next_is_value():
        parts.append(tokens.take())
    written = "".join(parts).replace("÷", "/")
    numerator, slash, denominator = written.partition("/")
    if not (slash and numerator and denominator) or "/" in denominator:
        raise UserError("kpi.rate_parts_missing", word=typed)
    return {
        "aggregation": Aggregation.RATE,
        "numerator": validate_key(numerator),
        "denominator": validate_key(denominator),
    }


def _read_side(tokens: _Tokens, keyword: str) -> dict[str, object]:
    _, side = _read_word(tokens, keyword, "side", dict(_SIDE_WORDS))
    return {"side": side}


def _read_term(tokens: _Tokens, keyword: str) -> dict[str, object]:
    word = tokens.peek()
    if word is None or not tokens.next_is_value():
        raise UserError("kpi.term_missing", word=keyword)
    tokens.take()
    term = word[1:-1].strip() if _is_quoted(word) else word
    if not term:
        raise UserError("kpi.term_missing", word=keyword)
    return {"term": term}


def _read_allow(tokens: _Tokens, keyword: str) -> dict[str, object]:
    """`allow negative over100` / `permite negativos sobre100`: one or both flags."""
    _, flag = _read_word(tokens, keyword, "allow", dict(_ALLOW_WORDS))
    flags = {str(flag): True}
    while tokens.next_is_value() and fold(tokens.peek() or "") in _ALLOW_WORDS:
        flags[_ALLOW_WORDS[fold(tokens.take())]] = True
    return flags


_READERS = {
    "unit": _read_unit,
    "direction": _read_direction,
    "aggregation": _read_aggregation,
    "side": _read_side,
    "term": _read_term,
    "allow": _read_allow,
}
