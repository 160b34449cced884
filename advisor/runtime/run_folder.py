"""The run folder: where `advisor train` leaves everything, written atomically.

Every file is written to a temporary name and renamed into place, so a killed
run never leaves a half-written JSON; `status.json` says whether the run is
complete, so a folder that merely looks complete cannot be mistaken for one.

One process writes a run folder at a time: `RunFolder` holds an OS lock
(`flock`) on the folder's `.lock` file, which names the holder's PID. The OS
drops the lock when the process ends however it ends (SIGKILL included), so a
killed run never leaves a stale lock; the `.lock` file itself stays behind.
"""
from __future__ import annotations

import fcntl
import json
import os
import tempfile
import weakref
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError

LOCK_NAME = ".lock"
# The run folders this process holds, by real path: [fd, holders].
# flock conflicts between two descriptors of one process too, so a second
# RunFolder on a folder this process already holds shares the lock.
_held: dict[str, list] = {}
_last_opened: list[Path] = []


def current() -> Path | None:
    """The run folder this process opened last (for the CLI's error and interrupt lines)."""
    return _last_opened[-1] if _last_opened else None


def _lock(path: Path) -> str:
    key = os.path.realpath(path)
    if key in _held:
        _held[key][1] += 1
        return key
    fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)  # never truncated before it is ours
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        by = f"process {holder}" if holder.isdigit() else "another process"
        raise AdvisorError(f"run folder {path} is in use by {by} (advisor train); "
                           f"wait for it or choose another --out") from None
    except BaseException:
        os.close(fd)
        raise
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass  # a full disk: the lock holds without the PID, and the run's first write reports the disk
    _held[key] = [fd, 1]
    return key


def _unlock(key: str) -> None:
    entry = _held.get(key)
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        del _held[key]
        os.close(entry[0])  # releases the flock


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.filename is None and err.errno is not None:
            raise OSError(err.errno, err.strerror, str(path)) from err  # say which file (a full disk...)
        raise


class RunFolder:
    """A run's output folder.

    Args:
        path: the folder; created if missing. Must be writable.
        resume: keep what an earlier run left (otherwise a complete run there
            is refused, so results are never silently mixed); the folder must
            then hold a run (its status.json).

    Raises AdvisorError when another process holds the folder (see `close`).
    """

    def __init__(self, path: str | os.PathLike, resume: bool = False):
        self.path = Path(path)
        if resume and not (self.path / "status.json").is_file():
            raise AdvisorError(f"--resume: {str(self.path)!r} is not an advisor run folder (no status.json); "
                               "pass the --out of an earlier run, or drop --resume to start a new one")
        if not resume and self.status() == "complete":  # a read: refused before anything is written
            raise AdvisorError(
                f"{str(self.path)!r} already holds a complete run: pass another --out, or --resume to reuse it"
            )
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            key = _lock(self.path)  # before any write; the only file a refused second process touches
        except OSError as e:
            raise AdvisorError(f"cannot write to output folder {str(self.path)!r} ({e.strerror}): pass a writable --out") from None
        self._release = weakref.finalize(self, _unlock, key)  # released when this object goes, at the latest
        _last_opened[:] = [self.path]
        try:
            probe = self.path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            self.close()
            raise AdvisorError(f"cannot write to output folder {str(self.path)!r} ({e.strerror}): pass a writable --out") from None

    def close(self) -> None:
        """Release the folder's lock (also done when this object is garbage collected)."""
        self._release()

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
        try:
            model.save(tmp)
        except OSError as err:
            tmp.unlink(missing_ok=True)  # half a model on a full disk
            if err.filename is None and err.errno is not None:
                raise OSError(err.errno, err.strerror, str(path)) from err
            raise
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
