"""`simulate --reps 1`: the line above the tables says there is no interval, as the
figures under it have none."""

from __future__ import annotations

from click.testing import CliRunner

from conftest import PIPELINES
from funnelc.cli import cli


def test_one_replication_says_it_has_no_interval() -> None:
    """Regression: with one replication the line read «цифры — среднее ±95% ДИ; x [a–b] —
    среднее и его 95% интервал …» over cells with neither."""
    quick = ["--days", "40", "--warmup", "30", "--jobs", "1"]
    one = CliRunner().invoke(cli, ["simulate", str(PIPELINES / "qualification.funnel"),
                                   "--reps", "1", *quick], env={"COLUMNS": "1000"})
    two = CliRunner().invoke(cli, ["simulate", str(PIPELINES / "qualification.funnel"),
                                   "--reps", "2", *quick], env={"COLUMNS": "1000"})
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert "±" not in one.output and "[a–b]" not in one.output, one.output
    said = " ".join(one.output.split())
    assert ("зерно 1; один прогон, поэтому без интервала: для 95% интервала нужно --reps 2 или "
            "больше") in said, said[:400]
    assert "цифры — среднее ±95% ДИ; x [a–b]" in " ".join(two.output.split()), two.output
