"""The server's address and connection settings: --server/--slot and config.toml's [server] table."""

from __future__ import annotations

import pytest

from app.core.config.settings import load_settings
from app.core.engine.server.options import ServerOptions, check_server_table
from app.core.errors import UsageError

URL = "http://127.0.0.1:8080"


@pytest.mark.parametrize("url", ["http://localhost:8080", "https://example.com/", "http://10.0.0.2:9000/base",
                                 "http://[::1]:8080"])
def test_http_and_https_urls_with_a_host_are_accepted(url):
    assert ServerOptions(url).url == url


@pytest.mark.parametrize("url", ["ftp://example.com", "example.com:8080", "localhost", "file:///tmp/x", "http://",
                                 "http:///path", "", "ws://localhost:8080"])
def test_urls_that_are_not_http_with_a_host_are_refused(url):
    with pytest.raises(UsageError, match="http:// or https://"):
        ServerOptions(url)


@pytest.mark.parametrize("url", ["http://localhost:8080/?a=1", "http://localhost:8080/#top"])
def test_urls_with_a_query_or_fragment_are_refused(url):
    with pytest.raises(UsageError, match="no query or fragment"):
        ServerOptions(url)


def test_base_url_drops_the_trailing_slash():
    assert ServerOptions("http://localhost:8080/").base_url == "http://localhost:8080"


@pytest.mark.parametrize("slot", [0, 1, 1023, None])
def test_slots_in_range_are_accepted(slot):
    assert ServerOptions(URL, slot=slot).slot == slot


@pytest.mark.parametrize("slot", [-1, 1024, 10**9, True, False])
def test_slots_out_of_range_or_boolean_are_refused(slot):
    with pytest.raises(UsageError, match="slot must be"):
        ServerOptions(URL, slot=slot)


@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
@pytest.mark.parametrize("value", [0.001, 1, 60.0, 3600])
def test_timeouts_in_range_are_accepted(name, value):
    assert getattr(ServerOptions(URL, **{name: value}), name) == value


@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
@pytest.mark.parametrize("value", [0, -1.0, 3600.5, float("nan"), float("inf"), True, "5"])
def test_timeouts_out_of_range_or_of_the_wrong_type_are_refused(name, value):
    with pytest.raises(UsageError, match=f"server {name} must be"):
        ServerOptions(URL, **{name: value})


@pytest.mark.parametrize("retries", [0, 2, 10])
def test_retries_in_range_are_accepted(retries):
    assert ServerOptions(URL, retries=retries).retries == retries


@pytest.mark.parametrize("retries", [-1, 11, True, 2.0])
def test_retries_out_of_range_or_not_whole_are_refused(retries):
    with pytest.raises(UsageError, match="server retries must be"):
        ServerOptions(URL, retries=retries)


@pytest.mark.parametrize("name", ["LLAMA_API_KEY", "key", "_K1"])
def test_api_key_env_names_are_accepted(name):
    assert ServerOptions(URL, api_key_env=name).api_key_env == name


@pytest.mark.parametrize("name", ["", "MY-KEY", "A B", "KEY=sekrit", "$KEY", "_"])
def test_api_key_env_that_is_not_a_variable_name_is_refused(name):
    with pytest.raises(UsageError, match="api_key_env names an environment variable"):
        ServerOptions(URL, api_key_env=name)


def test_api_key_is_read_from_the_environment_when_asked(monkeypatch):
    options = ServerOptions(URL, api_key_env="CW_TEST_KEY")
    monkeypatch.setenv("CW_TEST_KEY", "sekrit-123")
    assert options.api_key() == "sekrit-123"
    monkeypatch.setenv("CW_TEST_KEY", "other")
    assert options.api_key() == "other"


def test_api_key_is_none_without_api_key_env():
    assert ServerOptions(URL).api_key() is None


@pytest.mark.parametrize("value", [None, ""])
def test_api_key_with_the_variable_unset_or_empty_names_the_variable(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CW_TEST_KEY", raising=False)
    else:
        monkeypatch.setenv("CW_TEST_KEY", value)
    with pytest.raises(UsageError, match="CW_TEST_KEY.*not set"):
        ServerOptions(URL, api_key_env="CW_TEST_KEY").api_key()


def test_options_are_not_repr_with_the_key(monkeypatch):
    monkeypatch.setenv("CW_TEST_KEY", "sekrit-123")
    assert "sekrit-123" not in repr(ServerOptions(URL, api_key_env="CW_TEST_KEY"))


def test_from_table_reads_the_table():
    options = ServerOptions.from_table({"url": URL, "slot": 2, "timeout": 10, "retries": 0, "api_key_env": "K"})
    assert options == ServerOptions(URL, slot=2, timeout=10, retries=0, api_key_env="K")


def test_from_table_cli_url_and_slot_win_over_the_table():
    options = ServerOptions.from_table({"url": URL, "slot": 2, "timeout": 9.0}, url="http://other:1234", slot=5)
    assert (options.url, options.slot, options.timeout) == ("http://other:1234", 5, 9.0)


def test_from_table_cli_slot_zero_wins_over_the_table():
    assert ServerOptions.from_table({"url": URL, "slot": 3}, slot=0).slot == 0


def test_from_table_cli_url_alone_needs_no_table():
    assert ServerOptions.from_table({}, url=URL) == ServerOptions(URL)


@pytest.mark.parametrize("table", [{}, {"url": ""}, {"timeout": 5.0}])
def test_from_table_without_a_url_is_no_server(table):
    assert ServerOptions.from_table(table) is None


@pytest.mark.parametrize("table", [{}, {"url": ""}, {"slot": 1}])
def test_from_table_slot_without_any_url_is_refused(table):
    with pytest.raises(UsageError, match="--slot needs a server"):
        ServerOptions.from_table(table, slot=1)


def test_from_table_validates_the_merged_values():
    with pytest.raises(UsageError, match="slot must be"):
        ServerOptions.from_table({"url": URL}, slot=5000)


def test_from_table_does_not_change_the_table():
    table = {"url": URL}
    ServerOptions.from_table(table, url="http://other:1", slot=1)
    assert table == {"url": URL}


def test_check_server_table_accepts_every_known_key():
    check_server_table("cfg", {"url": URL, "slot": 1, "api_key_env": "K", "timeout": 5, "connect_timeout": 1.5,
                               "retries": 3})


def test_check_server_table_accepts_an_empty_table():
    check_server_table("cfg", {})


def test_check_server_table_refuses_a_table_that_is_not_one():
    with pytest.raises(UsageError, match=r"^cfg: \[server\] must be a table"):
        check_server_table("cfg", "http://localhost:8080")


def test_check_server_table_refuses_an_unknown_key():
    with pytest.raises(UsageError, match=r"^cfg: unknown setting 'api_key' in \[server\]"):
        check_server_table("cfg", {"api_key": "x"})


@pytest.mark.parametrize("key, value", [("url", 8080), ("slot", "1"), ("slot", 1.0), ("timeout", "5"),
                                        ("connect_timeout", [1]), ("retries", 2.5), ("api_key_env", 3)])
def test_check_server_table_refuses_wrong_types(key, value):
    with pytest.raises(UsageError, match=rf"^cfg: \[server\] {key} must be"):
        check_server_table("cfg", {key: value})


@pytest.mark.parametrize("key", ["slot", "timeout", "connect_timeout", "retries"])
def test_check_server_table_refuses_booleans_for_numbers(key):
    with pytest.raises(UsageError, match=rf"\[server\] {key} must be"):
        check_server_table("cfg", {key: True})


@pytest.mark.parametrize("value", ["KEY=sekrit", "x" * 201])
def test_check_server_table_refuses_a_key_in_place_of_its_variable_name(value):
    with pytest.raises(UsageError, match="name of an environment variable, not the key") as err:
        check_server_table("cfg", {"api_key_env": value})
    assert value not in str(err.value)


def test_load_settings_reads_a_server_table(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'[server]\nurl = "{URL}"\nslot = 1\napi_key_env = "CW_KEY"\ntimeout = 30\nretries = 0\n')
    settings = load_settings(path)
    assert settings.server == {"url": URL, "slot": 1, "api_key_env": "CW_KEY", "timeout": 30, "retries": 0}
    assert ServerOptions.from_table(settings.server) == ServerOptions(URL, slot=1, api_key_env="CW_KEY",
                                                                      timeout=30, retries=0)


def test_load_settings_refuses_an_unknown_key_in_the_server_table(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'[server]\nurl = "{URL}"\nport = 8080\n')
    with pytest.raises(UsageError, match=r"unknown setting 'port' in \[server\]") as err:
        load_settings(path)
    assert str(path) in str(err.value)


def test_load_settings_refuses_a_server_that_is_not_a_table(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'server = "{URL}"\n')
    with pytest.raises(UsageError, match=r"\[server\] must be a table"):
        load_settings(path)


def test_a_fractional_slot_is_refused():
    with pytest.raises(UsageError, match="slot must be"):
        ServerOptions(URL, slot=1.5)


@pytest.mark.parametrize("name", ["1KEY", "ÄKEY", "MY-KEY"])
def test_an_api_key_env_that_is_no_variable_name_is_refused(name):
    with pytest.raises(UsageError, match="api_key_env names an environment variable"):
        ServerOptions(URL, api_key_env=name)


def test_a_port_that_is_no_port_is_refused():
    with pytest.raises(UsageError, match="not a port number"):
        ServerOptions("http://127.0.0.1:99999")
