"""report.html: one self-contained page built from a run folder's JSON files.

Rendered only from what the run folder holds, so a resumed run's report is the
same as an uninterrupted one's.
"""
from __future__ import annotations

import base64
import html
import io

CSS = """body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;width:100%}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.high{color:#b00020;font-weight:600}.medium{color:#b45f06}.low{color:#555}.info{color:#1b5e20}
.kept{color:#1b5e20;font-weight:600}.dropped{color:#b00020}.figs{display:flex;flex-wrap:wrap;gap:1em}
.metric{display:inline-block;margin-right:2em;font-size:1.3em}.metric b{display:block;font-size:.7em;color:#666}
code{background:#f4f4f4;padding:1px 4px}"""


def _e(x) -> str:
    return html.escape(str(x))


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _num(v) -> str:
    return "–" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def _hp(values: dict) -> str:
    """A trial's hyperparameters without keras-tuner's own bookkeeping entries."""
    return ", ".join(f"{k}={_num(v)}" for k, v in values.items() if not k.startswith("tuner/"))


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _curves(history: dict, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = [(k, f"val_{k}") for k in ("loss", "accuracy") if history.get(k)]
    if not pairs:
        return ""
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3))
    for ax, (k, vk) in zip(axes if len(pairs) > 1 else [axes], pairs):
        ax.plot(range(1, len(history[k]) + 1), history[k], label=f"train {k}")
        if history.get(vk):
            ax.plot(range(1, len(history[vk]) + 1), history[vk], label=f"val {k}")
        ax.set_xlabel("epoch"), ax.set_title(f"{title}: {k}"), ax.legend()
    return _png(fig)


def _confusion(matrix: list[list[int]], names: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(matrix)
    fig, ax = plt.subplots(figsize=(0.45 * n + 2.5, 0.45 * n + 2))
    ax.imshow(matrix, cmap="Blues")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, matrix[i][j], ha="center", va="center", fontsize=8)
    ax.set_xticks(range(n), names, rotation=45), ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted"), ax.set_ylabel("true"), ax.set_title("confusion matrix (test)")
    return _png(fig)


def render(run) -> str:
    """The report page for a run folder (a `RunFolder`)."""
    diag = run.read_json("diagnosis.json") or {}
    tuned = run.read_json("trials.json") or {}
    metrics = run.read_json("metrics.json") or {}
    history = run.read_json("history.json") or {}
    plan = run.read_json("plan.json") or {}
    info = diag.get("dataset") or {}
    parts = [f"<h1>advisor run: {_e(info.get('name', run.path.name))}</h1>",
             f"<p>{_e(info.get('modality', ''))} data, {_e(info.get('task', ''))}, input shape "
             f"{_e(info.get('input_shape', ''))}, splits {_e(info.get('counts', ''))}</p>"]

    if "accuracy" in metrics:
        shown = [("test accuracy", metrics["accuracy"]), ("macro-F1", metrics["macro_f1"])]
    else:
        shown = [("test MAE", metrics.get("mae", float("nan"))), ("test RMSE", metrics.get("rmse", float("nan")))]
    parts.append("<p>" + "".join(f'<span class="metric"><b>{_e(k)}</b>{v:.4f}</span>' for k, v in shown)
                 + f'<span class="metric"><b>epochs</b>{_e(metrics.get("epochs_run", ""))}</span>'
                 + f'<span class="metric"><b>wall time</b>{_e(metrics.get("wall_time_s", ""))}s</span></p>')

    findings = diag.get("findings", [])
    parts.append("<h2>Findings</h2>" + _table(["severity", "finding", "source", "evidence"], [
        [f'<span class="{_e(f["severity"])}">{_e(f["severity"])}</span>', _e(f["name"]), _e(f["source"]),
         _e(f["evidence"])] for f in findings]))

    decision = diag.get("plan") or {}
    rows = [[f"<code>{_e(c.get('recipe'))}</code>", _e(c.get("config")), _e(", ".join(c.get("rules", []))),
             _e(" | ".join(dict.fromkeys(c.get("why", []))))]
            for c in decision.get("chosen", [])]
    parts.append("<h2>The plan, and why</h2>" + _table(["recipe", "config", "rules", "why"], rows))
    if decision.get("dropped"):
        parts.append("<p>Dropped recommendations:</p>" + _table(["recipe", "reason"], [
            [f"<code>{_e(d.get('recipe'))}</code>", _e(d.get("reason"))] for d in decision["dropped"]]))
    if decision.get("advice"):
        parts.append("<p>Advice:</p><ul>" + "".join(f"<li>{_e(a['text'])} <small>({_e('; '.join(a.get('why', [])))})</small></li>"
                                                   for a in decision["advice"]) + "</ul>")

    space = tuned.get("space") or {}
    if space.get("choices"):
        parts.append("<h2>What the search chose between</h2>" + _table(
            ["problem", "alternatives", "rule book's choice", "search's choice"],
            [[_e(p), _e(", ".join(options)), _e(space.get("rule_book_choice", {}).get(p, "")),
              _e(tuned.get("best_hyperparameters", {}).get(f"repair/{p}", ""))]
             for p, options in space["choices"].items()]))
    search = metrics.get("search") or {}
    if search:
        chance = search.get("chance") or {}
        bar = (f"; a setup trains once {_e(search.get('objective'))} beats {_num(chance.get('value'))} by "
               f"{_num(chance.get('margin'))}" if chance.get("value") is not None else "")
        parts.append(f"<h2>How the search ended</h2><p>It stopped because: <b>{_e(search.get('stopped_because'))}"
                     f"</b> after {_e(search.get('trials'))} trials ({_e(search.get('failed_trials', 0))} diverged "
                     f"or cut before an epoch){bar}. "
                     + ("A setup trains." if search.get("trains") else
                        "<b>No trial trains</b>: every second went to the search, no extra and no final fit "
                        "were paid.") + "</p>")
    ablation = tuned.get("ablation", [])
    parts.append("<h2>Evidence for each recipe kept (ablation)</h2>" + (_table(
        ["recipe", "objective with", "objective without", "effect", "verdict"],
        [[f"<code>{_e(a['recipe'])}</code>", _num(a["objective_with"]), _num(a["objective_without"]),
          _e(a.get("effect") or ""),
          f'<span class="{"kept" if a["kept"] else "dropped"}">{"kept" if a["kept"] else "dropped"}</span>'
          + (f" <small>({_e(a['note'])})</small>" if a.get("note") else "")]
         for a in ablation]) if ablation else "<p>No ablation: it runs only from time the search no longer "
                                              "needs, for a plan that trains.</p>"))
    final = metrics.get("final_fit") or {}
    if final.get("skipped"):
        parts.append(f"<p><b>No final fit</b>: {_e(final['skipped'])}.</p>")
    if final.get("cut_at_deadline"):
        parts.append(f"<p><b>The final fit was cut short by the budget</b> after {_e(final.get('epochs_run'))} of "
                     f"{_e(final.get('epochs_planned'))} epochs.</p>")
    kept = metrics.get("kept") or {}
    if kept:
        parts.append(f"<h2>The model kept, and why</h2><p><b>{_e(kept['kept'])}</b>: {_e(kept['why'])}.</p>"
                     + _table(["candidate", f"validation {_e(kept.get('objective', ''))}", "note"],
                              [[_e(c["name"]), _num(c["validation"]), _e(c.get("note", ""))]
                               for c in kept.get("candidates", [])]))
    if metrics.get("time"):
        parts.append("<h2>Where the time went</h2>" + _table(
            ["stage", "seconds"], [[_e(r["stage"]), f"{r['seconds']:.1f}"] for r in metrics["time"]]))

    recoveries = run.read_json("recoveries.json") or []
    if recoveries:
        parts.append("<h2>NaN recoveries during the final fit</h2>" + _table(
            ["NaN in epoch", "rolled back to epoch", "action"],
            [[_e(r["nan_epoch"]), _e(r["rolled_back_to_epoch"]), _e(r["action"])] for r in recoveries]))

    trials = tuned.get("trials", [])
    parts.append(f"<h2>Search ({_e(tuned.get('tuner', 'none'))}, objective {_e(tuned.get('objective', '-'))})</h2>"
                 + f"<p>Best hyperparameters: <code>{_e(_hp(tuned.get('best_hyperparameters', {})))}</code></p>"
                 + (_table(["trial", "status", "score", "hyperparameters"],
                           [[_e(t["trial_id"]), _e(t["status"]), _e(_num(t["score"])), _e(_hp(t["hyperparameters"]))]
                            for t in trials[:20]]) if trials else ""))

    parts.append("<h2>Final plan</h2><pre>" + _e("\n".join(
        f"{r['name']}: {r['config']}" for r in plan.get("recipes", []))) + "</pre>")

    before = (diag.get("trace") or {}).get("history", {})
    figs = [_curves(before, "probe (before)"), _curves(history, "final fit (after)")]
    if metrics.get("confusion_matrix"):
        figs.append(_confusion(metrics["confusion_matrix"], metrics.get("class_names", [])))
    parts.append("<h2>Learning curves and confusion matrix</h2><div class='figs'>" + "".join(figs) + "</div>")
    if metrics.get("per_class"):
        parts.append("<h2>Per-class test metrics</h2>" + _table(["class", "precision", "recall", "F1", "support"], [
            [_e(k), f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", _e(v["support"])]
            for k, v in metrics["per_class"].items()]))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>advisor run</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")


def write_report(run) -> None:
    run.write_text("report.html", render(run))


def _grad_norms(epochs: list, norms: list[dict]) -> str:
    """Per-layer gradient norm on the fixed sample at each measurement (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = list(dict.fromkeys(name for snapshot in norms for name in snapshot))
    if not layers or len(epochs) != len(norms):
        return ""
    fig, ax = plt.subplots(figsize=(4.6, 3))
    for name in layers:
        values = [s.get(name) if isinstance(s.get(name), (int, float)) and s.get(name) > 0 else None for s in norms]
        ax.plot(epochs, [float("nan") if v is None else v for v in values], marker="o", label=name)
    ax.set_yscale("log"), ax.set_xlabel("epoch (0 = initialization)"), ax.set_title("gradient norm per layer")
    if len(layers) <= 10:
        ax.legend(fontsize=7)
    return _png(fig)


def render_watch(page: dict) -> str:
    """The report page of an `advisor.Watch` run (the user's own fit): the findings as
    they were confirmed, with the recipes the rule book would apply, the plan and why,
    the checks the fit gave no data for, the learning curves and the gradient norms.

    `page` is what `Watch.write` assembles: model, epochs, history, findings (finding
    dicts with "epoch" and "try"), plan (`Decision.to_dict()`), skipped, stopped,
    grad_norms ({"epochs", "norms"}), monitor_s. (`render(run)` is the `advisor train` page.)
    """
    parts = [f"<h1>advisor Watch: {_e(page.get('model', ''))}</h1>",
             f"<p><span class='metric'><b>epochs</b>{_e(page.get('epochs', ''))}</span>"
             f"<span class='metric'><b>Watch's own time</b>{page.get('monitor_s', 0.0):.2f}s</span></p>"]
    if page.get("stopped"):
        parts.append(f"<p><b>Watch stopped the fit</b>: {_e(page['stopped'])}</p>")
    findings = page.get("findings", [])
    parts.append("<h2>Findings</h2>" + (_table(["epoch", "severity", "finding", "evidence", "try"], [
        [_e(f.get("epoch", "")), f'<span class="{_e(f["severity"])}">{_e(f["severity"])}</span>',
         _e(f["name"] + (f" [{f['layer']}]" if f.get("layer") else "")), _e(f["evidence"]), _e(f.get("try", ""))]
        for f in findings]) if findings else "<p>No training problem found.</p>"))
    if page.get("skipped"):
        parts.append("<p>Not checked in this fit:</p><ul>" + "".join(f"<li>{_e(s)}</li>" for s in page["skipped"])
                     + "</ul>")
    decision = page.get("plan") or {}
    rows = [[f"<code>{_e(c.get('recipe'))}</code>", _e(c.get("config")), _e(", ".join(c.get("rules", []))),
             _e(" | ".join(dict.fromkeys(c.get("why", []))))] for c in decision.get("chosen", [])]
    parts.append("<h2>The rule book's plan, and why</h2>" + _table(["recipe", "config", "rules", "why"], rows)
                 + "<p>Train with it: <code>advisor train DATA --model MODEL --plan plan.json</code></p>")
    if decision.get("advice"):
        parts.append("<p>Advice:</p><ul>" + "".join(
            f"<li>{_e(a['text'])} <small>({_e('; '.join(a.get('why', [])))})</small></li>"
            for a in decision["advice"]) + "</ul>")
    grads = page.get("grad_norms") or {}
    figs = [_curves(page.get("history") or {}, "fit"), _grad_norms(grads.get("epochs", []), grads.get("norms", []))]
    parts.append("<h2>Learning curves and gradient norms</h2><div class='figs'>" + "".join(figs) + "</div>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>advisor Watch</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
