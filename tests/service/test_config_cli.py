"""`kiosk-service config validate|export|diff` against a real database."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk_service.config_cli import config
from kiosk_service.services.terminals import find_terminal, import_terminal
from kiosk_service.terminal_files import load_terminal_file

TERMINALS = Path(__file__).resolve().parents[2] / "config" / "terminals"

BAD = """\
id = "bad"
name = "Bad"
currency = "CZK"
note_limit = 40
host_secret_env = "BAD_SECRET"
colour = "red"

[policy]
offered = ["fewest", "cheapest"]

[[cassettes]]
id = "A"
denomination = 300
count = 10

[[cassettes]]
id = "A"
denomination = 100
capacity = 100
count = 500
low_threshold = -1
"""


@pytest.fixture
def cli(app, database_url, monkeypatch):
    """Run a `config` subcommand against the test app's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(config, list(args), catch_exceptions=False)
    return run


@pytest.fixture
def deps(app):
    return app.extensions["cashmix"]


def test_the_shipped_files_validate(cli):
    result = cli("validate", *map(str, sorted(TERMINALS.glob("*.toml"))))
    assert result.exit_code == 0 and result.output.count(": ok") == 3


def test_validate_lists_every_problem_with_its_line_and_field(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    result = cli("validate", str(bad), str(TERMINALS / "demo-czk.toml"))
    assert result.exit_code == 1
    output = result.output
    for line, field in ((6, "colour"), (9, "policy.offered"), (13, "cassettes.0.denomination"),
                        (17, "cassettes.1.id"), (20, "cassettes.1.count"),
                        (21, "cassettes.1.low_threshold")):
        assert f"{bad}:{line}: {field}:" in output, (line, field, output)
    assert "demo-czk.toml: ok" in output


def test_validate_reports_a_file_that_is_not_toml(cli, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("id = \n")
    result = cli("validate", str(broken))
    assert result.exit_code == 1 and "file:" in result.output


@pytest.mark.parametrize("name", ["demo-czk", "leeds-gbp"])
def test_export_writes_a_file_that_reimports_to_the_same_state(cli, deps, clock, tmp_path, name,
                                                               staff):
    import_terminal(load_terminal_file(TERMINALS / f"{name}.toml"), uow=deps.unit_of_work(),
                    clock=clock)
    staff.patch("/cassettes/B", {"status": "inoperative", "reason": "jammed"})
    live = find_terminal(name, uow=deps.unit_of_work())
    exported = tmp_path / "exported.toml"
    assert cli("export", name, "-o", str(exported)).exit_code == 0
    assert load_terminal_file(exported) == live
    import_terminal(load_terminal_file(exported), uow=deps.unit_of_work(), clock=clock)
    assert find_terminal(name, uow=deps.unit_of_work()) == live
    assert cli("diff", str(exported)).output.strip() == f"{name}: no changes"


def test_export_of_an_unknown_terminal_fails(cli):
    result = cli("export", "nowhere")
    assert result.exit_code == 1 and "nowhere" in result.output


def test_diff_shows_what_an_import_would_change_and_changes_nothing(cli, deps, tmp_path):
    text = (TERMINALS / "demo-czk.toml").read_text()
    text = text.replace('name = "Demo kiosk, Praha hlavní nádraží"', 'name = "Renamed"')
    text = text.replace("count = 600\n", "count = 550\n", 1)
    text = text.replace('offered = ["fewest", "small", "mixed", "counts", "bounds", "options"]',
                        'offered = ["fewest", "mixed"]')
    text = text[:text.rindex("[[cassettes]]")]          # drop cassette F
    changed = tmp_path / "demo.toml"
    changed.write_text(text)
    before = find_terminal("demo-czk", uow=deps.unit_of_work())
    output = cli("diff", str(changed)).output
    assert '~ name: "Demo kiosk, Praha hlavní nádraží" -> "Renamed"' in output
    assert "~ cassettes.A.count: 600 -> 550" in output
    assert '~ policy.offered: ["fewest", "small", "mixed", "counts", "bounds", "options"] -> ' \
           '["fewest", "mixed"]' in output
    assert "- cassettes.F.count: 50" in output
    assert find_terminal("demo-czk", uow=deps.unit_of_work()) == before


def test_diff_of_a_new_terminal_lists_everything_as_added(cli, tmp_path):
    text = (TERMINALS / "demo-czk.toml").read_text().replace('id = "demo-czk"', 'id = "new-one"')
    new = tmp_path / "new.toml"
    new.write_text(text)
    output = cli("diff", str(new)).output
    assert output.startswith("new-one: a new terminal") and '+ id: "new-one"' in output
