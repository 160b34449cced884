"""Render README.md's benchmark blocks again from the published results files, with one command:

    python -m bench.readme            # rewrite the blocks
    python -m bench.readme --check    # exit 1 if any block differs from its results file

Each block is what its benchmark wrote (`bench.run.readme_block`,
`bench.generated.readme_block`), so this never changes a figure: it only brings
a README that was edited by hand back to its results files.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench import generated, run

ROOT = Path(__file__).resolve().parent.parent


def blocks(published: Path = run.PUBLISHED) -> dict[tuple[str, str], str]:
    """{(start marker, end marker): the block rendered from its published file}, for the files that exist."""
    found = {}
    for start, end, suffix in run.BLOCKS.values():
        path = published / f"results{suffix}.json"
        if path.exists():
            found[start, end] = run.readme_block(json.loads(path.read_text()))
    path = published / generated.PUBLISHED_FILES["results.json"]
    if path.exists():
        found[generated.MARK_START, generated.MARK_END] = generated.readme_block(json.loads(path.read_text()))
    return found


def render(text: str, rendered: dict) -> str:
    """`text` with every block it has replaced by its rendering."""
    for (start, end), block in rendered.items():
        if start in text and end in text:
            head, rest = text.split(start, 1)
            text = head + start + block + end + rest.split(end, 1)[1]
    return text


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.readme", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only compare; exit 1 on a difference")
    args = p.parse_args(argv)
    readme = ROOT / "README.md"
    text = readme.read_text()
    new = render(text, blocks())
    if args.check:
        print("README.md matches its results files" if new == text else "README.md differs from its results files")
        return int(new != text)
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
