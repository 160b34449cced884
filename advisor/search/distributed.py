"""Distributed tuning: keras-tuner's chief/worker mode, with trial leases.

keras-tuner runs one oracle on the chief and any number of workers that ask it
for trials over gRPC (KERASTUNER_ORACLE_IP / _PORT, KERASTUNER_TUNER_ID).
Its chief waits for every worker that ever asked for a trial, so one dead
worker hangs the search forever. Here each worker pings the chief about its
running trial from a background thread; a trial not heard of for `lease_s`
seconds goes back to the retry queue for the next worker, and its worker is
forgotten, so the search completes without it. A worker that would be told
to stop while another worker's trial still runs is told to wait instead, so a
trial requeued at the end of the search still has someone to run it.

The chief also publishes the job (plan, trial epochs, objective, a fingerprint
of the data) as a Fixed hyperparameter: the search space is the only thing the
keras-tuner protocol shares, and workers must build exactly the chief's
hypermodel.
"""
from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Callable

import grpc
import keras
import keras_tuner as kt

from advisor.diagnosis import resolve_model
from advisor.errors import AdvisorError
from advisor.runtime.budget import Deadline
from advisor.runtime.fingerprints import fingerprint, model_fingerprint
from advisor.runtime.progress import Progress
from advisor.search import compat
from advisor.search.hypermodel import SearchHyperModel
from advisor.search.oracle import make_oracle
from advisor.search.space import PlanSpace
from advisor.search.tuner import SearchTuner
from recipes import Plan

ROLES = ("chief", "worker")
JOB_HP = "advisor:job"
DEFAULT_LEASE_S = 60.0
BEATS_PER_LEASE = 4  # a worker misses several pings before it is presumed dead


def set_role(role: str) -> str:
    """Check the keras-tuner environment for `role`; returns this tuner's id.
    The chief's id is set to "chief"; a worker without KERASTUNER_TUNER_ID gets
    a unique one (host and pid), since keras-tuner keys trials by that id."""
    missing = [v for v in ("KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT") if not os.environ.get(v)]
    if missing:
        raise AdvisorError(f"--tuner-role {role} needs {' and '.join(missing)} set to the chief's address, "
                           f"e.g. KERASTUNER_ORACLE_IP=10.0.0.1 KERASTUNER_ORACLE_PORT=8000")
    given = os.environ.get("KERASTUNER_TUNER_ID", "")
    if role == "chief":
        os.environ["KERASTUNER_TUNER_ID"] = "chief"
    elif "chief" in given:
        raise AdvisorError(f"KERASTUNER_TUNER_ID={given!r} names a chief: give a worker an id without 'chief'")
    elif not given:
        os.environ["KERASTUNER_TUNER_ID"] = f"worker-{socket.gethostname()}-{os.getpid()}"
    return os.environ["KERASTUNER_TUNER_ID"]


def publish(tuner, job: dict) -> None:
    """Put the job into the chief oracle's search space, for workers to read."""
    fixed = kt.HyperParameters()
    fixed.Fixed(JOB_HP, json.dumps(job, sort_keys=True))
    tuner.oracle.hyperparameters.merge(fixed, overwrite=True)  # a resumed chief's job replaces the old one


def fetch_job(say: Callable[[str], None]) -> dict:
    """Wait for the chief and read its job (blocks until the chief serves)."""
    address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
    say(f"waiting for the chief at {address} (it serves after its diagnosis; keras-tuner waits up to 60 min)")
    try:
        space = compat.OracleClient(None).get_space()
    except grpc.RpcError as err:
        raise AdvisorError(f"no chief answered at {address} ({err.code().name}): start "
                           f"'advisor train DATA --tuner-role chief' there first") from None
    if JOB_HP not in space.values:
        raise AdvisorError(f"the tuner at {address} is not an advisor chief: start it with --tuner-role chief")
    return json.loads(space.values[JOB_HP])


def without_job(values: dict) -> dict:
    return {k: v for k, v in values.items() if k != JOB_HP}


# ---- chief ---------------------------------------------------------------------------------

def serve(tuner, *, lease_s: float, deadline: float, say: Callable[[str], None]) -> list[dict]:
    """Serve trials to workers until the search ends; returns the requeued leases.

    Ends when the oracle has stopped handing out trials and none is running,
    or, past the deadline, when no live worker is left (a hung one gets one
    more lease)."""
    seen: dict[str, float] = {}  # trial id or tuner id -> last time the chief heard of it
    servicer = compat.LeasedServicer(tuner.oracle, seen, hold=_hold)
    # One thread, as keras-tuner's own chief: not every oracle method is synchronized.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    compat.add_servicer(servicer, server)
    address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError:
        bound = 0
    if not bound:
        raise AdvisorError(f"cannot serve trials at {address}: the port is taken or the address "
                           f"is not this host's (check KERASTUNER_ORACLE_IP/PORT)") from None
    tuner.oracle.verbose = 0  # keras-tuner's own trial tables; progress lines say it shorter
    tuner.save()
    server.start()
    say(f"serving trials at {address}; a worker silent for {lease_s:g}s is presumed dead")
    requeued, ended = [], 0
    try:
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            for lost in _requeue_stale(tuner.oracle, seen, lease_s, now):
                requeued.append(lost)
                say(f"worker {lost['tuner_id']} silent for {lease_s:g}s: trial {lost['trial_id']} requeued")
            ended = _report_ended(tuner.oracle, ended, say)
            if servicer.stop_triggered and _idle(tuner.oracle):
                break
            if now >= deadline and (_idle(tuner.oracle) or now >= deadline + lease_s):
                break
    finally:
        server.stop(grace=None)
    return requeued


@kt.synchronized
def _requeue_stale(oracle, seen: dict, lease_s: float, now: float) -> list[dict]:
    """Send the trials of workers silent for `lease_s` back to the retry queue and
    forget those workers (keras-tuner's chief would wait for them forever)."""
    lost = []
    for tuner_id, trial in list(oracle.ongoing_trials.items()):
        if now - seen.get(trial.trial_id, now) > lease_s:
            lost.append({"tuner_id": tuner_id, "trial_id": _forget(oracle, tuner_id)})
    for tuner_id in list(oracle.tuner_ids):  # died between two trials
        if tuner_id not in oracle.ongoing_trials and now - seen.get(tuner_id, now) > lease_s:
            _forget(oracle, tuner_id)
    return lost


def _forget(oracle, tuner_id: str) -> str | None:
    """Stop waiting for a worker; its running trial, if any, goes back to the
    retry queue (returns that trial's id). Called with the oracle's lock held."""
    oracle.tuner_ids.discard(tuner_id)
    trial = oracle.ongoing_trials.pop(tuner_id, None)
    if trial is None:
        return None
    compat.requeue(oracle, trial.trial_id)
    oracle.save()
    return trial.trial_id


@kt.synchronized
def _hold(oracle, tuner_id: str, stopped: bool) -> bool:
    """True when the worker is told to stop (`stopped`) while other workers' trials
    still run; the worker is registered again, to be waited for."""
    if stopped and oracle.ongoing_trials:
        oracle.tuner_ids.add(tuner_id)
        return True
    return False


@kt.synchronized
def _idle(oracle) -> bool:
    return not oracle.ongoing_trials and not oracle.tuner_ids


@kt.synchronized
def _report_ended(oracle, shown: int, say) -> int:
    for trial_id in oracle.end_order[shown:]:
        trial = oracle.trials[trial_id]
        score = f", score {trial.score:.4f}" if trial.score is not None else ""
        say(f"trial {trial_id} {str(trial.status).lower()}{score}")
    return len(oracle.end_order)


# ---- worker --------------------------------------------------------------------------------

class _Heartbeat:
    """While a trial runs, ask the chief for it every `interval` seconds, so
    the chief knows this worker is alive however long an epoch takes."""

    def __init__(self, oracle, interval: float):
        self.oracle, self.interval = oracle, interval
        self.trial_id, self.wake = None, threading.Event()
        threading.Thread(target=self._run, daemon=True, name="advisor-heartbeat").start()

    def follow(self, trial_id) -> None:
        self.trial_id = trial_id

    def _run(self) -> None:
        while not self.wake.wait(self.interval):
            trial_id = self.trial_id
            if trial_id is not None:
                try:
                    self.oracle.get_trial(trial_id)
                except Exception:  # a missed beat is what the lease is for
                    pass


class WorkerTuner(SearchTuner):
    """The search's tuner on a worker: while a trial runs, a heartbeat tells the
    chief this worker is alive; told to wait (IDLE), it asks again at a walk."""

    def __init__(self, *args, lease_s: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.beat, self.ran, self._asked = _Heartbeat(self.oracle, lease_s / BEATS_PER_LEASE), 0, False
        self.pause_s = lease_s / BEATS_PER_LEASE

    def pre_create_trial(self):
        if self._asked:  # asked for a trial and got none yet: the chief said IDLE
            time.sleep(self.pause_s)
        self._asked = True

    def on_trial_begin(self, trial):
        self._asked = False
        self.beat.follow(trial.trial_id)
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        self.beat.follow(None)
        self.ran += 1


def run_worker(dataset, model_spec=None, *, quiet: bool = False) -> int:
    """`advisor train DATA --tuner-role worker`: run the chief's trials on this
    host until the chief ends the search; returns how many trials ran here.
    DATA and --model must be the chief's; everything else comes from the chief."""
    progress = Progress(quiet=quiet)
    tuner_id = set_role("worker")
    job = fetch_job(lambda m: progress.stage("worker", m))
    if job["data"] != fingerprint(dataset):
        raise AdvisorError("this worker's training data differs from the chief's: give the same DATA, "
                           "--target and --seed as the chief")
    keras.utils.set_random_seed(job["seed"])  # the chief's base weights
    net = resolve_model(model_spec, dataset.info)
    if job["model"] != model_fingerprint(net):
        raise AdvisorError("this worker's model differs from the chief's: give the same --model as the chief")
    objective = kt.Objective(*job["objective"])
    # Wall clock: hosts share it, not their monotonic clocks.
    deadline = Deadline(time.monotonic() + max(0.0, job["deadline_unix"] - time.time()))
    progress.stage("worker", f"{tuner_id} tuning with {job['tuner']} for the chief")
    with tempfile.TemporaryDirectory(prefix="advisor-worker-") as scratch:
        hypermodel = SearchHyperModel(PlanSpace(Plan.from_dict(job["plan"])), net, dataset, epochs=job["epochs"],
                                      seed=job["seed"], objective=objective, deadline=deadline,
                                      weights_dir=Path(scratch) / "weights")
        oracle = make_oracle(job["tuner"], objective=objective, seed=job["seed"], rules=None,
                             max_trials=job["max_trials"], max_epochs=job["max_epochs"])
        tuner = WorkerTuner(oracle=oracle, hypermodel=hypermodel, directory=scratch, project_name="search",
                            lease_s=job["lease_s"])
        try:
            tuner.search(epochs=job["epochs"], verbose=0)
        finally:
            tuner.beat.wake.set()
    progress.stage("worker", f"the chief ended the search; {tuner.ran} trials ran here")
    return tuner.ran
