"""What the layer claims is what was tested (issue #11): the README's "Supported runtimes"
table and CompatibleRuntimes in layer/template.yaml name exactly the runtimes that the runtime
matrix (tests/matrix/matrix.py) and the arm64 kernel check (tests/arm64/) run."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matrix"))
import claims  # noqa: E402


def test_readme_and_template_claim_exactly_the_tested_runtimes():
    assert claims.problems() == []


def test_the_template_stays_within_lambdas_limit_of_15_runtimes():
    _, names = claims.template_names()
    assert 0 < len(names) <= 15


def test_every_declared_runtime_has_a_passing_row_in_the_readme():
    rows = claims.readme_rows()
    text = claims.README.read_text().split(claims.BEGIN, 1)[1].split(claims.END, 1)[0]
    assert "FAIL" not in text
    _, names = claims.template_names()
    assert {r[0] for r in rows} == set(names)
