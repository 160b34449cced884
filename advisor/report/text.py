"""Readable text for the terminal: findings with evidence, the plan with why."""
from __future__ import annotations

import shutil
import textwrap

from advisor.findings import Finding

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


def summary_lines(report: dict) -> list[str]:
    """The dataset (and its notes), the input scale and the classes, one line each."""
    info, p = report["dataset"], report["data_profile"] if "data_profile" in report else report["profile"]
    shape = "x".join(str(d) for d in info["input_shape"])
    kind = f" ({info['num_classes']} classes)" if info["task"] != "regression" else ""
    lines = [f"dataset   {info['name']}: {info['modality']}, {info['task']}{kind}, input {shape}",
             "samples   " + " | ".join(f"{s} {n:,}" for s, n in info["counts"].items())]
    if p["x_min"] is not None:
        sampled = f"  (on {p['stats_sample']:,} sampled training inputs)" if p.get("stats_sample") else ""
        lines.append(f"inputs    min {p['x_min']:.4g}  max {p['x_max']:.4g}  mean {p['x_mean']:.4g}  "
                     f"std {p['x_std']:.4g}{sampled}")
    if info["task"] == "regression":
        lines.append(f"targets   min {p['y_min']:.4g}  max {p['y_max']:.4g}  mean {p['y_mean']:.4g}  "
                     f"std {p['y_std']:.4g}")
    else:
        lines.append(f"classes   {min(p['class_counts']):,}..{max(p['class_counts']):,} training samples "
                     f"per class, imbalance 1:{p['imbalance_ratio']:.3g}")
    lines += [f"note      {note}" for note in info.get("notes", [])]
    return lines


def format_report(report: dict) -> str:
    """The diagnosis as text (a `DiagnosisReport.to_dict()` or the CLI's data report):
    the summary, the model, the measured precision, the findings and the plan with why."""
    out = summary_lines(report)
    mp = report.get("model_profile")
    if mp:
        out.append(f"model     {mp['num_params']:,} parameters, {mp['depth']} Dense/Conv layers, "
                   f"optimizer {mp['optimizer']} (lr {mp['learning_rate']}), loss {mp['loss']}")
    precision = report.get("precision")
    if precision:
        out.append("precision " + ", ".join(f"{k} {1000 * v:.1f} ms/step" for k, v in precision["times"].items())
                   + f" -> {precision['faster']} ({precision['speedup']:.2f}x, measured)")
    findings = [Finding.from_dict(f) for f in report["findings"]]
    out += ["", "Findings", format_findings(findings) if findings else "no problems found"]
    if "plan" in report:
        out += ["", "Plan (recipe, config, why)", format_decision(report["plan"])]
    return "\n".join(out)
