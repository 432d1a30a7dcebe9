"""Readable renderings of tern's JSON: tern-ternarize's per-layer report
(`report=FILE`) and the results of the evaluation harnesses
(tern.evaluate), as aligned text or Markdown tables, and a plot of quality
against bits per weight (matplotlib, PNG)."""

import json

from tern.api import bits_per_weight, ternary_layers


def load(path):
    with open(path) as f:
        try:
            return json.load(f)
        except ValueError as error:
            raise ValueError(f"{path}: not JSON ({error})") from None


def kind(data):
    """'ptq' for a tern-ternarize report, 'results' for an evaluation."""
    if isinstance(data, dict) and "layers" in data:
        return "ptq"
    if isinstance(data, dict) and "results" in data:
        return "results"
    raise ValueError("neither a tern-ternarize report (no 'layers') nor "
                     "evaluation results (no 'results')")


def table(header, rows, markdown, align=None):
    """Rows of strings as an aligned text table or a Markdown table;
    `align` has '<' or '>' per column (numbers right-aligned)."""
    align = align or ["<"] + [">"] * (len(header) - 1)
    if markdown:
        marks = ["---" if a == "<" else "---:" for a in align]
        lines = ["| " + " | ".join(header) + " |",
                 "| " + " | ".join(marks) + " |"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(str(r[i])) for r in [header] + rows)
              for i in range(len(header))]
    fmt = "  ".join(f"{{:{a}{w}}}" for a, w in zip(align, widths))
    lines = [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(l.rstrip() for l in lines) + "\n"


def _number(value, digits):
    return "-" if value is None else f"{value:.{digits}f}"


def ptq_table(report, markdown=False):
    """tern-ternarize's report: one row per layer, then the totals."""
    header = ["layer", "N", "K", "method", "planes", "group", "bits/w",
              "rel. error", "out. cosine", "zeros"]
    rows = []
    for layer in report["layers"]:
        rows.append([layer["name"], str(layer["rows"]), str(layer["cols"]),
                     layer["method"],
                     layer.get("format", "") if layer["method"] == "kept"
                     else str(layer["planes"]),
                     str(layer["group_size"]),
                     _number(layer["bits_per_weight"], 3),
                     _number(layer["relative_error"], 4),
                     _number(layer.get("output_cosine"), 5),
                     _number(layer.get("zero_fraction"), 3)])
    text = table(header, rows, markdown,
                 ["<", ">", ">", "<", ">", ">", ">", ">", ">", ">"])
    weights = sum(l["rows"] * l["cols"] for l in report["layers"])
    bits = bits_per_weight(report)
    floats = report.get("float_layers", [])
    kept = len(report["layers"]) - len(ternary_layers(report))
    text += (f"\n{len(ternary_layers(report))} layers ternarized"
             + (f", {kept} kept" if kept else "") + f", {weights} "
             f"weights at {bits:.3f} bits each: "
             f"{report['float_bytes']:.0f} -> {report['ternary_bytes']:.0f} "
             f"bytes; model constants {report['model_bytes_before']:.0f} -> "
             f"{report['model_bytes_after']:.0f} bytes")
    if floats:
        text += f"; left float: {', '.join(floats)}"
    return text + "\n"


def _scores(entry):
    """{text: {backend: value}} of a result (results of one text, written
    before texts were recorded, have the values at the top level)."""
    if "texts" in entry:
        return entry["texts"]
    return {"": {b: entry[b] for b in ("tern", "ort") if b in entry}}


def _versus(value, base, percent):
    """A score against the float model's: for a rate (CER) the difference
    in points and the ratio, for anything else the relative change."""
    if value is None or base is None:
        return "-"
    if percent:
        ratio = f" ({value / base:.1f}x)" if base else ""
        return f"{100 * (value - base):+.2f} pts{ratio}"
    return f"{100 * (value / base - 1):+.1f}%" if base else "-"


def results_table(data, markdown=False):
    """Evaluation results: one row per configuration, the quality on every
    text and backend and its change against the float configuration, after
    a line per text scored and one for the calibration set."""
    results = data["results"]
    metric = data.get("metric", "quality")
    texts = [t["name"] for t in data.get("texts", [])] or [""]
    backends = [b for b in ("tern", "ort")
                if any(b in by for r in results if "error" not in r
                       for by in _scores(r).values())]
    reference = next((r for r in results if r["name"] == "float"), None)
    header = ["configuration", "layers", "bits/w"]
    for text in texts:
        where = f" {text}" if len(texts) > 1 else ""
        for b in backends:
            header.append(f"{metric}{where} ({b})")
        if reference:
            header.append(f"vs float{where}")
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["name"], "-", "-"] + ["failed"] * (
                len(texts) * (len(backends) + (1 if reference else 0))))
            continue
        row = [r["name"], str(r["layers"]), _number(r["bits_per_weight"], 2)]
        scores = _scores(r)
        for text in texts:
            by = scores.get(text) or next(iter(scores.values()), {})
            for b in backends:
                value = by.get(b)
                if value is not None and data.get("percent"):
                    row.append(f"{100 * value:.2f}%")
                else:
                    row.append(_number(value, 3))
            if reference:
                base = _scores(reference)
                base = (base.get(text) or next(iter(base.values()), {})).get(
                    backends[0]) if backends else None
                value = by.get(backends[0]) if backends else None
                row.append(_versus(value, base, data.get("percent")))
        rows.append(row)
    lines = []
    for t in data.get("texts", []):
        lines.append(f"scored on {t['name']}: {t['description']}, "
                     f"{t['size']}")
    if "calibration" in data:
        lines.append(f"calibration: {data['calibration']['description']}")
    prefix = "".join(("- " if markdown else "") + l + "\n" for l in lines)
    if prefix and markdown:
        prefix += "\n"
    return prefix + table(header, rows, markdown)


def _spread_labels(figure, labels):
    """Moves point labels up, lowest point first, until no two overlap;
    a label moved away from its point gets a thin line back to it."""
    renderer = figure.canvas.get_renderer()
    points_per_pixel = 72.0 / figure.dpi
    placed = []
    for label in sorted(labels, key=lambda a: a.xy[1]):
        box = label.get_window_extent(renderer)
        shift = 0.0
        moved = True
        while moved:
            moved = False
            for other in placed:
                if (box.x0 < other.x1 and other.x0 < box.x1 and
                        box.y0 < other.y1 and other.y0 < box.y1):
                    step = other.y1 - box.y0 + 1
                    box = box.translated(0, step)
                    shift += step
                    moved = True
        placed.append(box)
        if shift:
            x, y = label.xyann
            axes = label.axes
            label.remove()
            axes.annotate(label.get_text(), label.xy,
                          textcoords="offset points",
                          xytext=(x, y + shift * points_per_pixel),
                          fontsize=label.get_fontsize(),
                          arrowprops=dict(arrowstyle="-", color="0.6",
                                          linewidth=0.5, shrinkA=0,
                                          shrinkB=2))


def plot(data, path, title=None):
    """Quality against bits per weight, one point per configuration (the
    float model as a horizontal line), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    results = data["results"]
    backend = next(b for b in ("tern", "ort") if any(b in r for r in results))
    metric = data.get("metric", "quality")
    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=120)
    labels = []
    for r in results:
        value = r.get(backend)
        if value is None or "error" in r:
            continue
        if data.get("percent"):
            value *= 100
        if r["name"] == "float":
            axes.axhline(value, color="gray", linestyle="--", linewidth=1,
                         label=f"float ({value:.4g})")
            continue
        axes.scatter(r["bits_per_weight"], value, s=18)
        labels.append(axes.annotate(
            r["name"], (r["bits_per_weight"], value),
            textcoords="offset points", xytext=(4, 3), fontsize=7))
    axes.set_xlabel("bits per weight (ternarized layers)")
    axes.set_ylabel(metric + (" (%)" if data.get("percent") else "") +
                    f", {backend}")
    if data.get("log_scale"):
        axes.set_yscale("log")
    axes.set_title(title or data.get("title", ""))
    axes.grid(True, linewidth=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    _spread_labels(figure, labels)
    # Labels moved above the axes stay in the picture.
    figure.savefig(path, bbox_inches="tight")
    pyplot.close(figure)
    return path
