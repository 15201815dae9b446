"""The sentiment model: hashed n-grams, NB log-count ratios, linear models and small networks.

Every class and function that ends up inside ``model.joblib`` lives in this module, because
joblib stores them by import path (``sentiment_model.NgramHasher``). The training job copies
this file into ``model_dir/code/`` so that the serving container can import it again.
No lambdas or closures here: they cannot be pickled by reference.

Recipe: binarised word 1-3 grams (runs of word characters and single punctuation marks) and
character 2-5 grams, scaled by NB log-count ratios (NBSVM, Wang & Manning 2012), feed four
members whose probabilities are averaged: an NB logistic regression on words (weight 0.15),
one on chars (0.05), and two one-hidden-layer ReLU networks (0.8 together), one on the
100k most frequent word n-grams and one on those plus the 50k most frequent char n-grams.

Everything was chosen by 5-fold cross-validation on the IMDb train split only, with folds
grouped by movie (adjacent aclImdb ids are reviews of the same movie; random folds leak
movie names and overstate accuracy by about 1.3 points). Mean fold accuracy: word NB-LR
0.9070, the earlier word+char NB-LR average 0.9076, word network 0.9106, this ensemble
0.9121, better on every fold (``bench/cv_train.py`` re-runs it with this module: 0.9116).
Member weights from word 0.1-0.2 / char 0-0.1 all scored 0.9117 to 0.9123. Linear
members: C=64 for words (flat from 16 to 256), 8 for chars, min_df=3, alpha=1;
punctuation tokens were worth +1.2 points, while 4-grams, other token patterns, SVM loss
and NB interpolation gained nothing. Networks: 32 hidden units, 3 epochs of Adam, 100k
word columns (200k: -0.1 points, 50k: -0.3, 500k: -0.8 on one fold); 64 units or 5 epochs
were no better (within 0.05 points); a joint word+char network added more to the average
than a second word network with another seed (+0.1 points): its errors differ more.
"""

from __future__ import annotations

import re
import warnings
import zlib
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted

from text_normalization import normalize_text

WORD_PATTERN = r"\w+|[^\w\s]"

# 64-bit mixing constants (splitmix64 / murmur3 finaliser) and an FNV prime for rolling
# n-gram hashes. Numpy uint64 arrays wrap on overflow, which is what a hash wants.
_MIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_PRIME = np.uint64(0x100000001B3)
_SHIFT_33 = np.uint64(33)
_GOLDEN = 0x9E3779B97F4A7C15
_SALT = {"word": 0x5F3759DF, "char": 0x2545F491}


def normalize_review(text: object) -> str:
    """The model's view of a review: the shared ETL normalisation, then lower case."""
    return normalize_text(None if text is None else str(text)).lower()


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _SHIFT_33)
    h = h * _MIX_1
    h = h ^ (h >> _SHIFT_33)
    h = h * _MIX_2
    return h ^ (h >> _SHIFT_33)


def _ngram_hashes(units: np.ndarray, min_n: int, max_n: int, salt: int) -> np.ndarray:
    """64-bit hashes of all n-grams (min_n..max_n) of a sequence of unit hashes.

    A rolling polynomial hash gives the n-grams of length n from those of length n-1 in one
    vectorised step, so the cost is O(len * max_n) numpy work instead of a Python loop per
    n-gram (sklearn's char analyzers spend about 3 ms per review there).
    """
    parts = []
    h = units
    for n in range(1, min(max_n, units.shape[0]) + 1):
        if n > 1:
            h = h[:-1] * _PRIME + units[n - 1 :]
        if n >= min_n:
            parts.append(_mix(h ^ np.uint64((salt + n * _GOLDEN) % (1 << 64))))
    if not parts:
        return np.empty(0, dtype=np.uint64)
    return np.concatenate(parts)


class NgramHasher(TransformerMixin, BaseEstimator):
    """Binary bag of hashed word or character n-grams.

    Stateless like sklearn's HashingVectorizer (no vocabulary to store, so the artifact
    stays small), but vectorised with numpy and with a stable hash: token ids come from
    CRC-32 and n-gram ids from a fixed 64-bit mix, never from Python's salted ``hash``.

    analyzer: "word" (tokens matched by ``token_pattern``) or "char" (n-grams over the
    whole normalised text, spaces included, so they also span word boundaries).
    n_bits: the feature space has 2**n_bits columns.
    """

    def __init__(
        self,
        analyzer: str = "word",
        ngram_range: tuple[int, int] = (1, 3),
        n_bits: int = 23,
        token_pattern: str = WORD_PATTERN,
    ) -> None:
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.n_bits = n_bits
        self.token_pattern = token_pattern

    def _check_params(self) -> None:
        if self.analyzer not in _SALT:
            raise ValueError(f"analyzer must be 'word' or 'char', got {self.analyzer!r}")
        min_n, max_n = self.ngram_range
        if not 1 <= min_n <= max_n:
            raise ValueError(f"ngram_range must satisfy 1 <= min <= max, got {self.ngram_range}")
        if not 4 <= self.n_bits <= 30:
            raise ValueError(f"n_bits must be between 4 and 30, got {self.n_bits}")

    def fit(self, texts: Iterable[str], y: object = None) -> NgramHasher:
        self._check_params()
        return self

    def _units(self, text: str, token_re: re.Pattern[str]) -> np.ndarray:
        if self.analyzer == "word":
            tokens = token_re.findall(text)
            # map() over builtins (UTF-8 is str.encode's default) runs without a Python
            # frame per token: half the cost of a generator expression.
            return np.fromiter(
                map(zlib.crc32, map(str.encode, tokens)), dtype=np.uint64, count=len(tokens)
            )
        # Code points as units: UTF-32 is fixed width, so no per-character Python loop.
        return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        self._check_params()
        min_n, max_n = self.ngram_range
        token_re = re.compile(self.token_pattern)
        salt = _SALT[self.analyzer]
        shift = np.uint64(64 - self.n_bits)
        indptr = [0]
        columns = []
        for text in texts:
            hashes = _ngram_hashes(self._units(text, token_re), min_n, max_n, salt)
            cols = (hashes >> shift).astype(np.int32)
            # sort + neighbour compare: several times faster than np.unique on short rows
            cols.sort()
            if cols.shape[0] > 1:
                keep = np.empty(cols.shape[0], dtype=bool)
                keep[0] = True
                np.not_equal(cols[1:], cols[:-1], out=keep[1:])
                cols = cols[keep]
            columns.append(cols)
            indptr.append(indptr[-1] + cols.shape[0])
        indices = np.concatenate(columns) if columns else np.empty(0, dtype=np.int32)
        data = np.ones(indices.shape[0], dtype=np.float32)
        # int32 offsets while they fit: scipy then skips an index-type check (~20 us a call).
        offsets_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
        return sp.csr_matrix(
            (data, indices, np.asarray(indptr, dtype=offsets_type)),
            shape=(len(indptr) - 1, 1 << self.n_bits),
        )


def _binary(features: sp.spmatrix) -> sp.csr_matrix:
    """Features as float32 CSR with every stored value 1 (presence, not counts)."""
    if (
        sp.issparse(features)
        and features.format == "csr"
        and features.dtype == np.float32
        and bool(np.all(features.data == 1.0))
    ):
        return features  # NgramHasher output already is binary CSR: skip the copy
    binary = sp.csr_matrix(features, dtype=np.float32, copy=True)
    binary.eliminate_zeros()
    binary.data[:] = 1.0
    return binary


# Up to this many stored features (a few reviews), rows are summed by gathering table rows
# with numpy (a single row by one BLAS product); larger inputs go through scipy's sparse
# product, which costs about 0.1 ms per call but never materialises an (nnz, width) array.
_GATHER_MAX_NNZ = 50_000


def _row_sums(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per CSR row (``indptr``), the sum of its ``values`` rows, as float64."""
    rows = indptr.shape[0] - 1
    if values.shape[0] == 0:
        return np.zeros((rows, values.shape[1]))
    if rows == 1:
        return (np.ones(values.shape[0], dtype=values.dtype) @ values)[None, :].astype(np.float64)
    # reduceat needs every start to index a row: a zero row past the end serves trailing
    # empty rows without shortening the last non-empty one.
    padded = np.concatenate([values, np.zeros((1, values.shape[1]), dtype=values.dtype)])
    starts = indptr[:-1]
    sums = np.add.reduceat(padded, starts, axis=0)
    sums[starts == indptr[1:]] = 0.0  # reduceat returns a value, not 0, for empty rows
    return sums.astype(np.float64)


def _binary_products(indptr: np.ndarray, indices: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per row, the sum of ``table`` rows at that row's ``indices`` (binary CSR @ table)."""
    if indices.shape[0] > _GATHER_MAX_NNZ:
        binary = sp.csr_matrix(
            (np.ones(indices.shape[0], dtype=table.dtype), indices, indptr),
            shape=(indptr.shape[0] - 1, table.shape[0]),
        )
        return np.asarray(binary @ table, dtype=np.float64)
    return _row_sums(indptr, np.take(table, indices, axis=0))


class NBLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression on NB log-count-ratio scaled, L2-normalised features.

    Features are binarised, scaled by r = log(p / |p|_1) - log(q / |q|_1) with p, q the
    alpha-smoothed feature counts of the positive and negative class (Wang & Manning 2012),
    then each row is L2-normalised before a liblinear logistic regression. Features found in
    fewer than ``min_df`` training documents get r = 0, so they neither vote nor change the
    norm (like CountVectorizer's min_df, but on hash buckets); their weights stay zero,
    which also keeps the compressed artifact small.

    After fitting, the scaling is folded into one (n_features, 2) float32 matrix: column 0
    holds r * w (the numerator of the decision), column 1 holds r**2 (the squared row norm
    of a binary row), so prediction is a single sparse-dense product.
    """

    def __init__(
        self,
        C: float = 64.0,  # noqa: N803 (sklearn's name for the inverse regularisation)
        alpha: float = 1.0,
        min_df: int = 1,
        max_iter: int = 1000,
        tol: float = 1e-4,
        random_state: int | None = 0,
    ) -> None:
        self.C = C
        self.alpha = alpha
        self.min_df = min_df
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, features: sp.spmatrix, y: Iterable[object]) -> NBLogisticRegression:
        x = _binary(features)
        y = np.asarray(y)
        self.classes_ = unique_labels(y)
        if self.classes_.shape[0] != 2:
            raise ValueError(f"need exactly two classes, got {self.classes_.tolist()}")
        positive = y == self.classes_[1]
        pos_counts = np.asarray(x[positive].sum(axis=0), dtype=np.float64).ravel()
        neg_counts = np.asarray(x[~positive].sum(axis=0), dtype=np.float64).ravel()
        p = self.alpha + pos_counts
        q = self.alpha + neg_counts
        ratio = np.log(p / p.sum()) - np.log(q / q.sum())
        ratio[(pos_counts + neg_counts) < max(self.min_df, 1)] = 0.0
        ratio = ratio.astype(np.float32)

        scaled = x.multiply(ratio).tocsr()
        norms = np.sqrt(np.asarray(scaled.multiply(scaled).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        scaled = sp.diags((1.0 / norms).astype(np.float32)) @ scaled

        # The dual liblinear solver suits n_features >> n_samples; random_state fixes its
        # coordinate order, so a seed gives identical coefficients.
        lr = LogisticRegression(
            C=self.C,
            solver="liblinear",
            dual=True,
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
        )
        lr.fit(scaled, positive.astype(np.int8))
        weights = lr.coef_.ravel()
        self.weights_ = np.column_stack([ratio * weights, ratio * ratio]).astype(np.float32)
        self.intercept_ = float(lr.intercept_[0])
        self.n_features_in_ = x.shape[1]
        self.n_iter_ = int(np.max(lr.n_iter_))
        return self

    def decision_function(self, features: sp.spmatrix) -> np.ndarray:
        check_is_fitted(self, "weights_")
        x = _binary(features)
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} features, got {x.shape[1]}")
        return self.decision_from_products(_binary_products(x.indptr, x.indices, self.weights_))

    def __getstate__(self) -> dict:
        # Nine in ten hash buckets were never seen (or dropped by min_df): store the others
        # only. The artifact shrinks little (zeros compress well); unpickling takes 0.41 s
        # instead of 0.52-0.75 s for the IMDb model.
        state = dict(super().__getstate__())
        weights = state.pop("weights_", None)
        if weights is not None:
            rows = np.flatnonzero(np.any(weights != 0, axis=1)).astype(np.int32)
            state["weight_rows_"] = (weights.shape, rows, weights[rows])
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        stored = state.pop("weight_rows_", None)
        if stored is not None:
            shape, rows, values = stored
            weights = np.zeros(shape, dtype=np.float32)
            weights[rows] = values
            state["weights_"] = weights
        super().__setstate__(state)

    def decision_from_products(self, products: np.ndarray) -> np.ndarray:
        """The decision given the binary rows times ``weights_``."""
        norms = np.sqrt(products[:, 1])
        norms[norms == 0] = 1.0
        return products[:, 0] / norms + self.intercept_

    def positive_proba(self, features: sp.spmatrix) -> np.ndarray:
        """Probability of ``classes_[1]`` for each row."""
        return expit(self.decision_function(features))

    def predict_proba(self, features: sp.spmatrix) -> np.ndarray:
        positive = self.positive_proba(features)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, features: sp.spmatrix) -> np.ndarray:
        return self.classes_[(self.decision_function(features) > 0).astype(int)]


def _kept_entries(indptr: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, position) of the stored entries whose new ``position`` is not negative.

    ``position`` is each stored entry's new column number, or -1 where the column is
    dropped; usually ``slots[x.indices]``, one gather per entry (scipy's
    ``x[:, columns]`` would cost most of a single prediction).
    """
    keep = position >= 0
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    return kept_before[indptr], position[keep]


def _slots(columns: np.ndarray, width: int) -> np.ndarray:
    slots = np.full(width, -1, dtype=np.int32)
    slots[columns] = np.arange(columns.shape[0], dtype=np.int32)
    return slots


def _select_columns(x: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """``x[:, columns]`` for binary CSR ``x`` and sorted ``columns``."""
    indptr, indices = _kept_entries(x.indptr, _slots(columns, x.shape[1])[x.indices])
    return sp.csr_matrix(
        (np.ones(indices.shape[0], dtype=np.float32), indices, indptr),
        shape=(x.shape[0], columns.shape[0]),
    )


class NBNeuralNetwork(ClassifierMixin, BaseEstimator):
    """One-hidden-layer ReLU network on NB-scaled, L2-normalised binary n-grams.

    Input: one sparse matrix, or a list of them (feature blocks such as word and char
    n-grams). Each block keeps its ``max_features`` columns found in most training
    documents (a dense first layer over all 2**23 hash buckets would not fit the artifact
    budget; an int applies to every block, a tuple gives one limit per block), is scaled by
    its NB log-count ratios as in ``NBLogisticRegression`` and L2-normalised on its own;
    the blocks are joined and divided by sqrt(number of blocks), so every row has unit norm.

    sklearn's MLPClassifier (Adam, L2 penalty ``l2``) trains it for ``epochs`` passes,
    which cross-validation chose, but for at least ``min_updates`` mini-batch steps: a few
    hundred reviews make only a few batches per epoch, too few steps to leave the random
    start. Its errors differ from the linear members' enough that averaging helps.

    After fitting, the NB scaling is folded into the first layer and each block's squared
    ratios are appended as one more column, so prediction is one sparse-dense product per
    block, a ReLU and a dot product; sklearn's network object is not kept.
    """

    def __init__(
        self,
        hidden_units: int = 32,
        max_features: int | tuple[int, ...] = 100_000,
        epochs: int = 3,
        l2: float = 1e-4,
        learning_rate: float = 1e-3,
        batch_size: int = 128,
        min_updates: int = 500,
        alpha: float = 1.0,
        random_state: int | None = 0,
    ) -> None:
        self.hidden_units = hidden_units
        self.max_features = max_features
        self.epochs = epochs
        self.l2 = l2
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.min_updates = min_updates
        self.alpha = alpha
        self.random_state = random_state

    @staticmethod
    def _blocks(features: sp.spmatrix | list[sp.spmatrix]) -> list[sp.csr_matrix]:
        blocks = [features] if sp.issparse(features) else list(features)
        if not blocks or len({block.shape[0] for block in blocks}) != 1:
            raise ValueError("need one or more feature blocks with the same number of rows")
        return [_binary(block) for block in blocks]

    def _limits(self, n_blocks: int) -> tuple[int, ...]:
        if isinstance(self.max_features, int | np.integer):
            limits = (int(self.max_features),) * n_blocks
        else:
            limits = tuple(int(limit) for limit in self.max_features)
        if len(limits) != n_blocks or min(limits) < 1:
            raise ValueError(f"max_features {self.max_features!r} does not fit {n_blocks} blocks")
        return limits

    def fit(
        self, features: sp.spmatrix | list[sp.spmatrix], y: Iterable[object]
    ) -> NBNeuralNetwork:
        blocks = self._blocks(features)
        self._slots = None  # lookups of a previous fit
        y = np.asarray(y)
        self.classes_ = unique_labels(y)
        if self.classes_.shape[0] != 2:
            raise ValueError(f"need exactly two classes, got {self.classes_.tolist()}")
        positive = y == self.classes_[1]
        self.block_widths_ = tuple(block.shape[1] for block in blocks)
        self.columns_, ratios, scaled = [], [], []
        block_scale = np.float32(1.0 / np.sqrt(len(blocks)))
        for block, limit in zip(blocks, self._limits(len(blocks)), strict=True):
            pos_counts = np.asarray(block[positive].sum(axis=0), dtype=np.float64).ravel()
            neg_counts = np.asarray(block[~positive].sum(axis=0), dtype=np.float64).ravel()
            document_counts = pos_counts + neg_counts
            present = np.flatnonzero(document_counts > 0)
            # Most frequent first; a stable sort keeps ties in column order, so runs agree.
            order = np.argsort(-document_counts[present], kind="stable")[:limit]
            columns = np.sort(present[order]).astype(np.int32)
            p = self.alpha + pos_counts[columns]
            q = self.alpha + neg_counts[columns]
            ratio = (np.log(p / p.sum()) - np.log(q / q.sum())).astype(np.float32)
            rows = _select_columns(block, columns).multiply(ratio).tocsr()
            norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            scaled.append(sp.diags((block_scale / norms).astype(np.float32)) @ rows)
            self.columns_.append(columns)
            ratios.append(ratio)
        joined = sp.hstack(scaled, format="csr", dtype=np.float32)

        batch_size = min(self.batch_size, joined.shape[0])
        batches_per_epoch = -(-joined.shape[0] // batch_size)
        self.epochs_ = max(self.epochs, -(-self.min_updates // batches_per_epoch))
        network = MLPClassifier(
            hidden_layer_sizes=(self.hidden_units,),
            alpha=self.l2,
            batch_size=batch_size,
            learning_rate_init=self.learning_rate,
            max_iter=self.epochs_,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            # A fixed epoch budget is the design, not a convergence failure.
            warnings.simplefilter("ignore", ConvergenceWarning)
            network.fit(joined, positive.astype(np.int8))
        first, second = network.coefs_
        self.input_weights_ = []
        start = 0
        for ratio in ratios:
            rows = first[start : start + ratio.shape[0]]
            start += ratio.shape[0]
            self.input_weights_.append(
                np.column_stack([ratio[:, None] * rows * block_scale, ratio * ratio]).astype(
                    np.float32
                )
            )
        self.hidden_bias_ = network.intercepts_[0].astype(np.float32)
        self.output_weights_ = second.ravel().astype(np.float32)
        self.output_bias_ = float(network.intercepts_[1][0])
        return self

    def decision_function(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        check_is_fitted(self, "input_weights_")
        blocks = self._blocks(features)
        widths = tuple(block.shape[1] for block in blocks)
        if widths != self.block_widths_:
            raise ValueError(f"expected feature blocks {self.block_widths_}, got {widths}")
        if getattr(self, "_slots", None) is None:
            # Column -> row maps, built on first use and not pickled (32 MB for 2**23 columns).
            self._slots = [
                _slots(columns, width)
                for columns, width in zip(self.columns_, self.block_widths_, strict=True)
            ]
        return self.decision_from_products(
            [
                _binary_products(*_kept_entries(block.indptr, slots[block.indices]), weights)
                for block, slots, weights in zip(
                    blocks, self._slots, self.input_weights_, strict=True
                )
            ]
        )

    def decision_from_products(self, block_products: list[np.ndarray]) -> np.ndarray:
        """The output given each block's binary rows times its ``input_weights_``."""
        hidden = np.tile(self.hidden_bias_.astype(np.float64), (block_products[0].shape[0], 1))
        for products in block_products:
            norms = np.sqrt(products[:, -1])
            norms[norms == 0] = 1.0
            hidden += products[:, :-1] / norms[:, None]
        np.maximum(hidden, 0.0, out=hidden)
        return hidden @ self.output_weights_ + self.output_bias_

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: object's default is __dict__ itself
        state.pop("_slots", None)  # derived from columns_; rebuilt after loading
        return state

    def positive_proba(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        """Probability of ``classes_[1]`` for each row."""
        return expit(self.decision_function(features))

    def predict_proba(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        positive = self.positive_proba(features)
        return np.column_stack([1.0 - positive, positive])

    def predict(self, features: sp.spmatrix | list[sp.spmatrix]) -> np.ndarray:
        return self.classes_[(self.decision_function(features) > 0).astype(int)]


class NgramNBEnsemble(ClassifierMixin, BaseEstimator):
    """The served model: normalise raw reviews, then average the members' probabilities.

    Members, all on hashed binary n-grams with NB log-count-ratio scaling:
    - a logistic regression on word 1..``word_ngram_max`` grams (weight ``word_weight``);
    - a logistic regression on char ``char_ngram_min``..``char_ngram_max`` grams
      (``char_weight``);
    - ``word_networks`` one-hidden-layer networks on the word n-grams and
      ``joint_networks`` on word and char n-grams together, each with its own seed
      (``network_weight``, shared equally).
    Weights are normalised to sum to one. Averaging the positive-class probabilities is
    what a soft VotingClassifier does, written out because the per-call checks of sklearn's
    Pipeline and VotingClassifier cost about 0.8 ms of a 2 ms budget. Input is an iterable
    of raw review strings; ``normalize_review`` is applied here, so callers never need to
    clean text themselves.
    """

    def __init__(
        self,
        word_c: float = 64.0,
        char_c: float = 8.0,
        word_ngram_max: int = 3,
        char_ngram_min: int = 2,
        char_ngram_max: int = 5,
        word_bits: int = 23,
        char_bits: int = 21,
        alpha: float = 1.0,
        min_df: int = 3,
        word_networks: int = 1,
        joint_networks: int = 1,
        network_hidden_units: int = 32,
        network_word_features: int = 100_000,
        network_char_features: int = 50_000,
        network_epochs: int = 3,
        word_weight: float = 0.15,
        char_weight: float = 0.05,
        network_weight: float = 0.8,
        max_iter: int = 1000,
        seed: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.word_c = word_c
        self.char_c = char_c
        self.word_ngram_max = word_ngram_max
        self.char_ngram_min = char_ngram_min
        self.char_ngram_max = char_ngram_max
        self.word_bits = word_bits
        self.char_bits = char_bits
        self.alpha = alpha
        self.min_df = min_df
        self.word_networks = word_networks
        self.joint_networks = joint_networks
        self.network_hidden_units = network_hidden_units
        self.network_word_features = network_word_features
        self.network_char_features = network_char_features
        self.network_epochs = network_epochs
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.network_weight = network_weight
        self.max_iter = max_iter
        self.seed = seed
        self.n_jobs = n_jobs

    def _linear(self, c: float) -> NBLogisticRegression:
        return NBLogisticRegression(
            C=c,
            alpha=self.alpha,
            min_df=self.min_df,
            max_iter=self.max_iter,
            random_state=self.seed,
        )

    def _network(self, index: int, max_features: tuple[int, ...]) -> NBNeuralNetwork:
        return NBNeuralNetwork(
            hidden_units=self.network_hidden_units,
            max_features=max_features,
            epochs=self.network_epochs,
            alpha=self.alpha,
            random_state=self.seed + index,
        )

    def member_weights(self) -> tuple[float, float, float]:
        """(word, char, network) shares summing to one; ValueError for inconsistent params."""
        weights = (self.word_weight, self.char_weight, self.network_weight)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError(f"member weights must be >= 0 with a positive sum, got {weights}")
        if min(self.word_networks, self.joint_networks) < 0:
            raise ValueError("word_networks and joint_networks must be >= 0")
        if self.word_networks + self.joint_networks == 0 and self.network_weight > 0:
            raise ValueError("network_weight > 0 needs word_networks or joint_networks >= 1")
        for limit in (self.network_word_features, self.network_char_features):
            # The serving lookup stores row numbers as float32, exact up to 2**24.
            if not 1 <= limit <= 1 << 24:
                raise ValueError(f"network feature limits must be 1..2**24, got {limit}")
        total = float(sum(weights))
        return tuple(w / total for w in weights)

    def fit(self, texts: Iterable[object], y: Iterable[object]) -> NgramNBEnsemble:
        self.weights_ = self.member_weights()
        self._tables = None  # lookups of a previous fit
        normalized = [normalize_review(text) for text in texts]
        y = np.asarray(y)
        self.classes_ = unique_labels(y)
        if self.classes_.shape[0] != 2:
            raise ValueError(f"need exactly two classes, got {self.classes_.tolist()}")
        self.word_hasher_ = NgramHasher("word", (1, self.word_ngram_max), self.word_bits)
        self.char_hasher_ = NgramHasher(
            "char", (self.char_ngram_min, self.char_ngram_max), self.char_bits
        )
        # Hash once; members share the matrices (joblib memory-maps them for the workers).
        words = self.word_hasher_.transform(normalized)
        chars = self.char_hasher_.transform(normalized)
        word_limit, char_limit = self.network_word_features, self.network_char_features
        jobs = [(self._linear(self.word_c), words), (self._linear(self.char_c), chars)]
        jobs += [(self._network(k, (word_limit,)), words) for k in range(self.word_networks)]
        jobs += [
            (self._network(self.word_networks + k, (word_limit, char_limit)), [words, chars])
            for k in range(self.joint_networks)
        ]
        # Members are independent: with n_jobs=2 two of them train at a time.
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(classifier.fit)(features, y) for classifier, features in jobs
        )
        self.word_model_, self.char_model_, *self.network_models_ = fitted
        return self

    def member_probabilities(self, texts: Iterable[object]) -> dict[str, np.ndarray]:
        """Each member's positive-class probability, by name (for evaluation and tests)."""
        check_is_fitted(self, "word_model_")
        normalized = [normalize_review(text) for text in texts]
        spaces = (self.word_hasher_.transform(normalized), self.char_hasher_.transform(normalized))
        if sum(x.nnz for x in spaces) > _GATHER_MAX_NNZ:
            return self._members_one_by_one(spaces)
        return self._members_from_lookups(spaces)

    def _members_one_by_one(self, spaces: tuple[sp.csr_matrix, sp.csr_matrix]) -> dict:
        """Batch path: each member on its own, through sparse products."""
        members = {
            "word": self.word_model_.positive_proba(spaces[0]),
            "char": self.char_model_.positive_proba(spaces[1]),
        }
        for index, network in enumerate(self.network_models_):
            members[f"network_{index}"] = network.positive_proba(
                list(spaces[: len(network.columns_)])
            )
        return members

    def _members_from_lookups(self, spaces: tuple[sp.csr_matrix, sp.csr_matrix]) -> dict:
        """Online path: per feature space, one gather finds every member's weights.

        Equal to ``_members_one_by_one`` (a test checks it) but a third faster for one
        review (0.59 instead of 0.93 ms after hashing, IMDb model): with 2**23-row tables,
        every lookup of a feature is a cache miss, so one lookup per space beats one per
        member.
        """
        members = {}
        block_products = [[] for _ in self.network_models_]
        for space, (name, linear, lookup, users, table) in enumerate(self._serving_tables()):
            x = spaces[space]
            rows = np.take(lookup, x.indices, axis=0)
            members[name] = expit(linear.decision_from_products(_row_sums(x.indptr, rows[:, :2])))
            if not users:
                continue
            indptr, position = _kept_entries(x.indptr, rows[:, 2])
            products = _row_sums(indptr, np.take(table, position.astype(np.intp), axis=0))
            start = 0
            for index in users:
                width = self.network_models_[index].input_weights_[space].shape[1]
                block_products[index].append(products[:, start : start + width])
                start += width
        for index, network in enumerate(self.network_models_):
            members[f"network_{index}"] = expit(
                network.decision_from_products(block_products[index])
            )
        return members

    def warm_up(self) -> NgramNBEnsemble:
        """Build the serving lookups now (about 0.3 s), not on the first request."""
        check_is_fitted(self, "word_model_")
        self._serving_tables()
        return self

    def _serving_tables(self) -> list[tuple]:
        """Per feature space (word, char): (name, linear member, lookup, networks, table).

        lookup has a row per hash column: the linear member's two weights and the column's
        row in ``table`` (-1 if no network keeps it), so one random access per feature
        serves every member. ``table`` holds the first layers of the networks that read
        this space side by side; they keep the same most frequent columns (same data,
        same rule). Built on first use, not pickled.
        """
        tables = getattr(self, "_tables", None)
        if tables is None:
            tables = []
            for space, (name, linear) in enumerate(
                [("word", self.word_model_), ("char", self.char_model_)]
            ):
                users = [
                    index
                    for index, network in enumerate(self.network_models_)
                    if len(network.columns_) > space
                ]
                lookup = np.empty((linear.weights_.shape[0], 3), dtype=np.float32)
                lookup[:, :2] = linear.weights_
                lookup[:, 2] = -1.0
                table = None
                if users:
                    columns = self.network_models_[users[0]].columns_[space]
                    for index in users[1:]:
                        if not np.array_equal(self.network_models_[index].columns_[space], columns):
                            raise ValueError("networks must keep the same columns of a space")
                    # Row numbers up to 2**24 are exact in float32.
                    lookup[columns, 2] = np.arange(columns.shape[0], dtype=np.float32)
                    table = np.ascontiguousarray(
                        np.hstack([self.network_models_[i].input_weights_[space] for i in users])
                    )
                tables.append((name, linear, lookup, users, table))
            self._tables = tables
        return tables

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: object's default is __dict__ itself
        state.pop("_tables", None)  # derived from the members; rebuilt after loading
        return state

    def predict_proba(self, texts: Iterable[object]) -> np.ndarray:
        members = self.member_probabilities(texts)
        word_weight, char_weight, network_weight = self.weights_
        networks = [value for name, value in members.items() if name.startswith("network_")]
        positive = word_weight * members["word"] + char_weight * members["char"]
        for network in networks:
            positive += network_weight / len(networks) * network
        return np.column_stack([1.0 - positive, positive])

    def predict(self, texts: Iterable[object]) -> np.ndarray:
        # Ties go to the first class, as argmax over predict_proba would.
        return self.classes_[(self.predict_proba(texts)[:, 1] > 0.5).astype(int)]


def build_model(**params: object) -> NgramNBEnsemble:
    """The unfitted model; ``params`` are NgramNBEnsemble's (train.py's hyperparameters)."""
    return NgramNBEnsemble(**params)
