"""The kiosk-service command: db upgrade, terminals import, keys create."""

import pytest
from click.testing import CliRunner

from kiosk_service.cli import main


@pytest.fixture
def cli(database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)
    return run


def test_upgrade_import_and_create_keys(cli, tmp_path):
    assert cli("db", "upgrade").exit_code == 0
    imported = cli("terminals", "import", "config/terminals/demo-czk.toml",
                   "config/terminals/leeds-gbp.toml")
    assert imported.exit_code == 0 and "imported demo-czk" in imported.output
    created = cli("keys", "create", "--role", "kiosk", "--terminal", "demo-czk")
    assert created.exit_code == 0 and created.output.startswith("cmx_")


def test_a_kiosk_key_needs_a_terminal(cli):
    cli("db", "upgrade")
    result = CliRunner().invoke(main, ["keys", "create", "--role", "kiosk"])
    assert result.exit_code == 1 and "--terminal" in result.output


def test_importing_a_bad_file_lists_its_problems_and_fails(cli, tmp_path):
    cli("db", "upgrade")
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\ncurrency = "CZK"\nnote_limit = 0\n')
    result = CliRunner().invoke(main, ["terminals", "import", str(bad)])
    assert result.exit_code == 1
    assert "note_limit" in result.output and "cassettes" in result.output


def test_serve_refuses_an_unmigrated_database(cli):
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code != 0 and "db upgrade" in result.output
