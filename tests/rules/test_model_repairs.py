"""Model bugs the rule book now repairs with recipes: real models -> inspection -> Facts -> plan."""
import keras
import pytest

from advisor.data.dataset import DatasetInfo
from advisor.rules.engine import decide, repair_sequence
from advisor.rules.facts import Facts
from advisor.model.inspect import inspect_model, model_findings
from recipes import Plan
from tests.rules.facts_builders import finding, healthy


def info(task="multiclass", classes=3):
    return DatasetInfo("blobs", "tabular", (4,), task, classes, [str(i) for i in range(classes)],
                       {"train": 300, "val": 100, "test": 100})


def facts_for(model, data=None, extra=()):
    data = data or info()
    profile = inspect_model(model, data)
    findings = model_findings(profile, data) + list(extra)
    return Facts.build(data_profile=data, model_profile=profile, findings=findings), profile


def mlp(hidden, head, loss="sparse_categorical_crossentropy", units=3):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(16, activation=hidden),
                              keras.layers.Dense(16, activation=hidden),
                              keras.layers.Dense(units, activation=head)])
    model.compile("adam", loss)
    return model


def test_sigmoid_output_with_sparse_categorical_ce_on_three_classes_plans_output_head():
    model = mlp("relu", "sigmoid")
    facts, _ = facts_for(model)
    assert facts.has("loss_output_mismatch") and not facts.has("output_units_mismatch")
    decision = decide(facts)
    plan = dict(decision.recipes())
    assert plan["output_head"] == {"task": "classification"}
    assert not any("pair the output with the loss" in a.text for a in decision.advice)
    rebuilt = decision.to_plan().build(model)
    assert rebuilt.layers[-1].get_config()["activation"] == "softmax"


def test_regression_with_a_squashing_output_plans_a_linear_head():
    model = mlp("relu", "sigmoid", loss="mse", units=1)
    facts, _ = facts_for(model, info("regression", 0))
    assert facts.has("regression_output_activation")
    assert dict(decide(facts).recipes())["output_head"] == {"task": "regression"}


def test_a_wrong_unit_count_is_left_to_the_user():
    facts = healthy(findings=[finding("loss_output_mismatch"), finding("output_units_mismatch")])
    decision = decide(facts)
    assert "output_head" not in dict(decision.recipes())
    assert any("one unit per class" in a.text for a in decision.advice)


@pytest.mark.parametrize("problem", ["divergence", "exploding_gradient"])
def test_unbounded_activations_are_swapped_first_when_training_blows_up(problem):
    model = mlp("exponential", "softmax")
    facts, profile = facts_for(model, extra=[finding(problem)])
    assert profile.hidden_activations == ["exponential", "exponential"]
    steps = repair_sequence(problem, facts)
    assert steps[0] == [("activation", {"to": "relu", "swap": "unbounded"})]
    rebuilt = Plan.from_dict({"format": "advisor-plan", "version": 1,
                              "recipes": [{"name": n, "config": c} for n, c in steps[0]]}).build(model)
    hidden = rebuilt.layers[1:3]
    assert [layer.get_config()["activation"] for layer in hidden] == ["relu", "relu"]
    assert [layer.get_config()["kernel_initializer"]["class_name"] for layer in hidden] == ["HeUniform"] * 2
    # a ReLU model has nothing to swap: the sequence starts as before
    relu_facts, _ = facts_for(mlp("relu", "softmax"), extra=[finding(problem)])
    assert steps[0] not in repair_sequence(problem, relu_facts)
    assert repair_sequence(problem, relu_facts) == steps[1:]


def test_underfitting_grows_the_model_unless_it_is_already_too_big():
    assert repair_sequence("underfitting", healthy())[0] == [("width", {"factor": 2.0})]
    assert all(step[0][0] not in ("width", "depth") for step in repair_sequence(
        "underfitting", healthy(findings=[finding("too_many_params")])))
    plan = dict(decide(healthy(plain_stack=True, findings=[finding("underfitting")])).recipes())
    assert plan["width"] == {"factor": 2.0} and "depth" not in plan
    stuck = dict(decide(healthy(plain_stack=True, findings=[finding("cannot_overfit_subset")])).recipes())
    assert stuck["width"] == {"factor": 2.0} and stuck["depth"] == {"extra": 1}
    branching = dict(decide(healthy(plain_stack=False, findings=[finding("cannot_overfit_subset")])).recipes())
    assert "width" in branching and "depth" not in branching


def test_plain_stack_fact_comes_from_the_model():
    facts, profile = facts_for(mlp("relu", "softmax"))
    assert profile.plain_stack is True and facts.plain_stack is True
    inputs = keras.Input((4,))
    a, b = keras.layers.Dense(4)(inputs), keras.layers.Dense(4)(inputs)
    joined = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Concatenate()([a, b])))
    joined.compile("adam", "sparse_categorical_crossentropy")
    assert facts_for(joined)[0].plain_stack is False


@pytest.mark.parametrize("dead", ["hard_shrink", "soft_shrink", "tanh_shrink"])
def test_a_dead_zone_activation_is_swapped_for_relu_in_the_rule_books_plan(dead):
    """Shrink activations pass no gradient near zero, where fresh units start: the
    generated benchmark's unrepaired setups b05, b21, b23, b26 kept them."""
    model = mlp(dead, "softmax")
    facts, _ = facts_for(model)
    assert facts.has("dead_zone_activation") and dead in facts.get("dead_zone_activation").evidence
    assert dict(decide(facts).recipes())["activation"] == {"to": "relu", "swap": "dead_zone"}
    rebuilt = decide(facts).to_plan().build(model)
    dense = [layer.get_config()["activation"] for layer in rebuilt.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == ["relu", "relu", "softmax"]
    assert not facts_for(mlp("relu", "softmax"))[0].has("dead_zone_activation")


def _trained(model, epochs=30):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return model


def test_trained_weights_are_recognized_from_the_optimizer_or_from_the_weights_themselves(tmp_path):
    from advisor.model.inspect import trained_weights

    fresh = mlp("relu", "softmax")
    assert trained_weights(fresh) is None
    saved = tmp_path / "trained.keras"
    _trained(mlp("relu", "softmax")).save(saved)
    assert "training steps" in trained_weights(keras.models.load_model(saved, safe_mode=True))
    # The weights alone, in a model whose optimizer never ran (as from load_weights):
    bare = mlp("relu", "softmax")
    bare.set_weights(keras.models.load_model(saved, safe_mode=True).get_weights())
    assert "beyond" in trained_weights(bare)


def test_a_pretrained_model_is_not_re_initialized_without_saying_so(tmp_path):
    model = _trained(mlp("relu", "softmax"))
    facts, profile = facts_for(model)
    # glorot-initialized ReLU layers: a fresh model gets init_activation_mismatch, a trained one does not
    assert facts_for(mlp("relu", "softmax"))[0].has("init_activation_mismatch")
    assert facts.has("pretrained_weights") and not facts.has("init_activation_mismatch")
    with_problems = facts_for(model, extra=[finding("vanishing_gradient"), finding("underfitting")])[0]
    decision = decide(with_problems)
    chosen = dict(decision.recipes())
    assert "initializer" not in chosen and "width" not in chosen
    assert "activation" in chosen  # the vanishing gradient's repair stays, and the plan says what it costs
    assert any(a.text.startswith("activation gives the layers it changes fresh weights") for a in decision.advice)
    assert any(d.recipe == "initializer" and "trained weights" in d.reason for d in decision.dropped)


def test_a_new_head_on_a_pretrained_base_is_fine_tuned_and_a_fully_trained_model_is_not():
    trained = _trained(mlp("relu", "softmax"))
    new_head = mlp("relu", "softmax")  # fresh, compiled, its optimizer never ran
    for source, target in list(zip(trained.layers, new_head.layers))[:-1]:  # the base's weights, a fresh head
        target.set_weights(source.get_weights())
    facts, profile = facts_for(new_head)
    base_top, head = new_head.layers[-2].name, new_head.layers[-1].name
    assert (profile.base_top, profile.new_head) == (base_top, [head])
    assert f"its top layer {head} is fresh: a new head on a pretrained base" in facts.get("pretrained_weights").evidence
    assert dict(decide(facts).recipes())["fine_tune"] == {"head_epochs": 3, "freeze_until": base_top}
    # Every layer trained (saved after fit): it keeps training as a whole.
    facts, profile = facts_for(trained)
    assert facts.has("pretrained_weights") and (profile.base_top, profile.new_head) == (None, [])
    assert "fine_tune" not in dict(decide(facts).recipes())


def test_a_model_that_rescales_its_own_input_is_not_given_normalize():
    """Pixel values 0..255 into a model that starts with Rescaling(1/255): the data
    check still reports the range, as information; no Normalize goes on top (it would
    feed the model, pretrained or not, inputs it was not built for)."""
    import numpy as np

    from advisor.diagnosis import diagnose

    rng = np.random.default_rng(0)
    x, y = (rng.random((200, 4)) * 255).astype("float32"), rng.integers(0, 3, 200)

    def report(first):
        model = keras.Sequential([keras.Input((4,)), *first, keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        return diagnose(model, (x, y), probe=False)

    plain, scaling = report([]), report([keras.layers.Rescaling(1 / 255, name="scale")])
    assert plain.facts.get("unnormalized_input").severity != "info"
    assert "normalize" in dict(plain.decision.recipes())
    found = scaling.facts.get("unnormalized_input")
    assert found.severity == "info" and "the model scales its inputs itself (scale (Rescaling))" in found.evidence
    assert "normalize" not in dict(scaling.decision.recipes())


def test_far_too_many_parameters_shrink_a_fresh_model_but_never_an_underfitting_or_trained_one():
    too_big = finding("too_many_params", "300 params per sample")
    plan = dict(decide(healthy(hidden_activations=["relu"], findings=[too_big])).recipes())
    assert plan["width"] == {"factor": 0.5} and ("l1" in plan or "l2" in plan)
    underfit = dict(decide(healthy(hidden_activations=["relu"], findings=[too_big, finding("underfitting")])).recipes())
    assert "width" not in underfit
    trained = decide(healthy(hidden_activations=["relu"], findings=[too_big, finding("pretrained_weights")]))
    assert "width" not in dict(trained.recipes())
    assert any("use a smaller model" in a.text for a in trained.advice)
