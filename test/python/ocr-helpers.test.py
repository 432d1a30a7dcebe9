import os
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
from tern import ocr  # noqa: E402

# Greedy CTC: repeats merge, blanks (0) separate and vanish.
charset = ["<blank>", "a", "b", " "]
steps = [1, 1, 0, 1, 2, 2, 0, 0, 3, 2]
probs = np.eye(4)[steps]
assert ocr.ctc_greedy_decode(probs, charset) == "aab b", ocr.ctc_greedy_decode(probs, charset)
assert ocr.ctc_greedy_decode(probs[None], charset) == "aab b"

# CER: edit distance over reference length.
assert ocr.cer("kitten", "kitten") == 0
assert abs(ocr.cer("sitting", "kitten") - 3 / 6) < 1e-12
assert ocr.cer("", "abc") == 1
assert ocr.edit_distance("sitting", "kitten") == 3

# Text lines: whole words up to the limit, long words cut, skip and count.
lines = ["", "one two three", "four fivesixseven eight"]
assert ocr.text_lines(lines, 9, 10, 1) == ["one two", "three", "four", "fivesixse", "eight"]
assert ocr.text_lines(lines, 9, 2, 1) == ["one two", "three"]

# Preprocessing: height 48, [-1, 1], zero padding on the right.
x = ocr.recognizer_input(np.full((20, 40), 255, np.uint8), 48, 320)
assert x.shape == (1, 3, 48, 320)
assert np.allclose(x[..., :96], 1) and np.allclose(x[..., 96:], 0)

font = "/usr/share/consolefonts/Lat15-Terminus20x10.psf.gz"
if os.path.exists(font):
    f = ocr.PSFFont(font)
    assert (f.width, f.height) == (10, 20)
    img = f.render("Hi")
    assert img.shape == (20, 20) and img.min() == 0 and img.max() == 255
    assert (f.render(" ") == 255).all()

austen = "/usr/lib/R/site-library/janeaustenr/data/Rdata"
if os.path.exists(austen + ".rdb"):
    from tern.rdata import LazyLoadDB
    db = LazyLoadDB(austen)
    assert "prideprejudice" in db.names()
    lines = db["prideprejudice"]
    assert lines[0] == "PRIDE AND PREJUDICE"
    assert any(l.startswith("It is a truth universally acknowledged") for l in lines[:20])
print("ok")

# tern.corpora: word wrap at a column, and a page's lines spread over a text
# (deterministic, each paragraph at its own width, filtered by `keep`).
from tern import corpora  # noqa: E402

assert corpora.wrap("one two three four", 9) == ["one two", "three", "four"]
assert corpora.wrap("incomprehensibilities x", 5) == ["incomprehensibilities", "x"]
try:
    corpora.paragraphs("moby")
    raise AssertionError("an unknown text was read")
except ValueError as error:
    assert "unknown text 'moby'" in str(error), error
try:
    corpora.paragraphs("sotu:Not-a-name")
    raise AssertionError("a bad president name was read")
except ValueError as error:
    assert "expected sotu:PRESIDENT" in str(error), error
if os.path.exists("/usr/lib/R/site-library/janeaustenr/data/Rdata.rdb"):
    page = corpora.page_lines("persuasion", 50, columns=(30, 40))
    assert page == corpora.page_lines("persuasion", 50, columns=(30, 40))
    assert len(page) == 50 and all(len(l) <= 40 or " " not in l for l in page)
    # Spread over the whole novel, not its first pages.
    every = corpora.page_lines("persuasion", 10 ** 9, columns=(30, 40))
    assert corpora.page_lines("persuasion", 2, columns=(30, 40)) == [
        every[0], every[-1]]
    assert corpora.page_lines("persuasion", 20, keep=lambda l: "," not in l)
    assert all("," not in l for l in corpora.page_lines(
        "persuasion", 20, keep=lambda l: "," not in l))
    assert corpora.describe("persuasion") == "Jane Austen, Persuasion"
