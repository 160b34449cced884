"""The keras-tuner internals the advisor relies on are still there, with the same shape.

keras-tuner has no public API for distributed tuning with leases, so one module,
advisor/search/compat.py, reaches inside it: `keras_tuner.src.protos`,
`keras_tuner.src.distribute.oracle_chief.OracleServicer`,
`keras_tuner.src.distribute.oracle_client.OracleClient`, and the oracle's
`_retry_queue`; advisor/search/distributed.py reads `oracle.ongoing_trials`,
`oracle.tuner_ids`, `oracle.end_order`, `oracle.trials` and answers a worker
that must wait with an IDLE `Trial` proto (the search loop asks again).
Everything else uses documented hooks: the oracles override
`populate_space(trial_id)`, `end_trial(trial)` and `get_state`/`set_state`
(advisor/search/oracle.py); the tuner overrides `run_trial` and reads
Hyperband's "tuner/..." values (advisor/search/tuner.py); advisor/search/run.py
expects a ValueError from a tuner whose state files are cut short, a
RuntimeError after too many failed trials, and keras-tuner to re-raise
`FatalError`.

Each test checks one of those against the installed keras-tuner, on freshly
constructed objects (no model is built, nothing is trained), and fails with
the version the code was written against, so an upgrade that changes them
fails here rather than mid-search.
"""
from __future__ import annotations

import inspect
import json
import threading
from pathlib import Path

import pytest

import keras_tuner as kt

WRITTEN_AGAINST = "1.4.8"
PIN = "keras-tuner>=1.4.7,<1.5"


def _broken(what: str, where: str) -> str:
    return (f"keras-tuner {kt.__version__} changed {what}, which the advisor relies on in {where}. "
            f"The code was written against keras-tuner {WRITTEN_AGAINST} (pin: {PIN}); "
            f"adapt {where} or pin keras-tuner back.")


@pytest.fixture(autouse=True)
def _no_cluster(monkeypatch):
    """A stray KERASTUNER_* variable would make keras-tuner act as chief or worker."""
    for name in ("KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT", "KERASTUNER_TUNER_ID"):
        monkeypatch.delenv(name, raising=False)


def _space():
    hp = kt.HyperParameters()
    hp.Choice("x", [1, 2, 3, 4, 5, 6, 7, 8])
    return hp


@pytest.fixture
def oracle(tmp_path):
    """A fresh RandomSearchOracle with a project directory, as a Tuner would give it."""
    o = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_loss", "min"), max_trials=8, seed=0,
                                      hyperparameters=_space(), max_consecutive_failed_trials=3)
    kt.engine.base_tuner.BaseTuner(oracle=o, directory=str(tmp_path), project_name="p")
    o.verbose = 0
    return o


def test_version_is_within_the_pin():
    major, minor = (int(p) for p in kt.__version__.split(".")[:2])
    assert (major, minor) == (1, 4), (
        f"keras-tuner {kt.__version__} is installed; the advisor was written against {WRITTEN_AGAINST} "
        f"and reaches into keras_tuner.src (pin: {PIN}). Run this file's other tests: if they pass, "
        f"widen the pin and WRITTEN_AGAINST here.")


def test_src_modules_used_by_the_compat_module_import():
    where = "advisor/search/compat.py"
    try:
        from keras_tuner.src import protos
        from keras_tuner.src.distribute.oracle_chief import OracleServicer
        from keras_tuner.src.distribute.oracle_client import OracleClient
    except ImportError as err:
        pytest.fail(_broken(f"its module layout ({err})", where))
    assert callable(kt.synchronized), _broken("keras_tuner.synchronized", "advisor/search/distributed.py")
    assert hasattr(protos.get_service_grpc(), "add_OracleServicer_to_server"), _broken(
        "protos.get_service_grpc().add_OracleServicer_to_server", where)
    for name in ("CreateTrial", "UpdateTrial", "GetTrial"):
        method = getattr(OracleServicer, name, None)
        assert method is not None and list(inspect.signature(method).parameters) == ["self", "request", "context"], \
            _broken(f"OracleServicer.{name}(request, context)", where)
    assert list(inspect.signature(OracleServicer.__init__).parameters) == ["self", "oracle"], _broken(
        "OracleServicer(oracle)", where)
    assert list(inspect.signature(OracleClient.__init__).parameters) == ["self", "oracle"], _broken(
        "OracleClient(oracle)", where)
    assert callable(getattr(OracleClient, "get_space", None)) and callable(getattr(OracleClient, "get_trial", None)), \
        _broken("OracleClient.get_space / get_trial", where)


def test_grpc_messages_have_the_fields_the_leased_servicer_reads():
    from keras_tuner.src import protos

    service, where = protos.get_service(), "advisor/search/compat.py (LeasedServicer)"
    expected = {"CreateTrialRequest": "tuner_id", "CreateTrialResponse": "trial",
                "UpdateTrialRequest": "trial_id", "GetTrialRequest": "trial_id"}
    for message, field in expected.items():
        fields = getattr(service, message).DESCRIPTOR.fields_by_name
        assert field in fields, _broken(f"the gRPC message {message}.{field}", where)
    assert "trial_id" in protos.get_proto().Trial.DESCRIPTOR.fields_by_name, _broken("Trial.trial_id", where)


def test_servicer_serves_a_trial_and_flags_the_stop(oracle):
    """Mirrors compat.LeasedServicer: its overrides call super() with the gRPC request."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    service, where = protos.get_service(), "advisor/search/compat.py (LeasedServicer), distributed.serve"
    servicer = OracleServicer(oracle)
    assert servicer.oracle is oracle and servicer.stop_triggered is False, _broken(
        "OracleServicer.oracle / stop_triggered", where)
    response = servicer.CreateTrial(service.CreateTrialRequest(tuner_id="w1"), None)
    trial_id = response.trial.trial_id
    assert trial_id in oracle.trials, _broken("OracleServicer.CreateTrial", where)
    got = servicer.GetTrial(service.GetTrialRequest(trial_id=trial_id), None)
    assert got.trial.trial_id == trial_id, _broken("OracleServicer.GetTrial", where)


def test_oracle_private_state_has_the_expected_shape(oracle):
    where = "advisor/search/compat.py, distributed.py and oracle.py"
    shapes = {"_retry_queue": list, "ongoing_trials": dict, "tuner_ids": set, "end_order": list, "trials": dict}
    for name, kind in shapes.items():
        assert isinstance(getattr(oracle, name, None), kind), _broken(
            f"Oracle.{name} (expected a {kind.__name__})", where)
    assert list(inspect.signature(oracle.populate_space).parameters) == ["trial_id"], _broken(
        "Oracle.populate_space(trial_id)", "advisor/search/oracle.py")
    assert isinstance(oracle.get_state(), dict), _broken("Oracle.get_state() -> dict", "advisor/search/oracle.py")
    status = kt.engine.trial.TrialStatus
    assert (status.RUNNING, status.STOPPED) == ("RUNNING", "STOPPED"), _broken(
        "TrialStatus values (advisor/search/oracle.py answers a plain 'STOPPED')", "advisor/search/oracle.py")


def test_a_created_trial_is_recorded_with_its_values(oracle):
    """The seeded trials are skipped when `oracle.trials` already holds their values (a resume)."""
    trial = oracle.create_trial("w1")
    assert trial.status == "RUNNING" and oracle.ongoing_trials.get("w1") is trial, _broken(
        "Oracle.create_trial / ongoing_trials keyed by tuner id", "advisor/search/distributed.py")
    assert "w1" in oracle.tuner_ids, _broken("Oracle.tuner_ids", "advisor/search/distributed.py")
    assert oracle.trials[trial.trial_id].hyperparameters.values == trial.hyperparameters.values, _broken(
        "Oracle.trials holding each trial's values", "advisor/search/oracle.py (seeded trials)")


def test_a_trial_on_the_retry_queue_goes_to_the_next_worker(oracle):
    """Mirrors distributed._forget (compat.requeue): a dead worker's trial is requeued by hand."""
    trial = oracle.create_trial("dead")
    oracle.tuner_ids.discard("dead")
    oracle.ongoing_trials.pop("dead")
    oracle._retry_queue.append(trial.trial_id)
    oracle.save()
    again = oracle.create_trial("alive")
    assert again.trial_id == trial.trial_id and again.status == "RUNNING", _broken(
        "Oracle.create_trial taking trials from _retry_queue first", "advisor/search/compat.py (requeue)")
    assert oracle.ongoing_trials.get("alive") is again and not oracle._retry_queue, _broken(
        "Oracle._retry_queue / ongoing_trials", "advisor/search/compat.py (requeue)")


def test_synchronized_locks_module_level_functions_by_their_first_argument(oracle):
    """distributed.py decorates plain functions whose first argument is the oracle (kt.synchronized)."""
    from keras_tuner.src.engine import oracle as oracle_module

    where = "advisor/search/distributed.py (_requeue_stale, _idle, _report_ended)"
    seen = {}

    @kt.synchronized
    def probe(o, value):
        seen["locked"] = oracle_module.LOCKS[o].locked()
        seen["owner"] = oracle_module.THREADS[o]
        return value

    assert probe(oracle, 7) == 7, _broken("synchronized's pass-through of arguments", where)
    assert seen == {"locked": True, "owner": threading.current_thread().name}, _broken(
        "synchronized locking LOCKS[args[0]]", where)
    assert not oracle_module.LOCKS[oracle].locked(), _broken("synchronized releasing its lock", where)


def test_an_idle_answer_round_trips_through_the_trial_proto(oracle):
    from keras_tuner.src.engine import trial as trial_module

    idle = trial_module.Trial(oracle.get_space(), trial_id="7", status=trial_module.TrialStatus.IDLE)
    back = trial_module.Trial.from_proto(idle.to_proto())
    assert (back.trial_id, back.status) == ("7", "IDLE"), _broken(
        "Trial.to_proto / from_proto with status IDLE", "advisor/search/compat.py (LeasedServicer.CreateTrial)")


def test_an_ended_trial_is_listed_in_end_order(oracle):
    trial = oracle.create_trial("w1")
    oracle.update_trial(trial.trial_id, {"val_loss": 0.5})
    trial.status = "COMPLETED"
    oracle.end_trial(trial)
    assert oracle.end_order == [trial.trial_id] and not oracle.ongoing_trials, _broken(
        "Oracle.end_order / ongoing_trials after end_trial", "advisor/search/distributed.py (_report_ended, _idle)")
    assert oracle.trials[trial.trial_id].score == 0.5, _broken("Trial.score", "advisor/search/distributed.py")


def test_a_stopped_answer_ends_the_search_and_forgets_the_tuner(tmp_path):
    """advisor/search/oracle.py answers STOPPED from populate_space once its rules say stop."""
    from advisor.runtime.budget import Deadline
    from advisor.runtime.objective import Chance
    from advisor.search.oracle import SearchRules, SeededRandom

    late = SeededRandom(objective=kt.Objective("val_loss", "min"), max_trials=8, seed=0, hyperparameters=_space(),
                        rules=SearchRules(Deadline(0.0), Chance(None, 0.0, "min")))
    kt.engine.base_tuner.BaseTuner(oracle=late, directory=str(tmp_path), project_name="p")
    late.verbose = 0
    trial = late.create_trial("w1")
    assert trial.status == "STOPPED", _broken("Oracle.create_trial calling self.populate_space",
                                              "advisor/search/oracle.py")
    assert "w1" not in late.tuner_ids, _broken(
        "Oracle.create_trial dropping a stopped tuner from tuner_ids", "advisor/search/distributed.py (_idle)")


def test_the_tuner_overrides_the_documented_run_trial_and_reads_hyperbands_values(tmp_path):
    """advisor/search/tuner.py subclasses kt.Tuner through `run_trial(trial, *args, **kwargs)` and
    gives Hyperband's trials their "tuner/epochs" and "tuner/initial_epoch"; the hypermodel
    continues the model of "tuner/trial_id"."""
    from advisor.search.oracle import SeededHyperband

    where = "advisor/search/tuner.py and advisor/search/hypermodel.py"
    params = list(inspect.signature(kt.Tuner.run_trial).parameters)
    assert params == ["self", "trial", "args", "kwargs"], _broken("Tuner.run_trial(trial, *args, **kwargs)", where)
    oracle = SeededHyperband(objective=kt.Objective("val_loss", "min"), max_epochs=9, factor=3, seed=0, rules=None)
    kt.engine.base_tuner.BaseTuner(oracle=oracle, directory=str(tmp_path), project_name="p")
    oracle.verbose = 0
    oracle.hyperparameters.merge(_space(), overwrite=True)
    values = oracle.create_trial("w1").hyperparameters.values
    assert {"tuner/epochs", "tuner/initial_epoch", "tuner/round"} <= set(values), _broken(
        "Hyperband's 'tuner/...' values", where)  # later rounds add "tuner/trial_id", the trial they continue


def test_seeded_subclasses_construct_with_the_arguments_the_search_passes():
    from advisor.search.oracle import SeededBayesian, SeededHyperband, SeededRandom

    where = "advisor/search/run.py"
    common = dict(objective=kt.Objective("val_loss", "min"), seed=0, rules=None,
                  max_consecutive_failed_trials=5)
    SeededBayesian(max_trials=3, seeded=[{"x": 1}], **common)
    SeededRandom(max_trials=3, seeded=[], **common)
    hyperband = SeededHyperband(max_epochs=3, factor=3, seeded=[], **common)
    hyperband.hyperparameters.merge(_space(), overwrite=True)
    values = hyperband.populate_space("0")["values"]
    assert any(k.startswith("tuner/") for k in values), _broken(
        "Hyperband's 'tuner/...' bookkeeping values", where)
    assert "overwrite" in inspect.signature(kt.HyperParameters.merge).parameters, _broken(
        "HyperParameters.merge(..., overwrite=)", "advisor/search/distributed.py (publish)")


def test_fatal_error_is_re_raised_and_failures_end_with_runtime_error(tmp_path):
    where = "advisor/search/run.py and advisor/runtime/run_safety.py"

    class Failing(kt.engine.base_tuner.BaseTuner):
        error = ValueError

        def run_trial(self, trial, *args, **kwargs):
            raise self.error("boom")

    def tuner(name, error):
        o = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_loss", "min"), max_trials=8, seed=0,
                                          hyperparameters=_space(), max_consecutive_failed_trials=2)
        t = Failing(oracle=o, directory=str(tmp_path), project_name=name)
        t.error, o.verbose = error, 0
        return t

    try:
        tuner("fatal", kt.errors.FatalError).search()
    except kt.errors.FatalError:
        pass
    else:
        pytest.fail(_broken("re-raising FatalError from run_trial", where))
    try:
        tuner("failing", ValueError).search()
    except kt.errors.FatalError:
        pytest.fail(_broken("the RuntimeError after max_consecutive_failed_trials", where))
    except RuntimeError:
        pass
    else:
        pytest.fail(_broken("the RuntimeError after max_consecutive_failed_trials", where))


def test_cut_short_state_files_raise_value_error_on_reload(tmp_path):
    """run_search starts over when keras-tuner cannot read an interrupted search."""
    o = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_loss", "min"), max_trials=8, seed=0,
                                      hyperparameters=_space())
    t = kt.engine.base_tuner.BaseTuner(oracle=o, directory=str(tmp_path), project_name="p")
    o.verbose = 0
    o.create_trial("tuner0")
    t.save()
    files = sorted(Path(tmp_path, "p").rglob("*.json"))
    assert files, _broken("the project's JSON state files", "advisor/search/run.py")
    for path in files:
        text = path.read_text()
        json.loads(text)
        path.write_text(text[: len(text) // 2])
        fresh = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_loss", "min"), max_trials=8, seed=0,
                                              hyperparameters=_space())
        try:
            kt.engine.base_tuner.BaseTuner(oracle=fresh, directory=str(tmp_path), project_name="p",
                                           overwrite=False)
        except ValueError:
            pass
        else:
            pytest.fail(_broken(f"reloading a cut-short {path.name} (expected ValueError)",
                                "advisor/search/run.py"))
        finally:
            path.write_text(text)
