"""Socket Mode's health port: ALINEA_HEALTH_PORT, and `serve --health-port` over it."""

import pytest

from bot.cli import build_parser
from bot.config import ConfigError, load_settings


def test_the_health_port_defaults_to_3000_and_is_read_from_the_environment():
    assert load_settings({}).health_port == 3000
    assert load_settings({"ALINEA_HEALTH_PORT": "9102"}).health_port == 9102
    assert load_settings({"ALINEA_HEALTH_PORT": "0"}).health_port == 0  # any free port


@pytest.mark.parametrize("given", ["-1", "65536", "http", "80.5"])
def test_a_health_port_that_is_no_port_names_the_variable(given):
    with pytest.raises(ConfigError) as raised:
        load_settings({"ALINEA_HEALTH_PORT": given})
    assert raised.value.variable == "ALINEA_HEALTH_PORT"


def test_serve_takes_a_health_port_and_leaves_the_settings_alone_without_it():
    assert build_parser().parse_args(["serve", "--health-port", "9200"]).health_port == 9200
    assert build_parser().parse_args(["serve"]).health_port is None
