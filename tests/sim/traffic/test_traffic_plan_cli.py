"""`kiosk-sim plan` end to end on a small case: the files it promises, and its exit codes."""

import json
import tomllib
from pathlib import Path

from sim.cli import main

TYPICAL = Path(__file__).resolve().parents[3] / "config" / "demand" / "typical-czk-atm.toml"
SMALL = ["--days", "2", "--trials", "2", "--seeds", "1", "--confirm-seeds", "3",
         "--test-seeds", "2", "--quiet",
         "--set", "volume.per_day=30", "--set", "replenishment.every_days=1"]


def test_plan_writes_the_planned_file_report_and_plots(tmp_path, capsys):
    assert main(["plan", "--terminal", str(TYPICAL), "--out", str(tmp_path), *SMALL]) == 0
    planned = tomllib.loads((tmp_path / "planned.toml").read_text())
    data = json.loads((tmp_path / "plan.json").read_text())
    assert {c["id"]: c["count"] for c in planned["cassettes"]} == data["load"]["planned"]["counts"]
    assert data["train_seeds"] == [1] and data["test_seeds"] == [2]
    assert data["confirm_seeds"] == [3]
    assert {s["seed"] for s in data["in_sample"]["chosen"]["per_seed"]} == {1, 3}
    assert [s["seed"] for s in data["out_of_sample"]["planned"]["per_seed"]] == [2]
    text = (tmp_path / "report.md").read_text()
    for section in ("## Out of sample (test seeds)", "## In sample (train and confirmation seeds)",
                    "## Why wishes were not met"):
        assert section in text
    for image in ("search.png", "planned-vs-default.png"):
        assert f"({image})" in text and (tmp_path / image).stat().st_size > 10_000
    assert "planned terminal file" in capsys.readouterr().out


def test_bad_input_exits_2(tmp_path, capsys):
    assert main(["plan", "--terminal", str(tmp_path / "none.toml"), "--out", str(tmp_path),
                 *SMALL]) == 2
    assert main(["plan", "--terminal", str(TYPICAL), "--out", str(tmp_path), "--seeds", "1-3",
                 "--test-seeds", "3-4", "--quiet"]) == 2
    assert not (tmp_path / "planned.toml").exists()
