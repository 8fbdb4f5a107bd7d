"""The linear baseline: word n-gram TF-IDF + in-word character n-grams, one logistic
regression per label (one-vs-rest), saved with skops.

Character n-grams usually earn their place (inflections, compounds, names of equipment)
but a stock ``TfidfVectorizer(analyzer="char_wb")`` generates hundreds of n-grams per
sentence in Python and caps prediction at a few thousand sentences per second. Here the
character part is built per *word* instead: each word's in-word n-grams (``" word "``
padded, as ``char_wb`` does) form a TF-IDF vector normalised to unit length, and a
sentence's character features are the mean of its words' vectors. Because that is linear
in the words, a trained model folds each word's character vector into one score per label
(``word -> scores``), cached; predicting then costs a dictionary lookup per word instead of
one per n-gram. The word n-gram part is ordinary sublinear TF-IDF with l2 norm.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from eventclf.config import LinearModelConfig
from eventclf.errors import ModelError

__all__ = ["LinearBackend", "NgramFeatures"]

_WORD = re.compile(r"\w+")
_CACHE_LIMIT = 500_000


def _char_grams(word: str, lo: int, hi: int) -> list[str]:
    padded = f" {word} "
    n_chars = len(padded)
    return [padded[i : i + n] for n in range(lo, hi + 1) for i in range(n_chars - n + 1)]


class NgramFeatures:
    """Turns sentences into the two feature blocks (word n-grams, per-word char n-grams)."""

    def __init__(self, params: LinearModelConfig) -> None:
        self.params = params

    # --- learning the vocabularies -----------------------------------------------------------

    def fit(self, texts: Sequence[str]) -> NgramFeatures:
        p = self.params
        docs = [self._tokens(t) for t in texts]
        n = len(docs)
        word_df: Counter[str] = Counter()
        for toks in docs:
            word_df.update(set(self._word_grams(toks)))
        self.word_vocab_ = self._select(word_df, p.min_df, p.max_features)
        self.word_idf_ = self._idf([word_df[w] for w in self.word_vocab_], n)
        self.word_index_ = {w: i for i, w in enumerate(self.word_vocab_)}
        if p.char_ngrams is not None:
            lo, hi = p.char_ngrams
            char_df: Counter[str] = Counter()
            grams_of: dict[str, list[str]] = {}
            for toks in docs:
                seen: set[str] = set()
                for tok in set(toks):
                    if tok not in grams_of:
                        grams_of[tok] = _char_grams(tok, lo, hi)
                    seen.update(grams_of[tok])
                char_df.update(seen)
            self.char_vocab_ = self._select(char_df, p.min_df, p.max_features)
            self.char_idf_ = self._idf([char_df[g] for g in self.char_vocab_], n)
            self.char_index_ = {g: i for i, g in enumerate(self.char_vocab_)}
        return self

    @staticmethod
    def _select(df: Counter[str], min_df: int, max_features: int | None) -> list[str]:
        kept = [(c, g) for g, c in df.items() if c >= min_df]
        kept.sort(key=lambda cg: (-cg[0], cg[1]))
        if max_features is not None:
            kept = kept[:max_features]
        return sorted(g for _, g in kept)

    @staticmethod
    def _idf(dfs: list[int], n: int) -> np.ndarray:
        df = np.asarray(dfs, dtype=np.float64)
        return np.log((1.0 + n) / (1.0 + df)) + 1.0

    # --- turning text into features ---------------------------------------------------------

    def _tokens(self, text: str) -> list[str]:
        return _WORD.findall(text.lower() if self.params.lowercase else text)

    def _word_grams(self, toks: list[str]) -> Iterable[str]:
        lo, hi = self.params.word_ngrams
        if lo <= 1 <= hi:
            yield from toks
        for n in range(max(lo, 2), hi + 1):
            for i in range(len(toks) - n + 1):
                yield " ".join(toks[i : i + n])

    def word_matrix(self, token_lists: Sequence[list[str]]) -> sp.csr_matrix:
        """Sublinear TF-IDF of word n-grams, rows l2-normalised."""
        index = self.word_index_
        indices: list[int] = []
        indptr = [0]
        for toks in token_lists:
            indices.extend(i for g in self._word_grams(toks) if (i := index.get(g)) is not None)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        x = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(token_lists), len(self.word_vocab_)),
        )
        x.sum_duplicates()
        if self.params.sublinear_tf:
            np.log(x.data, out=x.data)
            x.data += 1.0
        x.data *= self.word_idf_[x.indices]
        return _l2_rows(x)

    def word_char_vector(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        """A word's unit-length char n-gram TF-IDF vector as (indices, values)."""
        lo, hi = self.params.char_ngrams or (0, -1)
        counts = Counter(
            i for g in _char_grams(word, lo, hi) if (i := self.char_index_.get(g)) is not None
        )
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        val = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.params.sublinear_tf:
            val = 1.0 + np.log(val)
        val *= self.char_idf_[idx]
        val /= math.sqrt(float(val @ val))
        return idx, val

    def char_matrix(self, token_lists: Sequence[list[str]]) -> sp.csr_matrix:
        """Mean of the words' char vectors, per sentence (used for training)."""
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        for r, toks in enumerate(token_lists):
            if not toks:
                continue
            w = 1.0 / len(toks)
            for tok in toks:
                rows.append(r)
                cols.append(vocab.setdefault(tok, len(vocab)))
                weights.append(w)
        mean = sp.csr_matrix(
            (weights, (rows, cols)), shape=(len(token_lists), len(vocab)), dtype=np.float64
        )
        v_indptr = [0]
        v_idx: list[np.ndarray] = []
        v_val: list[np.ndarray] = []
        for word in vocab:  # insertion order == column order
            idx, val = self.word_char_vector(word)
            v_idx.append(idx)
            v_val.append(val)
            v_indptr.append(v_indptr[-1] + len(idx))
        per_word = sp.csr_matrix(
            (
                np.concatenate(v_val) if v_val else np.zeros(0),
                np.concatenate(v_idx) if v_idx else np.zeros(0, dtype=np.int64),
                np.asarray(v_indptr, dtype=np.int64),
            ),
            shape=(len(vocab), len(self.char_vocab_)),
        )
        return (mean @ per_word).tocsr()

    def matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        toks = [self._tokens(t) for t in texts]
        blocks = [self.word_matrix(toks)]
        if self.params.char_ngrams is not None:
            blocks.append(self.char_matrix(toks))
        return sp.hstack(blocks, format="csr")


def _l2_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x.data /= np.repeat(norms, np.diff(x.indptr))
    return x


class LinearBackend:
    """TF-IDF (words + in-word character n-grams) and one-vs-rest logistic regression."""

    name: ClassVar[str] = "linear"
    files: ClassVar[tuple[str, ...]] = ("linear.skops", "vocab.json")

    def __init__(self, params: LinearModelConfig | None = None, *, seed: int = 0) -> None:
        self.params = params or LinearModelConfig()
        self.seed = seed

    # --- training ---------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        *,
        dev: tuple[Sequence[str], np.ndarray] | None = None,
    ) -> LinearBackend:
        from sklearn.linear_model import LogisticRegression

        del dev  # the linear model has no early stopping; thresholds are tuned by the trainer
        y = np.asarray(y)
        if y.ndim != 2 or len(texts) != y.shape[0]:
            raise ValueError("y must be an (n_sentences, n_labels) matrix")
        self.features_ = NgramFeatures(self.params).fit(texts)
        x = self.features_.matrix(texts)
        coefs, intercepts = [], []
        for j in range(y.shape[1]):
            col = y[:, j]
            if col.min() == col.max():  # a label with no positives (or only positives)
                coefs.append(np.zeros(x.shape[1]))
                intercepts.append(-20.0 if col.max() == 0 else 20.0)
                continue
            clf = LogisticRegression(
                C=self.params.C,
                class_weight=self.params.class_weight,
                solver="liblinear",
                max_iter=self.params.max_iter,
                random_state=self.seed,
            )
            clf.fit(x, col)
            coefs.append(clf.coef_[0])
            intercepts.append(float(clf.intercept_[0]))
        self._set_weights(np.vstack(coefs), np.asarray(intercepts))
        return self

    def _set_weights(self, coef: np.ndarray, intercept: np.ndarray) -> None:
        f = self.features_
        n_word = len(f.word_vocab_)
        self.coef_ = coef
        self.intercept_ = intercept
        self.word_coef_ = np.ascontiguousarray(coef[:, :n_word].T)
        self.char_coef_ = np.ascontiguousarray(coef[:, n_word:].T) if coef.shape[1] > n_word else None
        self._rows: dict[str, int] = {}
        self._table = np.zeros((0, len(intercept)))

    # --- prediction -------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ModelError("this LinearBackend is not fitted; call fit() or load() first")

    def _char_row(self, word: str) -> int:
        """Row of ``word`` in the table of per-word character scores (added on first sight)."""
        row = self._rows.get(word)
        if row is None:
            assert self.char_coef_ is not None
            idx, val = self.features_.word_char_vector(word)
            n = len(self._rows)
            if n == len(self._table):
                grown = np.zeros((max(1024, 2 * n), len(self.intercept_)))
                grown[:n] = self._table[:n]
                self._table = grown
            self._table[n] = val @ self.char_coef_[idx] if len(idx) else 0.0
            row = self._rows[word] = n
        return row

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores (log-odds), one column per label."""
        self._check_fitted()
        f = self.features_
        toks = [f._tokens(t) for t in texts]
        scores = np.asarray(f.word_matrix(toks) @ self.word_coef_)
        if self.char_coef_ is not None:
            if len(self._rows) >= _CACHE_LIMIT:  # bounded memory on endless input
                self._rows.clear()
            char_row = self._char_row
            ids: list[int] = []
            starts: list[int] = []
            for words in toks:
                starts.append(len(ids))
                ids.extend(map(char_row, words))
            lengths = np.diff(np.asarray([*starts, len(ids)]))
            filled = lengths > 0
            if ids:
                sums = np.add.reduceat(self._table[ids], np.asarray(starts)[filled], axis=0)
                scores[filled] += sums / lengths[filled, None]
        scores += self.intercept_
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        z = self.decision_function(texts)
        return 1.0 / (1.0 + np.exp(-z))

    # --- persistence (skops + JSON, no pickle) ----------------------------------------------

    def save(self, folder: Path) -> None:
        import skops.io as sio

        self._check_fitted()
        f = self.features_
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "word_idf": f.word_idf_,
            "char_idf": getattr(f, "char_idf_", np.zeros(0)),
        }
        sio.dump(arrays, folder / "linear.skops")
        vocab = {"word_vocab": f.word_vocab_, "char_vocab": getattr(f, "char_vocab_", [])}
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, folder: Path, info: dict[str, Any]) -> LinearBackend:
        from eventclf.persistence import load_skops

        params = LinearModelConfig.model_validate(info["params"])
        arrays = load_skops(folder / "linear.skops")
        try:
            vocab = json.loads((folder / "vocab.json").read_text("utf-8"))
            word_vocab, char_vocab = list(vocab["word_vocab"]), list(vocab["char_vocab"])
            coef, intercept = np.asarray(arrays["coef"]), np.asarray(arrays["intercept"])
            word_idf, char_idf = np.asarray(arrays["word_idf"]), np.asarray(arrays["char_idf"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{folder}: linear model files are incomplete ({exc})") from None
        n_feat = len(word_vocab) + len(char_vocab)
        if coef.shape != (len(intercept), n_feat) or len(word_idf) != len(word_vocab):
            raise ModelError(
                f"{folder}: linear model files disagree in shape (coef {coef.shape}, "
                f"{len(word_vocab)} word and {len(char_vocab)} char features)"
            )
        model = cls(params, seed=int(info.get("seed", 0)))
        f = NgramFeatures(params)
        f.word_vocab_, f.word_idf_ = word_vocab, word_idf
        f.word_index_ = {w: i for i, w in enumerate(word_vocab)}
        if params.char_ngrams is not None:
            f.char_vocab_, f.char_idf_ = char_vocab, char_idf
            f.char_index_ = {g: i for i, g in enumerate(char_vocab)}
        model.features_ = f
        model._set_weights(coef, intercept)
        return model

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"params": self.params.model_dump(mode="json"), "seed": self.seed}
        if hasattr(self, "features_"):
            info["word_features"] = len(self.features_.word_vocab_)
            info["char_features"] = len(getattr(self.features_, "char_vocab_", []))
        return info
