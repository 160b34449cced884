"""The run folder: where `advisor train` leaves everything, written atomically.

Every file is written to a temporary name and renamed into place, so a killed
run never leaves a half-written JSON; `status.json` says whether the run is
complete, so a folder that merely looks complete cannot be mistaken for one.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class RunFolder:
    """A run's output folder.

    Args:
        path: the folder; created if missing. Must be writable.
        resume: keep what an earlier run left (otherwise a complete run there
            is refused, so results are never silently mixed); the folder must
            then hold a run (its status.json).
    """

    def __init__(self, path: str | os.PathLike, resume: bool = False):
        self.path = Path(path)
        if resume and not (self.path / "status.json").is_file():
            raise AdvisorError(f"--resume: {str(self.path)!r} is not an advisor run folder (no status.json); "
                               "pass the --out of an earlier run, or drop --resume to start a new one")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise AdvisorError(f"cannot write to output folder {str(self.path)!r} ({e.strerror}): pass a writable --out") from None
        if not resume and self.status() == "complete":
            raise AdvisorError(
                f"{str(self.path)!r} already holds a complete run: pass another --out, or --resume to reuse it"
            )

    def file(self, name: str) -> Path:
        return self.path / name

    def write_json(self, name: str, obj: Any) -> Path:
        path = self.file(name)
        _atomic_write(path, (json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n").encode())
        return path

    def write_text(self, name: str, text: str) -> Path:
        path = self.file(name)
        _atomic_write(path, text.encode())
        return path

    def read_json(self, name: str) -> Any | None:
        path = self.file(name)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None  # a file from a foreign writer; ours are atomic

    def save_model(self, model, name: str = "model.keras") -> Path:
        path = self.file(name)
        tmp = self.file(f".{name}.tmp.keras")
        model.save(tmp)
        os.replace(tmp, path)
        return path

    def status(self) -> str | None:
        state = self.read_json("status.json")
        return state.get("status") if state else None

    def set_status(self, status: str, **extra: Any) -> None:
        self.write_json("status.json", {"status": status, **extra})


def _jsonable(obj: Any) -> Any:
    """numpy scalars/arrays and dataclass-likes into JSON."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON-serializable: {type(obj).__name__}")
