r"""The linear baseline: word n-gram TF-IDF + in-word character n-grams, one logistic
regression per label (one-vs-rest). Saved as safetensors (the arrays) and JSON (settings and
vocabularies): no scikit-learn object is persisted, so nothing needs unpickling or skops.

The features are those of scikit-learn's ``TfidfVectorizer`` (words: ``analyzer="word"``
over ``\w+`` tokens; characters: ``analyzer="char_wb"``, n-grams inside space-padded
whitespace-separated tokens), each block l2-normalised per sentence. Character n-grams earn
their place in accuracy, but the stock vectorizer generates hundreds of them per sentence in
Python and caps prediction at a few thousand sentences per second. Here each distinct token's
n-gram ids are computed once and cached (news vocabulary is Zipfian, so almost every token is
a cache hit), and a batch's sentence-by-n-gram matrix is one sparse product: (sentences x
tokens counts) @ (tokens x n-grams counts). Same numbers, a dictionary lookup per token.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from eventclf.config import LinearModelConfig
from eventclf.errors import ModelError
from eventclf.models.base import RunContext

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
            for text in texts:
                seen: set[str] = set()
                for tok in set(self._char_tokens(text)):
                    if tok not in grams_of:
                        grams_of[tok] = _char_grams(tok, lo, hi)
                    seen.update(grams_of[tok])
                char_df.update(seen)
            self.char_vocab_ = self._select(char_df, p.min_df, p.max_features)
            self.char_idf_ = self._idf([char_df[g] for g in self.char_vocab_], n)
            self.char_index_ = {g: i for i, g in enumerate(self.char_vocab_)}
            self._token_grams: dict[str, tuple[np.ndarray, np.ndarray]] = {}
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

    def _word_grams(self, toks: list[str]) -> list[str]:
        lo, hi = self.params.word_ngrams
        grams = list(toks) if lo <= 1 <= hi else []
        for n in range(max(lo, 2), hi + 1):
            if n == 2:
                grams += [f"{a} {b}" for a, b in itertools.pairwise(toks)]
            else:
                grams += [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
        return grams

    def word_matrix(self, token_lists: Sequence[list[str]]) -> sp.csr_matrix:
        """Sublinear TF-IDF of word n-grams, rows l2-normalised."""
        get = self.word_index_.get
        indices: list[int] = []
        indptr = [0]
        for toks in token_lists:
            indices += [i for i in map(get, self._word_grams(toks)) if i is not None]
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        x = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(token_lists), len(self.word_vocab_)),
        )
        x.sum_duplicates()
        return self._weigh(x, self.word_idf_)

    def _weigh(self, x: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        """Counts -> binary or (sublinear) TF, times IDF, rows l2-normalised (in place)."""
        if self.params.binary:
            x.data[:] = 1.0
        elif self.params.sublinear_tf:
            np.log(x.data, out=x.data)
            x.data += 1.0
        x.data *= idf[x.indices]
        return _l2_rows(x)

    def _char_tokens(self, text: str) -> list[str]:
        return (text.lower() if self.params.lowercase else text).split()

    def _grams_of(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """A token's in-vocabulary char n-gram ids and their counts (cached)."""
        hit = self._token_grams.get(token)
        if hit is None:
            lo, hi = self.params.char_ngrams or (0, -1)
            get = self.char_index_.get
            ids = [i for i in map(get, _char_grams(token, lo, hi)) if i is not None]
            uniq, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
            hit = (uniq, counts.astype(np.float64))
            self._token_grams[token] = hit
        return hit

    def char_matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        """char_wb TF-IDF of each sentence, rows l2-normalised (sklearn's numbers)."""
        if len(self._token_grams) > _CACHE_LIMIT:  # bounded memory on endless input
            self._token_grams.clear()
        local: dict[str, int] = {}
        cols: list[int] = []
        indptr = [0]
        for text in texts:
            cols += [local.setdefault(t, len(local)) for t in self._char_tokens(text)]
            indptr.append(len(cols))
        counts = sp.csr_matrix(
            (
                np.ones(len(cols)),
                np.asarray(cols, dtype=np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(texts), len(local)),
        )
        grams = [self._grams_of(t) for t in local]
        sizes = np.fromiter((len(g[0]) for g in grams), dtype=np.int64, count=len(grams))
        per_token = sp.csr_matrix(
            (
                np.concatenate([g[1] for g in grams]) if grams else np.zeros(0),
                np.concatenate([g[0] for g in grams]) if grams else np.zeros(0, np.int64),
                np.concatenate([[0], np.cumsum(sizes)]),
            ),
            shape=(len(local), len(self.char_vocab_)),
        )
        return self._weigh((counts @ per_token).tocsr(), self.char_idf_)

    def matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Both blocks side by side (word n-grams, then char n-grams)."""
        blocks = [self.word_matrix([self._tokens(t) for t in texts])]
        if self.params.char_ngrams is not None:
            blocks.append(self.char_matrix(texts))
        return sp.hstack(blocks, format="csr")


def _l2_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x.data /= np.repeat(norms, np.diff(x.indptr))
    return x


class LinearBackend:
    """TF-IDF (words + in-word character n-grams) and one-vs-rest logistic regression."""

    name: ClassVar[str] = "linear"

    def __init__(
        self,
        params: LinearModelConfig | None = None,
        *,
        seed: int = 0,
        context: RunContext | None = None,
    ) -> None:
        self.params = params or LinearModelConfig()
        self.seed = seed
        self.context = context or RunContext()

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
        self.char_coef_ = (
            np.ascontiguousarray(coef[:, n_word:].T) if coef.shape[1] > n_word else None
        )

    # --- prediction -------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ModelError("this LinearBackend is not fitted; call fit() or load() first")

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Raw scores (log-odds), one column per label."""
        self._check_fitted()
        f = self.features_
        scores = np.asarray(f.word_matrix([f._tokens(t) for t in texts]) @ self.word_coef_)
        if self.char_coef_ is not None:
            scores += f.char_matrix(texts) @ self.char_coef_
        scores += self.intercept_
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        z = self.decision_function(texts)
        proba: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return proba

    # --- persistence (safetensors + JSON, no pickle) ----------------------------------------

    def save(self, folder: Path) -> None:
        from safetensors.numpy import save_file

        self._check_fitted()
        f = self.features_
        arrays = {
            "coef": self.coef_,
            "intercept": self.intercept_,
            "word_idf": f.word_idf_,
            "char_idf": getattr(f, "char_idf_", np.zeros(0)),
        }
        save_file(
            {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()},
            str(folder / "linear.safetensors"),
        )
        vocab = {"word_vocab": f.word_vocab_, "char_vocab": getattr(f, "char_vocab_", [])}
        (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")

    @classmethod
    def load(
        cls, folder: Path, info: dict[str, Any], *, device: str | None = None
    ) -> LinearBackend:
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        params = LinearModelConfig.model_validate(info["params"])
        try:
            arrays = load_file(str(folder / "linear.safetensors"))
        except (OSError, SafetensorError) as exc:
            raise ModelError(f"{folder}: cannot read linear.safetensors ({exc})") from None
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
            f._token_grams = {}
        model.features_ = f
        model._set_weights(coef, intercept)
        return model

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"params": self.params.model_dump(mode="json"), "seed": self.seed}
        if hasattr(self, "features_"):
            info["word_features"] = len(self.features_.word_vocab_)
            info["char_features"] = len(getattr(self.features_, "char_vocab_", []))
        return info
