"""The learned baseline of the corpus README ("Agreement"): can morphology alone, learned
rather than written, tell FN113's and FN114's names?

Multinomial logistic regression (L2, scipy's L-BFGS) on pymorphy3 tags, lemma suffixes,
lemmas and part-of-speech bigrams, scored by 5-fold cross-validation on the tuning split
with every source in one fold: each fold is scored on accounts the model never saw, the
way a consultant's new client would be. The held-back split is never read. Run from the
project root: `python tests/data/stage_names/learned_baseline.py` (about a minute).
"""

from __future__ import annotations

import collections
import csv
import hashlib
import random
import re
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from funnelc.lint import naming

CORPUS = Path(__file__).with_name("corpus.csv")
CLASSES = ["task", "entity_state", "process", "conversion", "neutral"]
GRAMMEMES = {"nomn", "gent", "datv", "accs", "ablt", "loct", "past", "pres", "futr", "perf",
             "impf", "actv", "pssv", "plur", "sing", "anim", "inan", "Geox", "Name", "Surn",
             "Orgn", "Abbr", "indc", "impr", "1per", "2per", "3per", "Impe"}


def held_back(name: str) -> bool:
    return int(hashlib.sha1(name.lower().encode()).hexdigest(), 16) % 10 < 3


def features(name: str) -> collections.Counter[str]:
    f: collections.Counter[str] = collections.Counter()
    lang = naming.detect_language(name)
    f["lang=" + lang] = 1
    low = name.lower()
    tokens = (naming._CYR_WORD.findall(naming._PARENTHESIS.sub(" ", low))
              or naming._CYR_WORD.findall(low))
    if (lang == "ru" or lang == "uk") and tokens:
        words = [naming._analyse(lang, t) for t in tokens]
        f[f"ntok={min(len(words), 4)}"] = 1
        prev = "BOS"
        for i, w in enumerate(words):
            pos = w.pos or "UNK"
            tags = sorted(g for g in w.grammemes if g in GRAMMEMES)
            f["pos=" + pos] = 1
            f.update(f"g={pos}:{g}" for g in tags)
            if i == 0:
                f["first=" + pos] = 1
                f.update(f"first={pos}:{g}" for g in tags)
            f[f"bi={prev}>{pos}"] = 1
            prev = pos
            for key in (f"lem={w.lemma}", f"suf3={w.lemma[-3:]}", f"suf4={w.lemma[-4:]}",
                        f"pre4={w.lemma[:4]}"):
                f[key] = 1
            if w.text == "не":
                f["neg"] = 1
            if i > 0 and words[i - 1].pos == "PREP":
                cases = ",".join(g for g in tags if g in ("loct", "gent", "accs", "ablt", "datv"))
                f[f"pp={words[i - 1].text}+{cases}"] = 1
        f[f"last={prev}"] = 1
    elif lang == "en":
        f.update("en=" + t for t in naming._LAT_WORD.findall(low))
    if lang != "en" and re.search("[a-z]", low):
        f["latin"] = 1
    return f


def matrix(rows: list[dict[str, str]], vocab: dict[str, int] | None = None
           ) -> tuple[np.ndarray, dict[str, int]]:
    found = [features(r["name"]) for r in rows]
    if vocab is None:  # features seen at least twice in the training folds
        counts = collections.Counter(k for f in found for k in f)
        vocab = {k: i for i, k in enumerate(k for k, c in counts.items() if c >= 2)}
    x = np.zeros((len(rows), len(vocab) + 1))
    x[:, -1] = 1.0
    for i, f in enumerate(found):
        for k, v in f.items():
            if k in vocab:
                x[i, vocab[k]] = v
    return x, vocab


def fit(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    d, k = x.shape[1], len(CLASSES)
    onehot = np.eye(k)[y]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        weights = w.reshape(d, k)
        z = x @ weights
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        grad = x.T @ (p - onehot)
        grad[:-1] += 2 * lam * weights[:-1]
        value = -(onehot * np.log(p + 1e-12)).sum() + lam * (weights[:-1] ** 2).sum()
        return float(value), grad.ravel()

    return np.asarray(minimize(loss, np.zeros(d * k), jac=True, method="L-BFGS-B",
                               options={"maxiter": 500}).x).reshape(d, k)


def main() -> None:
    with CORPUS.open(encoding="utf-8", newline="") as fh:
        tuning = [r for r in csv.DictReader(fh) if not held_back(r["name"])]
    sources = sorted({r["source"] for r in tuning})
    random.Random(1).shuffle(sources)
    fold = {s: i % 5 for i, s in enumerate(sources)}
    for lam in (0.3, 1.0, 3.0):
        predicted = [""] * len(tuning)
        for k in range(5):
            train = [i for i, r in enumerate(tuning) if fold[r["source"]] != k]
            test = [i for i, r in enumerate(tuning) if fold[r["source"]] == k]
            x, vocab = matrix([tuning[i] for i in train])
            w = fit(x, np.array([CLASSES.index(tuning[i]["label"]) for i in train]), lam)
            xt, _ = matrix([tuning[i] for i in test], vocab)
            for i, p in zip(test, (xt @ w).argmax(axis=1), strict=True):
                predicted[i] = CLASSES[int(p)]
        line = [f"L2 {lam}:"]
        for klass, code in (("task", "FN113"), ("entity_state", "FN114")):
            pairs = list(zip(predicted, (r["label"] for r in tuning), strict=True))
            tp = sum(p == g == klass for p, g in pairs)
            flagged = sum(p == klass for p, _ in pairs)
            actual = sum(g == klass for _, g in pairs)
            line.append(f"{code} {tp / flagged:.2f} / {tp / actual:.2f}")
        print("  ".join(line))


if __name__ == "__main__":
    main()
