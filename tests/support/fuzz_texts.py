"""Hostile input for the property tests: `/alinea` texts, ingest API values and spreadsheet cells.

A seeded `random.Random` makes every run send the same texts (a failure is reproduced by its
index), and building 10,000 of them takes a fraction of a second. The texts start from what
people type (every subcommand and subword in both languages, the help's examples, lines with
numbers in each place a number is read) and are then damaged: numbers of 20–200 digits,
exponents, NaN, Infinity, -0, digits of other scripts; 3,000-character words, control
characters, format strings, quotes, emoji, right-to-left text, Slack markup.
"""

from __future__ import annotations

import json
import random
import string
from typing import Iterator

from commands import agenda, alert, data, kpi, okr, okr_key_results, setup, sla, token
from commands.registry import SUBCOMMANDS
from services.i18n import message_ids

# Digits of other scripts: Arabic-Indic, Persian, Devanagari, Bengali, Thai, full-width, mathematical bold.
DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10, 0x1D7CE)
KPI_KEYS = ("orders", "sales_cop", "leads_mql", "sessions", "followup_hours", "cart_abandonment", "avg_deal",
            "conversion_web", "repurchase_60d", "whatsapp_close_rate")  # fmt: skip
FIXED_ODD_NUMBERS = (
    "1e400", "1E+400", "-1e-400", "2,5e18", "1e-7", "9e17", "0e999999", "1e99999999999999999999", "NaN", "nan",
    "Infinity", "-Infinity", "inf", "-0", "−0", "-0,0", "+0", "0,0000001", "999999999999999999,9999999",
    "1.2.3", "1,,2", "1'234'567'890'123'456'789", "٣٤٥", "١٢٫٥", "１２３", "0x1F", "1_000", "½", "²", "Ⅻ",
)  # fmt: skip
ODD_WORDS = (
    "%s", "%d", "%(name)s", "{0}", "{text}", "{}", "}{", "{{", "%", "%%", "\\", "\\n", "'", '"', "“quoted”", "«comillas»",
    "`code`", "```", "*bold*", "_", "~", "<@U0ANA>", "<!channel>", "<!here>", "<#C0TEAM|x>", "<https://evil.example|click>",
    "&lt;", "&gt;", "&amp;", "<", ">", "&", "🚀", "👨‍👩‍👧‍👦", "🇨🇴", "🏳️‍🌈", "مرحبا بالعالم", "שלום", "\u202etxt.exe", "\u200f",
    "\u200b", "\ufeff", "ß", "İ", "ǅ", "ﬁ", "Ω", "\u0301", "DROP TABLE kpis;--", "' OR '1'='1", "null", "None", "undefined",
    "true", "[]", "{}", "KR0", "KR99999999999999999999", "O999999999", "T0", "#-1", "-1", "SLA9", "2026-W99", "2026-13",
    "31/02/2026", "00/00/0000", "semana pasada", "last week", "mes pasado", "para", "for", "confianza", "confidence",
)  # fmt: skip
CONTROL = "".join(chr(code) for code in range(0, 32) if chr(code) not in "\t\n\r") + "\x7f\u0085\u2028\u2029"


def help_examples() -> list[str]:
    """Every example the help shows, in both languages, without the `/alinea ` prefix."""
    examples = []
    for language in ("es", "en"):
        for message_id, text in message_ids(language).items():
            if message_id.startswith("help.cmd.") and message_id.endswith(".example"):
                examples.append(text.removeprefix("/alinea").strip())
    return sorted(set(examples))


def vocabulary() -> list[str]:
    """Every subcommand word and subword, in both languages."""
    words = {word for entry in SUBCOMMANDS for word in entry.words()}
    for table in (kpi.ACTIONS, alert.ACTIONS, agenda.WORDS, agenda.RESULTS, data.WORDS, okr.WORDS, sla.WORDS, token.WORDS):
        words.update(table)
    words.update(okr_key_results.ADD_WORDS, setup.SHOW_WORDS)
    return sorted(words)


def templates() -> list[str]:
    """Lines with numbers where each command reads one ({n}); the rest stays realistic."""
    lines = [
        "registrar {k} {n}", "log {k} {n}", "kpi registrar {k} {n} para semana pasada", "kpi log {k} {n} for last week",
        "kpi registrar {k} {n} % para 2026-W10", "kpi log {k} {n} COP", "registrar {k} {n} millones COP feria",
        "kpi ver {k}", "kpi show {k} {n}", "kpi nuevo {k}", "kpi principal {k}", "kpi support {k} {k}",
        "smart Aumentar las ventas de {n} a {n} millones COP en 6 semanas",
        "smart Reduce cart abandonment from {n}% to {n}% in {n} weeks", "smart bajar {k} en {n} % antes del {n}/{n}/2026",
        "smart satisfacción {n} de 10", "smart subir {k} de {n} a {n}",
        "okr nuevo comprometido Fidelizar clientes {n}", "okr new aspirational Grow {n}",
        "okr kr O1 repurchase_60d de {n} % a {n} % entre el 01/01/2026 y el 30/06/2026",
        "okr kr O1 {k} from {n} to {n} by 30/06/2026", "okr kr O{n} {k} de {n} a {n} dueño <@U0LUIS>",
        "okr checkin KR1 {n} confianza {n} la campaña", "okr checkin KR{n} {n} confidence {n}", "okr avance KR2 {n}",
        "okr meta KR1 {n} porque sí", "okr retarget KR2 {n} % reason", "okr cerrar O{n}", "okr ver KR{n}",
        "sla nuevo ventas followup_hours <= {n} semanal", "sla new marketing leads_mql >= {n} weekly",
        "sla nuevo mercadeo revenue_marketing >= {n} millones COP mensual", "sla aceptar {n}", "sla cerrar SLA{n}",
        "alerta nueva {k} sube {n} puntos en {n} horas", "alert new {k} falls {n} % within {n} hours",
        "alerta nueva {k} baja {n}% en {n} días", "alerta borrar {n}", "alert delete #{n}",
        "agenda tema Precios {n}", "tema Envío gratis sobre {n} mil", "agenda cerrar T{n} listo", "agenda close T1 {n}",
        "agenda resultado confirmado {n}", "agenda vista semanal {n}", "agenda preview monthly",
        "definir Ticket {n}: venta promedio de {n} COP", "define MQL: {n} leads", "glosario MQL historial",
        "glossary {n} history", "historial {n}", "insights semana pasada", "insights {n}", "datos", "data export",
        "datos yo", "token crear", "token list", "token revocar {n}", "configurar mostrar",
        "configurar zona America/Bogota idioma es", "setup lang en tz {n}", "ayuda", "help {n}",
    ]  # fmt: skip
    return lines + help_examples()


class TextMaker:
    """`TextMaker(seed).texts(10_000)`: the same texts for the same seed."""

    def __init__(self, seed: int = 15):
        self.rng = random.Random(seed)
        self.words = vocabulary()
        self.templates = templates()

    # -- pieces

    def long_digits(self) -> str:
        digits = "".join(self.rng.choice(string.digits) for _ in range(self.rng.randint(20, 200)))
        mark = self.rng.choice(["", "", ",5", ".5", ",000001", " %", " millones", " COP", "e5"])
        return self.rng.choice(["", "-", "+", "$", "−"]) + digits.lstrip("0") + mark

    def other_script_digits(self) -> str:
        zero = self.rng.choice(DIGIT_ZEROS)
        return "".join(chr(zero + self.rng.randint(0, 9)) for _ in range(self.rng.randint(1, 30)))

    def number(self) -> str:
        pick = self.rng.random()
        if pick < 0.3:
            return self.long_digits()
        if pick < 0.5:
            return self.rng.choice(FIXED_ODD_NUMBERS)
        if pick < 0.6:
            return self.other_script_digits()
        if pick < 0.7:
            return f"{self.rng.randint(1, 9)}e{self.rng.choice(['', '+', '-'])}{self.rng.randint(0, 5000)}"
        return str(self.rng.choice([0, 1, 3, 7, 12, 24, 48, 100, 120, 720, 1000, 45_000_000]))

    def odd_word(self) -> str:
        pick = self.rng.random()
        if pick < 0.08:
            return "".join(self.rng.choices(string.ascii_letters + "ñáé🚀٣", k=3000))
        if pick < 0.25:
            return "".join(self.rng.choice(CONTROL) for _ in range(self.rng.randint(1, 4))) + self.rng.choice(self.words)
        if pick < 0.35:
            return self.number()
        return self.rng.choice(ODD_WORDS)

    # -- texts

    def from_template(self) -> str:
        line = self.rng.choice(self.templates)
        while "{k}" in line or "{n}" in line:
            line = line.replace("{k}", self.rng.choice(KPI_KEYS + ("", "%s", "🚀")), 1)
            line = line.replace("{n}", self.number(), 1)
        return self.damaged(line)

    def damaged(self, line: str) -> str:
        words = line.split(" ")
        for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
            at = self.rng.randint(0, len(words))
            if self.rng.random() < 0.5 and at < len(words) and at > 0:
                words[at] = self.odd_word()  # the first word stays a command most of the time
            else:
                words.insert(max(at, 1), self.odd_word())
        joiner = self.rng.choice([" "] * 8 + ["  ", "\n", "\t", "\u00a0"])
        return joiner.join(words)

    def word_salad(self) -> str:
        count = self.rng.randint(1, 6)
        pool = [self.rng.choice(self.words) for _ in range(count)] + [self.odd_word() for _ in range(self.rng.randint(0, 3))]
        self.rng.shuffle(pool[1:])
        return " ".join(pool)

    def texts(self, count: int) -> Iterator[str]:
        """First every word alone and with every other top-level word's subwords reachable,
        then templates and salad until `count`."""
        made = 0
        top = sorted({word for entry in SUBCOMMANDS for word in entry.words()})
        for word in self.words:
            if made >= count:
                return
            yield word
            made += 1
        for first in top:
            for second in (self.number(), self.odd_word(), self.long_digits()):
                if made >= count:
                    return
                yield f"{first} {second}"
                made += 1
        while made < count:
            yield self.from_template() if self.rng.random() < 0.75 else self.word_salad()
            made += 1


# ---------------------------------------------------------------------------------------------
# The ingest API's JSON and spreadsheet cells

GOOD_PERIODS = ("2026-W02", "2026-01", "2026-01-12", "2026-W10", "2026-03-09")
ODD_PERIODS = ("2026-W99", "2026-13", "2026-02-30", "0000-W00", "99999-W01", "2026-W1", "semana pasada", "", " ", "٢٠٢٦-W02",
               "2026-W02\u0000", "9" * 300, "2026-W02 ", "3", "semana 99999999999999999999")  # fmt: skip
ODD_TIMESTAMPS = ("2026-01-12T23:30:00-05:00", "2026-01-12T23:30:00", "2026-01-12T23:30:00Z", "9999-12-31T23:59:59+14:00",
                  "0001-01-01T00:00:00-23:59", "2026-01-12T25:00:00Z", "now", "")  # fmt: skip


class JsonMaker:
    """Request bodies for the ingest API, as raw bytes: a JSON number such as 1e400 or one of
    200 digits has to be written as text, since no Python value serialises to it."""

    def __init__(self, seed: int = 15):
        self.rng = random.Random(seed)
        self.texts = TextMaker(seed)

    def number_literal(self) -> str:
        pick = self.rng.random()
        if pick < 0.3:
            return "".join(self.rng.choices(string.digits, k=self.rng.randint(20, 200))).lstrip("0") or "0"
        if pick < 0.5:
            return self.rng.choice(["1e400", "-1e400", "1E-400", "-0", "-0.0", "0.0000001", "1e18", "999999999999999999.999999",
                                    "1000000000000000000", "5e-324", "1.7976931348623157e308", "12.5", "16", "-3", "0"])
        if pick < 0.6:
            return "9" * self.rng.randint(4300, 5000)  # past int()'s 4,300-digit limit
        return str(self.rng.randint(0, 10**6))

    def value(self) -> str:
        pick = self.rng.random()
        if pick < 0.55:
            return self.number_literal()
        if pick < 0.8:
            return json.dumps(self.texts.number(), ensure_ascii=self.rng.random() < 0.5)
        return self.rng.choice(["NaN", "Infinity", "-Infinity", "null", "true", "[]", "{}", '"45000000.5"', '"1,5"', '""',
                                '" 12 "', '"0x10"', '"1_000"', '"١٢"', '"\\u0000"', "[1]", '{"value": 1}'])

    def string(self, choices: tuple[str, ...]) -> str:
        if self.rng.random() < 0.7:
            return json.dumps(self.rng.choice(choices), ensure_ascii=self.rng.random() < 0.5)
        return json.dumps(self.texts.odd_word(), ensure_ascii=self.rng.random() < 0.5)

    def row(self) -> str:
        fields = {
            "kpi": self.string(KPI_KEYS + ("ORDERS", " orders ", "nope")),
            "value": self.value(),
            "source": self.string(("shopify", "crm", "a" * 41, "Shopify", "ads-1.0")),
        }
        if self.rng.random() < 0.6:
            fields["period"] = self.string(GOOD_PERIODS + ODD_PERIODS)
        else:
            fields["timestamp"] = self.string(ODD_TIMESTAMPS)
        if self.rng.random() < 0.4:
            fields["note"] = self.string(("feria", "", "x" * 1001, "línea\r\nnueva", "nota\u0000nul", "🚀 مرحبا %s {0}"))
        if self.rng.random() < 0.05:
            fields[self.texts.odd_word()[:50]] = "1"
        if self.rng.random() < 0.05:
            del fields[self.rng.choice(list(fields))]
        return "{" + ", ".join(f"{json.dumps(name)}: {text}" for name, text in fields.items()) + "}"

    def body(self) -> bytes:
        pick = self.rng.random()
        if pick < 0.85:
            rows = [self.row() for _ in range(self.rng.randint(1, 5))]
            return ('{"values": [' + ", ".join(rows) + "]}").encode("utf-8")
        return self.rng.choice([b"", b"{", b"[]", b'{"values": []}', b'{"values": {}}', b'{"values": [1, "a", null]}', b"null",
                                b'{"values": [{}], "extra": 1}', "{\"values\": [\"\u0000\"]}".encode(), b"\xff\xfe", b'{"values": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
                                b'{"values": [{"kpi": "orders", "value": NaN, "source": "x", "period": "2026-W02"}]}'])

    def bodies(self, count: int) -> Iterator[bytes]:
        for _ in range(count):
            yield self.body()


class CsvMaker:
    """Spreadsheets as Excel and people make them, damaged the same ways as the texts."""

    HEADERS = (("kpi", "value", "period", "note", "source"), ("clave", "valor", "periodo", "nota", "fuente"),
               ("indicador", "cifra", "semana", "comentario"), ("kpi", "valor", "fecha"))  # fmt: skip

    def __init__(self, seed: int = 15):
        self.rng = random.Random(seed)
        self.texts = TextMaker(seed)

    def cell(self, good: tuple[str, ...]) -> str:
        return self.rng.choice(good) if self.rng.random() < 0.6 else self.texts.odd_word()

    def file(self) -> bytes:
        separator = self.rng.choice([";", ","])
        headers = list(self.rng.choice(self.HEADERS))
        good_values = ("120", "45.000.000", "1,6 %", "24", "3", "45 millones", "1,5E+06", "٣٤٥", "-0", "0,5")
        lines = [separator.join(headers)]
        for _ in range(self.rng.randint(1, 12)):
            cells = []
            for header in headers:
                if header in ("kpi", "clave", "indicador"):
                    cells.append(self.cell(KPI_KEYS))
                elif header in ("value", "valor", "cifra"):
                    cells.append(self.texts.number() if self.rng.random() < 0.5 else self.cell(good_values))
                elif header in ("period", "periodo", "fecha", "semana"):
                    cells.append(self.cell(("2026-W02", "2026-01", "semana pasada", "3", "12/01/2026") + ODD_PERIODS))
                else:
                    cells.append(self.cell(("feria", "", "csv", "shopify")))
            if self.rng.random() < 0.05:
                cells.append("extra")
            lines.append(separator.join(self._quoted(cell, separator) for cell in cells))
        text = self.rng.choice(["\r\n", "\n"]).join(lines)
        encoding = self.rng.choice(["utf-8", "utf-8-sig", "cp1252"])
        return text.encode(encoding, errors="replace")

    def _quoted(self, cell: str, separator: str) -> str:
        if any(mark in cell for mark in (separator, '"', "\n", "\r")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    def files(self, count: int) -> Iterator[bytes]:
        for _ in range(count):
            yield self.file()
