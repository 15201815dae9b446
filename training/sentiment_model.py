"""The sentiment model: hashed n-grams, NB log-count ratios, linear models and small networks.

This is the training-side model (scikit-learn estimators, scipy products). A training job
exports its fitted weights as plain arrays (``model_artifact``), and serving scores them
with ``serving_model.ServingModel`` through the same functions (``member_lookups``), so
neither scikit-learn nor these classes are needed to serve.

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

import platform
from collections.abc import Iterable
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from member_lookups import MemberBlend
from nb_base import two_classes
from nb_logistic_regression import NBLogisticRegression
from nb_neural_network import NBNeuralNetwork
from ngram_hashing import NgramHasher, normalize_review


class NgramNBEnsemble(MemberBlend, ClassifierMixin, BaseEstimator):
    """The fitted model: normalise raw reviews, then average the members' probabilities.
    (Serving loads its arrays instead: model_artifact.py, serving_model.py.)

    Members, all on hashed binary n-grams with NB log-count-ratio scaling:
    - a logistic regression on word 1..``word_ngram_max`` grams (weight ``word_weight``);
    - a logistic regression on char ``char_ngram_min``..``char_ngram_max`` grams
      (``char_weight``);
    - ``word_networks`` one-hidden-layer networks on the word n-grams and
      ``joint_networks`` on word and char n-grams together, each with its own seed
      (``network_weight``, shared equally).
    Weights are normalised to sum to one. Averaging the positive-class probabilities is
    what a soft VotingClassifier does, written out because the per-call checks of sklearn's
    Pipeline and VotingClassifier cost about 0.8 ms a call when this class served. Input is
    an iterable of raw review strings; ``normalize_review`` is applied here, so callers
    never need to clean text themselves.
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
            # Kept from the pickled format (row numbers as float32, exact up to 2**24); the
            # served int32 lookups would allow more, but no trained model needs it.
            if not 1 <= limit <= 1 << 24:
                raise ValueError(f"network feature limits must be 1..2**24, got {limit}")
        total = float(sum(weights))
        word, char, network = (w / total for w in weights)
        return word, char, network

    def fit(self, texts: Iterable[object], y: Iterable[object]) -> NgramNBEnsemble:
        self.weights_ = self.member_weights()
        normalized = [normalize_review(text) for text in texts]
        y = np.asarray(y)
        self.classes_, _ = two_classes(y)
        self.word_hasher_ = NgramHasher("word", (1, self.word_ngram_max), self.word_bits)
        self.char_hasher_ = NgramHasher(
            "char", (self.char_ngram_min, self.char_ngram_max), self.char_bits
        )
        # Hash once; members share the matrices (joblib memory-maps them for the workers).
        words = self.word_hasher_.transform(normalized)
        chars = self.char_hasher_.transform(normalized)
        word_limit, char_limit = self.network_word_features, self.network_char_features
        jobs: list[tuple[Any, Any]] = [
            (self._linear(self.word_c), words),
            (self._linear(self.char_c), chars),
        ]
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
        members = {
            "word": self.word_model_.positive_proba(spaces[0]),
            "char": self.char_model_.positive_proba(spaces[1]),
        }
        for index, network in enumerate(self.network_models_):
            members[f"network_{index}"] = network.positive_proba(
                list(spaces[: len(network.columns_)])
            )
        return members

    def blend_weights(self) -> tuple[float, float, float]:
        check_is_fitted(self, "weights_")
        return self.weights_


def build_model(**params: Any) -> NgramNBEnsemble:
    """The unfitted model; ``params`` are NgramNBEnsemble's (train.py's hyperparameters)."""
    return NgramNBEnsemble(**params)


def library_versions() -> dict[str, str]:
    """The versions of the libraries that trained the model, for the metrics report."""
    import pandas
    import scipy
    import sklearn
    from joblib import __version__ as joblib_version

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "joblib": joblib_version,
    }
