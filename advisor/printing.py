"""Readable text for the terminal: findings with evidence, the plan with why."""
from __future__ import annotations

import shutil
import textwrap

ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


def table(header: list[str], rows: list[list[str]], wrap_last: bool = True) -> str:
    """A plain-text table; the last column wraps to the terminal width."""
    if not rows:
        return ""
    width = shutil.get_terminal_size((120, 20)).columns
    cols = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(header[:-1])]
    last = max(30, width - sum(cols) - 2 * len(cols) - 1)
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header[:-1], cols)) + "  " + header[-1]]
    lines.append("  ".join("-" * w for w in cols) + "  " + "-" * min(last, 40))
    for row in rows:
        wrapped = textwrap.wrap(str(row[-1]), last) if wrap_last else [str(row[-1])]
        wrapped = wrapped or [""]
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row[:-1], cols)) + "  " + wrapped[0])
        pad = "  ".join(" " * w for w in cols) + "  "
        lines += [pad + more for more in wrapped[1:]]
    return "\n".join(lines)


def format_findings(findings) -> str:
    rows = sorted(findings, key=lambda f: (ORDER.get(f.severity, 9), f.source, f.name))
    return table(["severity", "source", "finding", "evidence"],
                 [[f.severity, f.source, f.name + (f" [{f.layer}]" if f.layer else ""), f.evidence] for f in rows])


def format_decision(decision: dict) -> str:
    parts = []
    chosen = decision.get("chosen", [])
    parts.append(table(["#", "recipe", "config", "why"], [
        [str(i + 1), c["recipe"], _config(c.get("config")),
         "; ".join(dict.fromkeys(c.get("why", [])))]
        for i, c in enumerate(chosen)]) or "(empty plan)")
    if decision.get("dropped"):
        parts.append("\nDropped recommendations:\n" + table(["recipe", "reason"], [
            [d["recipe"], d.get("reason", "")] for d in decision["dropped"]]))
    if decision.get("advice"):
        parts.append("\nAdvice (no recipe applies it for you):\n" + "\n".join(
            f"  - {a['text']} ({'; '.join(dict.fromkeys(a.get('why', [])))})" for a in decision["advice"]))
    return "\n".join(parts)


def _config(config) -> str:
    if not config:
        return "-"
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items())


def format_report(report) -> str:
    info = report.dataset
    head = (f"Dataset {info.name}: {info.modality}, {info.task}, input {tuple(info.input_shape)}, "
            f"{info.num_classes} classes, splits " + ", ".join(f"{k} {v:,}" for k, v in info.counts.items()))
    out = [head, "", "Findings", format_findings(report.findings) or "(none)"]
    if report.precision:
        p = report.precision
        out += ["", "Mixed precision (measured): " + ", ".join(
            f"{k} {1000 * v:.1f} ms/step" for k, v in p["times"].items())
                + f" -> {p['faster']} ({p['speedup']:.2f}x)"]
    out += ["", "Plan", format_decision(report.decision.to_dict())]
    return "\n".join(out)
