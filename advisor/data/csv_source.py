"""Read a .csv table: one target column, every other column a numeric feature.

Categorical feature columns are refused (encoding them is a modelling choice
the user should make, e.g. ``pandas.get_dummies``); empty cells in features
are kept as NaN so the profile can report them. The target is encoded by
`advisor.data.labels.encode_labels` (text -> classes; floats with many
distinct values -> regression).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from advisor.errors import AdvisorError


def _names(columns, limit: int = 10) -> str:
    cols = [str(c) for c in columns]
    return ", ".join(cols[:limit]) + (f", ... ({len(cols)} columns)" if len(cols) > limit else "")


def load_csv(path: Path, target: str | None):
    """Raw parts {"train": (x, y)} of a CSV file, with the target column split off.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = path.write_text("a,b,label\\n1,2,x\\n3,4,y\\n")
        >>> load_csv(path, "label")["train"][0].shape
        (2, 2)
    """
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise AdvisorError(f"{path} is empty: no header and no rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise AdvisorError(f"{path} is not a readable CSV ({str(e).splitlines()[0]})") from None
    if target is None:
        raise AdvisorError(f"{path} is a CSV: name its target column with --target COLUMN "
                           f"(columns: {_names(df.columns)})")
    if target not in df.columns:
        raise AdvisorError(f"{path} has no column {target!r}; columns are: {_names(df.columns)}")
    if len(df) == 0:
        raise AdvisorError(f"{path} has a header but no rows")
    features = df.drop(columns=[target])
    if features.shape[1] == 0:
        raise AdvisorError(f"{path} has only the target column {target!r}; it needs feature columns too")
    bad = [c for c in features.columns
           if not (pd.api.types.is_numeric_dtype(features[c]) or pd.api.types.is_bool_dtype(features[c]))]
    if bad:
        example = features[bad[0]].dropna().iloc[0] if features[bad[0]].notna().any() else None
        raise AdvisorError(
            f"{path}: feature column(s) {_names(bad)} are not numeric (e.g. {example!r}); encode them as "
            "numbers (e.g. pandas.get_dummies) or drop them")
    x = features.to_numpy(dtype=np.float32)
    y = df[target].to_numpy()
    return {"train": (x, y)}
