"""The fault-injection suite end to end: every broken setup is diagnosed, every
healthy counterpart is a clean good_fit. One probe per case, shared."""
import pytest

from advisor.rules.catalog import FINDINGS
from advisor.testing import faults

# The softmax-bce case is Keras' own "softmax over one unit" mistake; it warns.
# The module fixture probes every fault case (~60 s): slow, though it still runs in CI.
pytestmark = [pytest.mark.filterwarnings("ignore:You are using a softmax over axis"), pytest.mark.slow]


@pytest.fixture(scope="module")
def results():
    return {case.name: faults.run_case(case, epochs=5, seed=0) for case in faults.CASES}


@pytest.mark.parametrize("name", [case.name for case in faults.CASES])
def test_case_is_diagnosed_as_expected(results, name):
    result = results[name]
    detail = {f.name: f.evidence for f in result.findings}
    assert not result.missed, f"{name}: missed {sorted(result.missed)}; reported {detail}"
    assert not result.unexpected, f"{name}: unexpected {sorted(result.unexpected)}; reported {detail}"


def test_every_training_finding_has_a_true_positive_and_no_false_positive(results):
    matrix = faults.detection_matrix(list(results.values()))
    print("\n" + faults.format_matrix(matrix, len(results), sum(r.case.healthy for r in results.values())))
    for name in FINDINGS["training"]:  # every training finding the catalog names
        assert matrix.get(name, {}).get("tp", 0) >= 1, f"no case detects {name}"
    assert all(row["fp"] == 0 for row in matrix.values()), matrix


def test_suite_has_healthy_counterparts_and_bench_cases():
    healthy = [c for c in faults.CASES if c.healthy]
    assert len(healthy) >= 4 and {c.data for c in healthy} >= {"digits", "digits-image"}
    for name in ("sigmoid-deep", "bad-init", "high-lr", "unscaled"):  # names the benchmark uses
        dataset, build = faults.bench_case(name)
        assert build(dataset.info).compiled
    with pytest.raises(ValueError, match="no-such-case"):
        faults.case_by_name("no-such-case")


def test_unscaled_case_really_is_unscaled():
    x = faults.case_data(faults.case_by_name("unscaled")).arrays["train"][0]
    assert x.max() == pytest.approx(255.0) and faults.load_data("digits").arrays["train"][0].max() <= 1.0
