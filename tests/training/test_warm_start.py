"""The final fit starts from the best search trial's weights (same plan, fresh
optimizer), so a budget that cuts the fit short does not pay the trial's epochs twice."""
import keras
import numpy as np

from advisor.data import load
from advisor.model.defaults import default_model
from advisor.runtime.progress import Progress
from advisor.runtime.run_folder import RunFolder
from advisor.training.final_fit import final_fit
from recipes import SGD, Plan


def test_final_fit_starts_from_the_trial_weights(tmp_path):
    dataset = load("iris")
    net = default_model(dataset.info)
    # SGD at 1e-9 barely moves a weight: what the final model holds is where it started.
    # (Every build starts from the user's weights, so the trial must train to differ from them.)
    plan = Plan([SGD(learning_rate=1e-9)])
    trial = Plan([SGD(learning_rate=0.1)]).build(net, train=dataset.arrays["train"], epochs=3)
    trial.fit(*dataset.arrays["train"], epochs=3, verbose=0)
    keras.utils.set_random_seed(0)
    fresh = plan.build(net, train=dataset.arrays["train"], epochs=1).get_weights()

    def final(warm_start):
        run = RunFolder(tmp_path / str(warm_start is not None))
        keras.utils.set_random_seed(0)
        model, _, _, info = final_fit(plan, net, dataset, run, epochs=1, progress=Progress(quiet=True),
                                       warm_start=warm_start)
        run.close()
        return model.get_weights(), info["started_from"]

    warm, started = final(trial)
    assert started == "best search trial"
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(warm, trial.get_weights()))
    cold, started = final(None)
    assert started == "fresh weights"
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(cold, fresh))
    assert not all(np.allclose(a, b, atol=1e-3) for a, b in zip(warm, cold))  # the two starts differ
