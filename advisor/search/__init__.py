"""The diagnosis-seeded search: the space the rule book seeds, the oracles, the run."""
from advisor.search.run import SearchResult, run_search
from advisor.search.space import SearchSpace

__all__ = ["SearchResult", "SearchSpace", "run_search"]
