"""Unit tests of tern.lm's helpers; argv[1] is python/."""

import math
import sys
import unittest

import numpy as np

sys.path.insert(0, sys.argv[1])
from tern import lm  # noqa: E402


class Helpers(unittest.TestCase):
    def test_uniform_logits(self):
        tokens = np.array([[3, 1, 4, 1, 5]])
        ppl, nll, count = lm.perplexity(np.zeros((1, 5, 10)), tokens)
        self.assertEqual(count, 4)
        self.assertAlmostEqual(ppl, 10.0, places=9)
        self.assertAlmostEqual(nll, 4 * math.log(10), places=9)

    def test_known_logits(self):
        # Position 0 predicts token 1 with logits (0, log 3): p = 3/4;
        # position 1 predicts token 0 with the same logits: p = 1/4.
        logits = np.array([[[0.0, math.log(3)], [0.0, math.log(3)],
                            [5.0, -5.0]]])
        ppl, _, count = lm.perplexity(logits, np.array([[0, 1, 0]]))
        self.assertEqual(count, 2)
        self.assertAlmostEqual(ppl, math.exp(-(math.log(0.75) +
                                               math.log(0.25)) / 2), 9)
        # Large logits do not overflow (log-sum-exp).
        ppl, _, _ = lm.perplexity(logits * 1e3, np.array([[0, 1, 0]]))
        self.assertTrue(math.isfinite(ppl))

    def test_windows(self):
        stream = np.arange(100)
        w = lm.windows(stream, 8)
        self.assertEqual(w.shape, (12, 8))
        self.assertEqual(w[1, 0], 8)
        spread = lm.windows(stream, 8, 3)
        self.assertEqual(spread[:, 0].tolist(), [0, 48, 88])

    def test_paragraphs(self):
        novel = lm.paragraphs(lm.HELD_OUT_NOVEL)
        self.assertEqual(novel[0], "Persuasion")
        self.assertTrue(novel[5].startswith("Sir Walter Elliot, of Kellynch "
                                            "Hall, in Somersetshire, was a "
                                            "man who, for his own "
                                            "amusement,"))
        self.assertNotIn(lm.HELD_OUT_NOVEL, lm.TRAIN_NOVELS)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
