"""The one door to keras-tuner's internals: distributed tuning with leases.

keras-tuner has no public API for a chief that stops waiting for a dead worker,
so this module reaches inside it: its gRPC protos, its chief's servicer and its
worker's client, and the oracle's retry queue. Only `advisor.search.distributed`
imports it, and only once distributed tuning starts, so an internals change
breaks `--tuner-role`, never a plain `advisor train`.
`tests/search/test_keras_tuner_internals.py` checks every piece used here
against the installed keras-tuner.
"""
from __future__ import annotations

import time
from typing import Callable

import keras_tuner as kt
from keras_tuner.src import protos
from keras_tuner.src.distribute.oracle_chief import OracleServicer
from keras_tuner.src.distribute.oracle_client import OracleClient

__all__ = ["LeasedServicer", "OracleClient", "add_servicer", "requeue"]


def add_servicer(servicer, server) -> None:
    """Serve `servicer` (an `OracleServicer`) on the gRPC `server`."""
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)


def _idle_answer(oracle, trial_id: str):
    """A CreateTrial answer telling a worker to wait and ask again (an IDLE trial)."""
    idle = kt.engine.trial.Trial(oracle.get_space(), trial_id=trial_id, status=kt.engine.trial.TrialStatus.IDLE)
    return protos.get_service().CreateTrialResponse(trial=idle.to_proto())


def _is_stop(answer) -> bool:
    """Whether a CreateTrial answer's trial tells the worker to stop."""
    return kt.engine.trial.Trial.from_proto(answer).status == kt.engine.trial.TrialStatus.STOPPED


def requeue(oracle, trial_id: str) -> None:
    """Put a trial back on the oracle's retry queue, for the next worker that asks."""
    oracle._retry_queue.append(trial_id)


class LeasedServicer(OracleServicer):
    """keras-tuner's chief servicer, noting in `seen` when each trial and each
    worker was last heard of. `hold(oracle, tuner_id, stopped)` says whether a
    worker told to stop must wait instead (another worker's trial may still
    come back to the retry queue): it then gets an IDLE trial and asks again."""

    def __init__(self, oracle, seen: dict, hold: Callable[..., bool]):
        super().__init__(oracle)
        self.seen, self.hold = seen, hold

    def CreateTrial(self, request, context):
        self.seen[request.tuner_id] = time.monotonic()
        response = super().CreateTrial(request, context)
        if self.hold(self.oracle, request.tuner_id, _is_stop(response.trial)):
            return _idle_answer(self.oracle, response.trial.trial_id)
        self.seen[response.trial.trial_id] = time.monotonic()
        return response

    def UpdateTrial(self, request, context):
        self.seen[request.trial_id] = time.monotonic()
        return super().UpdateTrial(request, context)

    def GetTrial(self, request, context):  # the workers' heartbeat
        self.seen[request.trial_id] = time.monotonic()
        return super().GetTrial(request, context)
