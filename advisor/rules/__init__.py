"""The rule book: one module per family (curves, gradients, data, model,
hardware, defaults), a registry, and the repair orders.

Re-exports only; see registry.py for the `advisor.rules` entry-point contract.
"""
from advisor.rules.registry import (
    DEFAULT_PRIORITY,
    ENTRY_POINT_GROUP,
    Recommendation,
    Rule,
    advise,
    all_rules,
    load_plugins,
    rule,
)
from advisor.rules.repairs import repair_sequence, repairable_problems

__all__ = ["DEFAULT_PRIORITY", "ENTRY_POINT_GROUP", "Recommendation", "Rule", "advise", "all_rules",
           "load_plugins", "rule", "repair_sequence", "repairable_problems"]
