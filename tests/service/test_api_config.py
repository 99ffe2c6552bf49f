"""Configuration: defaults < $CASHMIX_CONFIG file < environment < create_app's mapping."""

from kiosk_service import create_app
from kiosk_service.config import default_config, file_and_environment
from kiosk_service.persistence.migrate import upgrade_database


def test_a_config_file_then_the_environment_override_the_defaults(tmp_path):
    config = tmp_path / "cashmix.toml"
    config.write_text('quote_hold_seconds = 30\ndispenser_url = "sim://?seed=3"\n')
    settings = file_and_environment({
        "CASHMIX_CONFIG": str(config), "DATABASE_URL": "postgresql://db/cashmix",
        "CASHMIX_QUOTE_HOLD_SECONDS": "45", "CASHMIX_DEMO_CZK_HOST_SECRET": "not a setting",
        "CASHMIX_DISPENSERS": '{"demo-czk" = "sim://?pace=0"}', "HOME": "/root"})
    assert settings["QUOTE_HOLD_SECONDS"] == 45
    assert settings["DISPENSER_URL"] == "sim://?seed=3"
    assert settings["DATABASE_URL"] == "postgresql://db/cashmix"
    assert settings["DISPENSERS"] == {"demo-czk": "sim://?pace=0"}
    assert not any(key.endswith("HOST_SECRET") for key in settings)


def test_the_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    defaults = default_config(str(tmp_path))
    assert defaults["DATABASE_URL"] == f"sqlite:///{tmp_path / 'cashmix.sqlite'}"
    assert defaults["QUOTE_HOLD_SECONDS"] == 60


def test_create_app_settings_win(make_app, monkeypatch):
    monkeypatch.setenv("CASHMIX_QUOTE_HOLD_SECONDS", "5")
    app = make_app(QUOTE_HOLD_SECONDS=7)
    assert app.extensions["cashmix"].quote_hold.total_seconds() == 7


def test_an_in_memory_sqlite_database_starts_the_app():
    app = create_app({"DATABASE_URL": "sqlite://", "DISPENSER_URL": "sim://?pace=0"})
    deps = app.extensions["cashmix"]
    try:
        upgrade_database(deps.engine)
        assert deps.engine.pool.__class__.__name__ == "SingletonThreadPool"
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        deps.close()
