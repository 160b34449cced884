"""Run the ```python blocks of one manual page, in order, in one namespace; then its test_* functions.

    python tests/docs/run_examples.py docs/extending.md

Used by test_examples.py in a fresh process per page (rules and recipes the
examples register must not leak into other tests). Prints one line per block and test.
"""
import inspect
import re
import sys
import tempfile
from pathlib import Path

BLOCK = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def main(page: str) -> int:
    path = Path(page)
    namespace = {"__name__": "__docs_example__"}
    for i, code in enumerate(blocks(path), 1):
        exec(compile(code, f"{path.name} (python block {i})", "exec"), namespace)
        print(f"block {i}: ran", flush=True)
    tests = [(name, fn) for name, fn in namespace.items() if name.startswith("test_") and callable(fn)]
    for name, fn in tests:
        kwargs = {"tmp_path": Path(tempfile.mkdtemp())} if "tmp_path" in inspect.signature(fn).parameters else {}
        fn(**kwargs)
        print(f"{name}: passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
