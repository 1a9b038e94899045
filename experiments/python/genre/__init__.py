"""genre: music genre classification from Python, over the same C library as the
`genre` command: librosa 0.10.1's features (GTZAN's Kaggle schema) and log-mel
spectrograms, the ANN, the CNN and classical baselines as scikit-learn estimators,
and the experiment that compares them on track-grouped folds.

    import genre
    t = genre.extract("genres_original")          # features_3_sec, features_30_sec, mel, errors
    clf = genre.ANNClassifier(epochs=50, seed=1).fit(t.features_3_sec.drop(columns="label"),
                                                      t.features_3_sec["label"])
    clf.save("ann.genre")                          # what `genre predict -m ann.genre` reads
    m = genre.load("ann.genre"); m.predict_files(["song.wav"])

Functions: extract, load, experiment. Estimators: ANNClassifier, CNNClassifier,
KNNClassifier, SVMClassifier, LogRegClassifier, GBDTClassifier, RFClassifier.
Errors: GenreError (a failed command), InputError (also a ValueError: an input
refused), FileNotFoundError. Long calls release the GIL; Ctrl-C stops them.
"""
from ._lib import FEATURE_NAMES, GenreError, InputError
from ._extract import Extraction, extract
from ._models import Model, load
from ._estimators import (ANNClassifier, CNNClassifier, GBDTClassifier, KNNClassifier, LogRegClassifier,
                          RFClassifier, SVMClassifier)
from ._experiment import ExperimentResult, experiment

__version__ = "0.9"
__all__ = ["extract", "load", "experiment", "Extraction", "Model", "ExperimentResult", "ANNClassifier",
           "CNNClassifier", "KNNClassifier", "SVMClassifier", "LogRegClassifier", "GBDTClassifier", "RFClassifier",
           "GenreError", "InputError", "FEATURE_NAMES"]
