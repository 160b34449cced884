"""Builders for hand-written Facts: the rule book is tested without training."""
from advisor.rules.facts import Facts
from advisor.findings import Finding
from advisor.rules.catalog import FINDINGS


def finding(name, evidence=None, **values):
    """A Finding with the right source for its name and evidence that carries a number."""
    source = next((s for s, names in FINDINGS.items() if name in names), "training")
    return Finding(name, "high", source, evidence or f"{name} seen (42 units)", values=values)


def healthy(**overrides):
    """A balanced, normalized, well-sized tabular classification run on Adam that fits well."""
    base = dict(task="multiclass", modality="tabular", num_classes=10, n_train=20_000, n_val=5_000,
                imbalance_ratio=1.1, minority_share=0.09, min_samples_per_class=1800, looks_unnormalized=False,
                x_min=-3.0, x_max=3.0, num_params=20_000, depth=3, hidden_activations=["relu", "relu"],
                output_activation="softmax", loss="sparse_categorical_crossentropy", from_logits=False,
                optimizer="adam", learning_rate=1e-3, has_batchnorm=False, has_dropout=False,
                max_dropout_rate=0.0, epochs=5, batch_size=32,
                findings=[finding("good_fit", "train acc 0.97, val acc 0.96 after 5 epochs")])
    base.update(overrides)
    return Facts(**base)

