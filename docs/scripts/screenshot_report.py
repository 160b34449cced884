"""Train a real small run and screenshot its report.html into docs/images/report.png.

    python docs/scripts/screenshot_report.py                 # iris, 40 s budget
    python docs/scripts/screenshot_report.py --data wine --budget 60s --width 1200 --height 1600

Runs `advisor train DATA --budget B --out <tmp>` (the installed CLI), then opens
the run's report.html in headless Chromium (`apt-get install -y chromium` if
it is missing) and writes the PNG. Nothing is downloaded: the built-in
datasets are local and Chromium runs with networking features off.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium found: apt-get install -y chromium")


def train(data: str, budget: str, out: Path) -> Path:
    """Run `advisor train` into `out`; the path of its report.html."""
    advisor = shutil.which("advisor") or sys.exit("the advisor CLI is not installed: pip install -e .")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run([advisor, "train", data, "--budget", budget, "--out", str(out)], check=True, env=env)
    report = out / "report.html"
    if not report.is_file():
        sys.exit(f"{out} holds no report.html")
    return report


def screenshot(page: Path, png: Path, width: int, height: int, browser: str | None = None) -> Path:
    """Render `page` (a local HTML file) to `png` with headless Chromium."""
    browser = browser or find_browser()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={png}", page.resolve().as_uri()],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    if not png.is_file() or png.stat().st_size == 0:
        sys.exit(f"Chromium wrote no screenshot to {png}")
    return png


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="iris")
    parser.add_argument("--budget", default="40s")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "report.png")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1500)
    parser.add_argument("--keep-run", type=Path, help="Train into this folder and keep it (default: a temp folder).")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="advisor-report-") as tmp:
        run = args.keep_run or Path(tmp) / "run"
        report = train(args.data, args.budget, run)
        png = screenshot(report, args.out, args.width, args.height)
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
