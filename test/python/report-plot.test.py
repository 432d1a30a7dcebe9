import os
import sys

sys.path.insert(0, sys.argv[1])
from tern import report  # noqa: E402

import matplotlib  # noqa: E402
from matplotlib import pyplot  # noqa: E402

# Nine configurations at nearly the same point, two elsewhere, the float
# model as a line.
results = [{"name": "float", "tern": 49.5}]
results += [{"name": f"config-{i}", "tern": 64.0 + 0.01 * i,
             "bits_per_weight": 2.06 + 0.001 * i} for i in range(9)]
results += [{"name": "far", "tern": 90.0, "bits_per_weight": 1.25},
            {"name": "failed", "error": "boom", "bits_per_weight": 3.0}]
data = {"results": results, "metric": "perplexity", "title": "t"}

captured = {}
original = pyplot.close


def keep(figure):
    captured["figure"] = figure
    original(figure)


pyplot.close = keep
path = report.plot(data, sys.argv[2])
assert os.path.getsize(path) > 0, path

figure = captured["figure"]
axes = figure.axes[0]
labels = [t for t in axes.texts]
names = sorted(t.get_text() for t in labels)
assert names == sorted([f"config-{i}" for i in range(9)] + ["far"]), names
renderer = figure.canvas.get_renderer()
# The text itself, not the line back to the point.
boxes = [matplotlib.text.Text.get_window_extent(t, renderer) for t in labels]
for i in range(len(boxes)):
    for j in range(i + 1, len(boxes)):
        a, b = boxes[i], boxes[j]
        overlap = (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)
        assert not overlap, (labels[i].get_text(), labels[j].get_text(), a, b)
# Moved labels point back at their configuration.
assert sum(t.arrow_patch is not None for t in labels) >= 8
print("ok")

# Tables of several texts: a column per text and backend, the texts and
# the calibration named first; a rate is compared with float in points and
# as a ratio, anything else as a relative change.
two = {"metric": "CER", "percent": True,
       "texts": [{"name": "a", "description": "A", "size": "3 lines"},
                 {"name": "b", "description": "B", "size": "4 lines"}],
       "calibration": {"description": "2 lines of C", "size": 2},
       "results": [
           {"name": "float", "layers": 0, "bits_per_weight": 32.0,
            "texts": {"a": {"tern": 0.0}, "b": {"tern": 0.01}}},
           {"name": "q", "layers": 9, "bits_per_weight": 2.13,
            "texts": {"a": {"tern": 0.02}, "b": {"tern": 0.03}}}]}
text = report.results_table(two)
lines = text.splitlines()
assert lines[:3] == ["scored on a: A, 3 lines", "scored on b: B, 4 lines",
                     "calibration: 2 lines of C"], lines[:3]
assert [c.strip() for c in lines[3].split("  ") if c] == ["configuration", "layers", "bits/w",
                                "CER a (tern)", "vs float a",
                                "CER b (tern)", "vs float b"], lines[3]
assert lines[-1].split() == ["q", "9", "2.13", "2.00%", "+2.00", "pts",
                             "3.00%", "+2.00", "pts", "(3.0x)"], lines[-1]
ppl = {"metric": "perplexity", "results": [
    {"name": "float", "layers": 0, "bits_per_weight": 32.0, "tern": 50.0},
    {"name": "q", "layers": 28, "bits_per_weight": 2.07, "tern": 55.0}]}
assert report.results_table(ppl).splitlines()[-1].split()[-1] == "+10.0%"
