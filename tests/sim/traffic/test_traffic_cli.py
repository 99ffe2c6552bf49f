"""`kiosk-sim traffic` end to end on a small study: the files it promises, and its exit codes."""

import csv
from pathlib import Path

from sim.traffic.cli import EXIT_BAD_INPUT, EXIT_OK, main
from sim.traffic.profile import build_profile, load_tree
from sim.traffic.report import write_report
from sim.traffic.study import Study, run_study

TYPICAL = Path(__file__).resolve().parents[3] / "config" / "demand" / "typical-czk-atm.toml"


def test_traffic_writes_every_withdrawal_of_every_policy(tmp_path, capsys):
    status = main(["traffic", "--terminal", str(TYPICAL), "--days", "1", "--seed", "4",
                   "--policies", "bank_optimal,cashmix", "--out", str(tmp_path), "--quiet",
                   "--no-report", "--no-run-out", "--set", "volume.per_day=60"])
    assert status == EXIT_OK
    with open(tmp_path / "withdrawals.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    by_policy = {p: [r["index"] for r in rows if r["policy"] == p]
                 for p in ("bank_optimal", "cashmix")}
    assert by_policy["bank_optimal"] == by_policy["cashmix"] != []
    assert {r["result"] for r in rows} <= {"met", "partial", "refused"}
    with open(tmp_path / "summary.csv", newline="") as file:
        assert [r["policy"] for r in csv.DictReader(file)] == ["bank_optimal", "cashmix"]
    assert "| cashmix |" in (tmp_path / "summary.md").read_text()


def test_bad_policy_or_override_exits_2(tmp_path, capsys):
    assert main(["traffic", "--terminal", str(TYPICAL), "--policies", "luck",
                 "--out", str(tmp_path), "--quiet"]) == EXIT_BAD_INPUT
    assert main(["traffic", "--terminal", str(TYPICAL), "--set", "volume.nope=1",
                 "--out", str(tmp_path), "--quiet"]) == EXIT_BAD_INPUT


def test_report_has_its_plots(tmp_path, typical):
    tree = load_tree(overrides=["volume.per_day=40"])
    study = Study(typical, build_profile(tree, "CZK"), days=1, seed=2,
                  policies=("bank_optimal", "cashmix"))
    report = write_report(run_study(study), tree, tmp_path)
    text = report.read_text()
    for image in ("outcomes.png", "levels-operating.png", "levels-run-out.png"):
        assert f"({image})" in text
        assert (tmp_path / image).stat().st_size > 10_000
