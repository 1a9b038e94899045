"""scikit-learn estimators over `genre train`: one per model kind, the same
presets and options as the command, the same model file from the same rows."""
import os
import tempfile

import numpy as np
import pandas as pd

from . import _lib
from ._lib import lib
from ._models import Model

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
except ImportError:  # the estimators' conventions without scikit-learn itself
    import inspect

    class BaseEstimator:
        def get_params(self, deep=True):
            names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
            return {n: getattr(self, n) for n in names}

        def set_params(self, **params):
            for k, v in params.items():
                setattr(self, k, v)
            return self

    class ClassifierMixin:
        def score(self, X, y):
            return float(np.mean(self.predict(X) == np.asarray(y)))

# each estimator parameter and the option it becomes (None values are left to the preset)
_FLAGS = {"arch": "--arch", "epochs": "--epochs", "batch": "--batch", "lr": "--lr", "seed": "--seed",
          "val_fraction": "--val-fraction", "patience": "--patience", "mixup": "--mixup",
          "label_smoothing": "--label-smoothing", "schedule": "--schedule", "weight_decay": "--weight-decay",
          "hidden": "--hidden", "dropout": "--dropout", "members": "--members", "augment": "--augment",
          "k": "--k", "weights": "--weights", "C": "--C", "gamma": "--gamma", "kernel": "--kernel",
          "trees": "--trees", "depth": "--depth", "eta": "--eta", "subsample": "--subsample",
          "colsample": "--colsample", "threads": "--threads"}
_NOT_FEATURES = ("filename", "length", "label")


def _option_value(value):
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


class _GenreClassifier(ClassifierMixin, BaseEstimator):
    """What every kind shares: argv from the parameters, fit through the C library
    (the command's code path on rows in memory), the model file's bytes as state."""
    _kind = None

    def _argv(self, source, out):
        argv = ["train", self._kind, "--" + ("mel" if self._kind == "cnn" else "features"), source, "-o", out]
        for name, value in self.get_params(deep=False).items():
            if value is None or name in ("verbose", "calibrate", "batchnorm"):
                continue
            argv += [_FLAGS[name], _option_value(value)]
        if getattr(self, "batchnorm", False):
            argv.append("--batchnorm")
        if not getattr(self, "calibrate", True):
            argv.append("--no-calibrate")
        if not self.verbose:
            argv.append("--quiet")
        return argv

    def fit(self, X, y, groups=None, source=None):
        """Trains as `genre train` does on the same rows: the same model file, byte for byte,
        given the same options and seed. groups: each row's track (rows of a track are
        held out together); by default a DataFrame's `filename` column gives them as in
        the command ("<track>.<k>.wav"), else every row is its own track. source: what the
        model file records as its training data (default: the rows' count)."""
        y = np.asarray(y)
        if y.ndim != 1 or len(y) == 0:
            raise ValueError("y: one label per row (a 1-D array, not empty)")
        self._values = {str(v): v for v in np.unique(y)}
        labels = [str(v) for v in y]
        with tempfile.TemporaryDirectory(prefix="genre-fit-") as tmp:
            out = os.path.join(tmp, "model.genre")
            status, text = self._train(X, labels, groups, source, out)
            if status != 0 or not os.path.exists(out):
                raise _lib.InputError(_lib.last_error(text, f"genre train {self._kind} failed"))
            with open(out, "rb") as f:
                self.model_bytes_ = f.read()
            self._model = Model(out)
        self._model._bytes = self.model_bytes_
        self.classes_ = np.array([self._values[c] for c in self._model.classes])
        self.n_features_in_ = len(self._model.inputs) if self._kind != "cnn" else None
        if self._kind != "cnn":
            self.feature_names_in_ = np.array(self._model.inputs, dtype=object)
        return self

    def _train(self, X, labels, groups, source, out):
        rows, names, features = _feature_rows(X, len(labels), groups)
        source = source or f"(rows in memory: {len(rows)})"
        return self._run_train(lib.gapi_train_features, source, out, rows.ctypes.data, rows.shape[0], rows.shape[1],
                               _lib.strings(features), _lib.strings(labels), _lib.strings(names))

    def _run_train(self, fn, source, out, *data):
        """fn(argc, argv, *data, err, errlen): genre train on the data in memory. (status, stderr)."""
        argv = self._argv(os.fspath(source), out)
        err = _lib.error_buffer()
        status, text = _lib.run_command(fn, len(argv), _lib.strings(argv), *data, err, len(err),
                                        show=bool(self.verbose))
        if status and err.value:
            raise _lib.InputError(err.value.decode(errors="replace"))
        return status, text

    @property
    def model_(self):
        """The trained model (genre.Model)."""
        if not hasattr(self, "model_bytes_"):
            raise AttributeError("not fitted: call fit first")
        if getattr(self, "_model", None) is None:
            with tempfile.TemporaryDirectory(prefix="genre-model-") as tmp:
                path = os.path.join(tmp, "model.genre")
                with open(path, "wb") as f:
                    f.write(self.model_bytes_)
                self._model = Model(path)
            self._model._bytes = self.model_bytes_
        return self._model

    def predict_proba(self, X):
        """Probabilities [n, classes] in classes_ order (genre.Model.predict_proba)."""
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def save(self, path):
        """Writes the model file (atomically): what `genre predict -m` and `genre info` read."""
        path = os.fspath(path)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(self.model_bytes_)
        os.replace(tmp, path)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_model", None)  # a C handle: reloaded from model_bytes_ when needed
        return state


def _feature_rows(X, n, groups):
    """(rows float64 [n, d], row names, feature names) as genre train reads a table."""
    if isinstance(X, pd.DataFrame):
        features = [c for c in X.columns if c not in _NOT_FEATURES]
        text = [c for c in features if not pd.api.types.is_numeric_dtype(X[c])]
        if text:
            raise ValueError(f"column '{text[0]}' is not numeric (features are numbers; filename, length and "
                             "label are not read as features)")
        names = list(X["filename"].astype(str)) if "filename" in X.columns else None
        rows = X[features].to_numpy(dtype=np.float64)
    else:
        rows = np.asarray(X, dtype=np.float64)
        if rows.ndim != 2:
            raise ValueError(f"X: rows of features (2-D), not an array of shape {rows.shape}")
        features, names = [f"x{i}" for i in range(rows.shape[1])], None
    if rows.shape[0] != n:
        raise ValueError(f"X has {rows.shape[0]} rows, y {n} labels")
    if groups is not None:
        names = _segment_names(groups)
    elif names is None:
        names = [f"row{i + 2}" for i in range(n)]  # a table's row numbers: each row its own track
    return np.ascontiguousarray(rows), names, [str(f) for f in features]


def _segment_names(groups):
    """Rows of track g named "<g>.<k>.wav", k counting its rows in order."""
    seen, names = {}, []
    for g in map(str, groups):
        names.append(f"{g}.{seen.get(g, 0)}.wav")
        seen[g] = seen.get(g, 0) + 1
    return names


class ANNClassifier(_GenreClassifier):
    """The ANN on feature rows (features_3_sec.csv or features_30_sec.csv, or any
    numeric columns): `genre train ann`. arch: default, keras-mlp or keras-conv1d;
    None leaves an option to the preset (genre train ann --help lists them)."""
    _kind = "ann"

    def __init__(self, arch=None, epochs=None, batch=None, lr=None, seed=None, hidden=None, dropout=None,
                 batchnorm=False, members=None, mixup=None, label_smoothing=None, schedule=None, weight_decay=None,
                 patience=None, val_fraction=None, calibrate=True, threads=None, verbose=0):
        self.arch, self.epochs, self.batch, self.lr, self.seed = arch, epochs, batch, lr, seed
        self.hidden, self.dropout, self.batchnorm, self.members = hidden, dropout, batchnorm, members
        self.mixup, self.label_smoothing, self.schedule, self.weight_decay = mixup, label_smoothing, schedule, weight_decay
        self.patience, self.val_fraction, self.calibrate, self.threads, self.verbose = (
            patience, val_fraction, calibrate, threads, verbose)


class CNNClassifier(_GenreClassifier):
    """The CNN on log-mel spectrograms [N, 128, 130] (genre.extract's mel arrays):
    `genre train cnn`. arch: default, keras-5block or keras-2conv."""
    _kind = "cnn"

    def __init__(self, arch=None, epochs=None, batch=None, lr=None, seed=None, augment=None, mixup=None,
                 label_smoothing=None, schedule=None, weight_decay=None, patience=None, val_fraction=None,
                 calibrate=True, threads=None, verbose=0):
        self.arch, self.epochs, self.batch, self.lr, self.seed, self.augment = arch, epochs, batch, lr, seed, augment
        self.mixup, self.label_smoothing, self.schedule, self.weight_decay = mixup, label_smoothing, schedule, weight_decay
        self.patience, self.val_fraction, self.calibrate, self.threads, self.verbose = (
            patience, val_fraction, calibrate, threads, verbose)

    def _train(self, X, labels, groups, source, out):
        x = np.asarray(X)
        if x.ndim != 3 or x.shape[1:] != (_lib.MEL_BANDS, _lib.SEGMENT_FRAMES):
            raise ValueError(f"X: log-mel spectrograms [N, 128, 130], not an array of shape {x.shape}")
        if len(x) != len(labels):
            raise ValueError(f"X has {len(x)} spectrograms, y {len(labels)} labels")
        x = np.ascontiguousarray(x, dtype=np.float32)
        tracks = [str(g) for g in groups] if groups is not None else [f"row{i}" for i in range(len(x))]
        return self._run_train(lib.gapi_train_mel, source or f"(spectrograms in memory: {len(x)})", out,
                               x.ctypes.data, len(x), _lib.strings(labels), _lib.strings(tracks))


class _Classical(_GenreClassifier):
    def _common(self, arch, seed, val_fraction, calibrate, threads, verbose):
        self.arch, self.seed, self.val_fraction = arch, seed, val_fraction
        self.calibrate, self.threads, self.verbose = calibrate, threads, verbose


class KNNClassifier(_Classical):
    """`genre train knn`: k nearest neighbours (scikit-learn's defaults: k 5, uniform votes)."""
    _kind = "knn"

    def __init__(self, k=None, weights=None, arch=None, seed=None, val_fraction=None, calibrate=True, threads=None,
                 verbose=0):
        self.k, self.weights = k, weights
        self._common(arch, seed, val_fraction, calibrate, threads, verbose)


class SVMClassifier(_Classical):
    """`genre train svm`: libsvm's SVC (RBF, C 1, gamma 'scale': scikit-learn's defaults)."""
    _kind = "svm"

    def __init__(self, C=None, gamma=None, kernel=None, arch=None, seed=None, val_fraction=None, calibrate=True,
                 threads=None, verbose=0):
        self.C, self.gamma, self.kernel = C, gamma, kernel
        self._common(arch, seed, val_fraction, calibrate, threads, verbose)


class LogRegClassifier(_Classical):
    """`genre train logreg`: multinomial logistic regression with an L2 penalty (C 1)."""
    _kind = "logreg"

    def __init__(self, C=None, arch=None, seed=None, val_fraction=None, calibrate=True, threads=None, verbose=0):
        self.C = C
        self._common(arch, seed, val_fraction, calibrate, threads, verbose)


class GBDTClassifier(_Classical):
    """`genre train gbdt`: XGBoost's boosted trees (XGBClassifier's defaults)."""
    _kind = "gbdt"

    def __init__(self, trees=None, depth=None, eta=None, subsample=None, colsample=None, arch=None, seed=None,
                 val_fraction=None, calibrate=True, threads=None, verbose=0):
        self.trees, self.depth, self.eta, self.subsample, self.colsample = trees, depth, eta, subsample, colsample
        self._common(arch, seed, val_fraction, calibrate, threads, verbose)


class RFClassifier(GBDTClassifier):
    """`genre train rf`: XGBoost's random forest (XGBRFClassifier's defaults)."""
    _kind = "rf"
