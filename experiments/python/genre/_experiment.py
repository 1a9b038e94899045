"""genre.experiment: the command's experiment, in this process, its metrics as a dict."""
import json
import os
import tempfile

from . import _lib
from ._lib import lib


class ExperimentResult(dict):
    """metrics.json as a dict, with .output (the report's directory) and .report (its report.html)."""
    output = None
    report = None


def experiment(data=None, models=None, folds=None, output=None, features=None, seed=None, tune=False, repeats=None,
               protocol=None, options=(), progress=None):
    """Runs `genre experiment` (every listed model on the same track-grouped folds,
    compared pair by pair) and returns its metrics.json as a dict.

    data: what genre extract wrote (a folder with features_3_sec.csv and mel/); or
    features: a feature table alone (feature models only).
    models: a list or comma-separated string of ann, cnn, svm, knn, logreg, gbdt, rf
        (KIND:PRESET for a preset) and ensemble; default: the command's.
    folds, seed, repeats, protocol ('grouped-kfold', 'random-split' or 'split:DIR'),
    tune (nested tuning): as the command's options; options: any further
    command-line options, e.g. ["--epochs", "20"].
    output: the report's directory (default: a new temporary one).
    progress: the command's progress lines (default: on a terminal or in a notebook).

    The result has .output and .report (report.html's path). Ctrl-C stops it at the
    next fold; a failure raises genre.GenreError with the command's message.
    """
    if (data is None) == (features is None):
        raise ValueError("genre.experiment: data= (an extract folder) or features= (a table), one of them")
    output = os.fspath(output) if output else tempfile.mkdtemp(prefix="genre-experiment-")
    argv = ["genre", "experiment", "--data" if data is not None else "--features", os.fspath(data or features), "-o", output]
    if models is not None:
        argv += ["--models", models if isinstance(models, str) else ",".join(models)]
    for flag, value in (("--folds", folds), ("--seed", seed), ("--repeats", repeats), ("--protocol", protocol)):
        if value is not None:
            argv += [flag, str(value)]
    if tune:
        argv.append("--tune")
    argv += [str(o) for o in options]
    status, text = _lib.run_command(lib.gapi_command, len(argv), _lib.strings(argv), show=progress)
    metrics = os.path.join(output, "metrics.json")
    if status != 0 or not os.path.exists(metrics):
        raise _lib.GenreError(_lib.last_error(text, "genre experiment failed"))
    with open(metrics) as f:
        result = ExperimentResult(json.load(f))
    result.output, result.report = output, os.path.join(output, "report.html")
    return result
