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

import hashlib
import json
import os
import socket
import tempfile
import threading
import time
from concurrent import futures
from typing import Callable

import grpc
import keras
import keras_tuner as kt
from keras_tuner.src import protos
from keras_tuner.src.distribute.oracle_chief import OracleServicer
from keras_tuner.src.distribute.oracle_client import OracleClient
from keras_tuner.src.engine import trial as trial_module
from keras_tuner.src.engine.oracle import synchronized

from advisor.diagnosis import resolve_model
from advisor.errors import AdvisorError
from advisor.search.tune import PlanHyperModel, make_tuner
from advisor.training.deadline import FitDeadline
from advisor.training.progress import Progress
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


def fingerprint(dataset) -> str:
    """A short hash of the training split: workers must tune on the chief's data."""
    digest = hashlib.sha256()
    for array in (dataset.digests("train"), dataset.labels("train")):
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


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
        space = OracleClient(None).get_space()
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
    servicer = _LeasedServicer(tuner.oracle, seen)
    # One thread, as keras-tuner's own chief: not every oracle method is synchronized.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
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


class _LeasedServicer(OracleServicer):
    """keras-tuner's servicer, noting when each trial and each worker was last heard of."""

    def __init__(self, oracle, seen: dict):
        super().__init__(oracle)
        self.seen = seen

    def CreateTrial(self, request, context):
        self.seen[request.tuner_id] = time.monotonic()
        response = super().CreateTrial(request, context)
        if _hold(self.oracle, request.tuner_id, response.trial):
            # Another worker's trial may still come back to the retry queue: this
            # worker waits (IDLE, it asks again) instead of leaving the search.
            idle = trial_module.Trial(self.oracle.get_space(), trial_id=response.trial.trial_id,
                                      status=trial_module.TrialStatus.IDLE)
            return protos.get_service().CreateTrialResponse(trial=idle.to_proto())
        self.seen[response.trial.trial_id] = time.monotonic()
        return response

    def UpdateTrial(self, request, context):
        self.seen[request.trial_id] = time.monotonic()
        return super().UpdateTrial(request, context)

    def GetTrial(self, request, context):  # the workers' heartbeat
        self.seen[request.trial_id] = time.monotonic()
        return super().GetTrial(request, context)


@synchronized
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
    oracle._retry_queue.append(trial.trial_id)
    oracle.save()
    return trial.trial_id


@synchronized
def _hold(oracle, tuner_id: str, answer) -> bool:
    """True when `answer` tells the worker to stop while other workers' trials
    still run; the worker is registered again, to be waited for."""
    stopped = trial_module.Trial.from_proto(answer).status == trial_module.TrialStatus.STOPPED
    if stopped and oracle.ongoing_trials:
        oracle.tuner_ids.add(tuner_id)
        return True
    return False


@synchronized
def _idle(oracle) -> bool:
    return not oracle.ongoing_trials and not oracle.tuner_ids


@synchronized
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


def work(tuner, *, epochs: int, lease_s: float, deadline_unix: float | None) -> int:
    """Run the chief's trials until it says stop; returns how many this worker ran."""
    beat = _Heartbeat(tuner.oracle, lease_s / BEATS_PER_LEASE)
    begin, end, ran = tuner.on_trial_begin, tuner.on_trial_end, [0]
    asked = [False]  # asked for a trial and got none yet: the chief said IDLE

    # keras-tuner's search loop calls these around each trial; wrapping this
    # instance's hooks is how the heartbeat learns which trial is running, and
    # how a worker told to wait asks again at a walk instead of a spin.
    def pre_create_trial():
        if asked[0]:
            time.sleep(lease_s / BEATS_PER_LEASE)
        asked[0] = True

    def on_trial_begin(trial):
        asked[0] = False
        beat.follow(trial.trial_id)
        begin(trial)

    def on_trial_end(trial):
        end(trial)
        beat.follow(None)
        ran[0] += 1

    tuner.pre_create_trial, tuner.on_trial_begin, tuner.on_trial_end = pre_create_trial, on_trial_begin, on_trial_end
    callbacks = []
    if deadline_unix is not None:  # wall clock: hosts share it, not their monotonic clocks
        callbacks.append(FitDeadline(time.monotonic() + max(0.0, deadline_unix - time.time())))
    try:
        tuner.search(epochs=epochs, callbacks=callbacks, verbose=0)
    finally:
        beat.wake.set()
    return ran[0]


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
    hypermodel = PlanHyperModel(Plan.from_dict(job["plan"]), net, dataset, epochs=job["epochs"])
    progress.stage("worker", f"{tuner_id} tuning with {job['tuner']} for the chief")
    with tempfile.TemporaryDirectory(prefix="advisor-worker-") as scratch:
        tuner = make_tuner(job["tuner"], hypermodel, scratch, objective=kt.Objective(*job["objective"]),
                           max_trials=job["max_trials"], max_epochs=job["max_epochs"], seed=job["seed"],
                           deadline=None, resume=False)
        ran = work(tuner, epochs=job["epochs"], lease_s=job["lease_s"], deadline_unix=job["deadline_unix"])
    progress.stage("worker", f"the chief ended the search; {ran} trials ran here")
    return ran


def model_fingerprint(net) -> str:
    """Layer types and parameter count: layer names differ between processes."""
    shape = [type(layer).__name__ for layer in net.layers] + [str(net.count_params())]
    return hashlib.sha256(" ".join(shape).encode()).hexdigest()[:16]
