"""genre.load: a model file (ours or an .onnx with its card) applied to arrays and files."""
import ctypes
import io
import json
import os
import tempfile
import threading

import numpy as np
import pandas as pd

from . import _lib
from ._lib import lib


def _text(value):
    return value.decode(errors="replace") if value is not None else None


class Model:
    """A trained model, as genre.load returns it.

    classes: the class names, in the order of predict_proba's columns.
    kind: ann, cnn, knn, svm, logreg, gbdt or rf.
    inputs: the feature columns it reads (in order), or (128, 130) for a CNN.
    unit: 'segment' (3-s rows or spectrograms) or 'track' (30-s rows).
    about: how it was trained (the model file's record), a dict.
    """

    def __init__(self, path, labels=None, threads=None):
        err = _lib.error_buffer()
        self.path = os.fspath(path)
        labels = ",".join(labels) if isinstance(labels, (list, tuple)) else labels
        self._h = lib.gapi_model_open(_lib.encode(self.path), _lib.encode(labels) if labels else None,
                                      int(threads or os.cpu_count() or 1), err, len(err))
        if not self._h:
            _lib.raise_for(err.value.decode(errors="replace"), self.path)
        h = self._h
        self.n_models = lib.gapi_model_count(h)
        self.classes = [_text(lib.gapi_model_label(h, k)) for k in range(lib.gapi_model_classes(h))]
        self.kind = _text(lib.gapi_model_text(h, 0, b"kind"))
        self.arch = _text(lib.gapi_model_text(h, 0, b"arch"))
        self.unit = _text(lib.gapi_model_text(h, 0, b"unit"))
        about = _text(lib.gapi_model_text(h, 0, b"about"))
        try:
            self.about = json.loads(about) if about else {}
        except ValueError:
            self.about = {"text": about}
        if self.kind == "cnn":
            self.inputs = (_lib.MEL_BANDS, _lib.SEGMENT_FRAMES)
        else:
            self.inputs = [_text(lib.gapi_model_feature(h, 0, f)) for f in range(lib.gapi_model_features(h, 0))]
        self._labels = labels
        self._lock = threading.Lock()  # the handle's scratch buffers serve one call at a time

    def __repr__(self):
        what = "log-mel [128, 130]" if self.kind == "cnn" else f"{len(self.inputs)} features"
        return f"<genre.Model {self.kind} ({self.arch}) on {what}, {self.unit}s -> {len(self.classes)} classes: {self.path}>"

    def close(self):
        if getattr(self, "_h", None):
            lib.gapi_model_free(self._h)
            self._h = None

    def __del__(self):
        self.close()

    def _input(self, X):
        """(rows float64 [n, d] or None, mel float32 [n, 128, 130] or None, n)."""
        if self.n_models > 1:
            raise ValueError(f"{self.path} holds {self.n_models} models (an ensemble graph): predict_files "
                             "applies them together")
        if self.kind == "cnn":
            x = np.asarray(X)
            if x.ndim == 2 and x.shape == self.inputs:
                x = x[None]
            if x.ndim != 3 or x.shape[1:] != self.inputs:
                raise ValueError(f"a CNN takes log-mel spectrograms [N, 128, 130], not an array of shape {x.shape}")
            x = np.ascontiguousarray(x, dtype=np.float32)
            _check_finite(x, "spectrogram")
            return None, x, len(x)
        if isinstance(X, pd.DataFrame):
            missing = [c for c in self.inputs if c not in X.columns]
            if missing:
                raise ValueError(f"the model reads the columns {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                                 "which the DataFrame lacks")
            X = X[self.inputs]
        x = np.asarray(X, dtype=np.float64)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != len(self.inputs):
            raise ValueError(f"the model takes rows of {len(self.inputs)} features (model.inputs, in that order), "
                             f"not an array of shape {x.shape}")
        x = np.ascontiguousarray(x)
        _check_finite(x, "row")
        return x, None, len(x)

    def predict_proba(self, X):
        """Class probabilities [n, classes] (columns in .classes order) for feature rows (a
        DataFrame, read by column name, or an array in .inputs order) or log-mel
        spectrograms [n, 128, 130] — standardised as in training, calibrated by the
        model's temperature, as genre predict computes them per segment."""
        rows, mel, n = self._input(X)
        out = np.empty((n, len(self.classes)))
        err = _lib.error_buffer()
        with self._lock, _lib.single_blas:
            rc = lib.gapi_model_proba(self._h, rows.ctypes.data if rows is not None else None,
                                      mel.ctypes.data if mel is not None else None, n, out.ctypes.data, err, len(err))
        if rc:
            raise _lib.GenreError(err.value.decode(errors="replace"))
        return out

    def predict(self, X):
        """The most probable class of each input."""
        p = self.predict_proba(X)
        return np.array(self.classes, dtype=object)[p.argmax(axis=1)]

    def embed(self, X, layer=None):
        """The activations of a layer (default: the input of the classifier, as genre embed)
        for each input: float32 [n, width]."""
        h = self._h
        at = lib.gapi_model_embed_layer(h, -1 if layer is None else int(layer))
        if at < 0:
            raise ValueError(f"{self.kind} models have no layers to embed from" if self.kind not in ("ann", "cnn")
                             else f"no layer {layer}")
        rows, mel, n = self._input(X)
        out = np.empty((n, lib.gapi_model_embed_dim(h, at)), np.float32)
        err = _lib.error_buffer()
        with self._lock, _lib.single_blas:
            rc = n and lib.gapi_model_embed(h, at, rows.ctypes.data if rows is not None else None,
                                            mel.ctypes.data if mel is not None else None, n, out.ctypes.data, err,
                                            len(err))
        if rc:
            raise _lib.GenreError(err.value.decode(errors="replace"))
        return out

    def predict_files(self, paths, segments=False, threads=None, progress=None):
        """genre predict on audio files and folders: the DataFrame `genre predict --format
        csv` prints (a row per file, or with segments=True per 3-s segment). Files that
        fail are left out and named in a warning."""
        paths = [paths] if isinstance(paths, (str, bytes, os.PathLike)) else list(paths)
        if getattr(self, "_bytes", None) is not None:  # an estimator's model: its file is in memory
            with tempfile.TemporaryDirectory(prefix="genre-model-") as tmp:
                with open(os.path.join(tmp, "model.genre"), "wb") as f:
                    f.write(self._bytes)
                return self._predict_files(os.path.join(tmp, "model.genre"), paths, segments, threads, progress)
        return self._predict_files(self.path, paths, segments, threads, progress)

    def _predict_files(self, model, paths, segments, threads, progress):
        models = [model]
        out = ctypes.c_void_p()
        rc, text = _lib.run_command(lib.gapi_predict_files, _lib.strings(models), 1, _lib.strings(paths), len(paths),
                                    int(bool(segments)), int(threads or os.cpu_count() or 1),
                                    _lib.encode(self._labels) if self._labels else None, ctypes.byref(out),
                                    show=progress)
        csv = ctypes.string_at(out.value).decode() if out.value else ""
        lib.gapi_free(out)
        if rc == 1 or not csv:
            raise _lib.InputError(_lib.last_error(text, "genre predict failed"))
        if rc == 2:
            import warnings
            warnings.warn("genre predict: some inputs failed:\n" + text.strip(), stacklevel=2)
        return pd.read_csv(io.StringIO(csv), keep_default_na=False, na_values=[""])


def _check_finite(x, what):
    bad = ~np.isfinite(x)
    if bad.any():
        at = int(np.argwhere(bad)[0][0])
        raise ValueError(f"{what} {at} holds a NaN or Inf")
    if x.shape[0] == 0:
        raise ValueError(f"no {what}s given (an empty array)")


def load(path, labels=None, threads=None):
    """A model file: ours (genre train, experiment --save-models) or an .onnx graph
    (genre export; its classes from the card NAME.json beside it, or labels=[...]).
    Returns a Model: .classes, .kind, .inputs, .predict_proba(X), .predict(X),
    .predict_files(paths), .embed(X)."""
    return Model(path, labels=labels, threads=threads)
