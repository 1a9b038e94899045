"""import genre against the command: the same tables, spectrograms, model files and
probabilities; scikit-learn's model selection; errors, threads and Ctrl-C.
Run by tests/test_python.sh (make test) with the package make python installed."""
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
import wave

import numpy as np
import pandas as pd
import pytest

import genre

GENRE = os.path.abspath(os.environ.get("GENRE_BIN", "bin/genre"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run(*args, **kw):
    return subprocess.run([GENRE, *map(str, args)], check=True, capture_output=True, text=True, **kw)


def read_table(path):
    return pd.read_csv(path, float_precision="round_trip", keep_default_na=False)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """A synthetic corpus (3 tracks of 9 s per style) and what genre extract wrote of it."""
    top = tmp_path_factory.mktemp("corpus")
    run("synth", "-o", top, "-n", 3, "-s", 9)
    run("extract", "-o", top / "out", "-j", 2, top / "genres_original")
    return top


@pytest.fixture(scope="session")
def extracted(corpus):
    return genre.extract(str(corpus / "genres_original"), jobs=2)


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.view(np.uint32), b.view(np.uint32))


# --- extract ------------------------------------------------------------------------

def test_extract_folder_equals_the_command(corpus, extracted):
    assert extracted.features_3_sec.equals(read_table(corpus / "out" / "features_3_sec.csv"))
    assert extracted.features_30_sec.equals(read_table(corpus / "out" / "features_30_sec.csv"))
    assert extracted.errors == []
    assert len(extracted.mel) == 30
    for name, mel in extracted.mel.items():
        assert same_bits(mel, np.load(corpus / "out" / "mel" / (name[:-4] + ".npy"))), name


def test_extract_single_file(corpus):
    path = corpus / "genres_original" / "waltz" / "waltz.00001.wav"
    t3, t30, mel, errors = genre.extract(str(path))
    table = read_table(corpus / "out" / "features_3_sec.csv")
    assert t3.equals(table[table.filename.str.startswith("waltz.00001.")].reset_index(drop=True))
    assert mel.dtype == np.float32 and mel.shape == (3, 128, 130) and errors == []


def write_wav(path, x, rate):
    """int16 PCM of x [channels, n] in [-1, 1)."""
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[0]), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm.T.tobytes())
    return pcm


@pytest.mark.parametrize("rate,channels", [(22050, 1), (44100, 2)])
def test_extract_array_equals_the_command_on_its_file(tmp_path, rate, channels):
    t = np.arange(int(7.3 * rate)) / rate
    rng = np.random.default_rng(rate)
    x = np.stack([0.3 * np.sin(2 * np.pi * (220 + 110 * c) * t) * (1 + np.sin(3 * t)) / 2 +
                  0.05 * rng.standard_normal(t.size) for c in range(channels)])
    (tmp_path / "tones").mkdir()
    pcm = write_wav(tmp_path / "tones" / "take.wav", x, rate)
    run("extract", "-o", tmp_path / "out", tmp_path / "tones" / "take.wav")
    samples = pcm.astype(np.float32) / 32768  # what libsndfile decodes
    got = genre.extract(samples if channels > 1 else samples[0], sr=rate, name="take.wav", label="tones")
    assert got.features_3_sec.equals(read_table(tmp_path / "out" / "features_3_sec.csv"))
    assert got.features_30_sec.equals(read_table(tmp_path / "out" / "features_30_sec.csv"))
    assert same_bits(got.mel, np.load(tmp_path / "out" / "mel" / "take.npy"))


def test_bad_file_raises_with_its_name_and_a_folder_goes_on(tmp_path, corpus):
    bad = tmp_path / "music" / "bad.wav"
    bad.parent.mkdir()
    bad.write_bytes(b"not audio at all" * 10)
    with pytest.raises(genre.InputError, match=re.escape(str(bad))):
        genre.extract(str(bad))
    with pytest.raises(FileNotFoundError):
        genre.extract(str(tmp_path / "missing.wav"))
    good = corpus / "genres_original" / "dub" / "dub.00000.wav"
    (tmp_path / "music" / "dub.00000.wav").symlink_to(good)
    t = genre.extract(str(tmp_path / "music"))
    assert [e[0] for e in t.errors] == [str(bad)] and "not a WAV" in t.errors[0][1]
    assert list(t.features_30_sec.filename) == ["dub.00000.wav"]


@pytest.mark.parametrize("array,why", [
    (np.array([0.1, np.nan, 0.2] * 30000, dtype=np.float32), "NaN"),
    (np.zeros((2, 3, 4000), dtype=np.float32), "3-D"),
    (np.zeros(0, dtype=np.float32), "empty"),
    (np.zeros(50000, dtype=np.int16), "integer"),
    (np.zeros((66150, 2), dtype=np.float32), "channels"),
])
def test_bad_arrays_raise_value_errors(array, why):
    with pytest.raises(ValueError, match=why):
        genre.extract(array, sr=22050)


def test_two_threads_extract_at_once(tmp_path):
    """The GIL is released inside the library: while two extractions run, the main
    thread keeps running Python, and the two calls overlap in time."""
    x = (0.1 * np.sin(np.arange(22050 * 60) * 0.05)).astype(np.float32)
    spans, stamps, results = {}, [], {}

    def work(k):
        start = time.monotonic()
        results[k] = genre.extract(x, sr=22050)
        spans[k] = (start, time.monotonic())

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        stamps.append(time.monotonic())
    for t in threads:
        t.join()
    (a0, a1), (b0, b1) = spans[0], spans[1]
    assert max(a0, b0) < min(a1, b1)  # both inside the library at once
    assert any(a0 < s < a1 for s in stamps) and any(b0 < s < b1 for s in stamps)
    assert results[0].features_3_sec.equals(results[1].features_3_sec)


# --- estimators -------------------------------------------------------------------------

def test_ann_fit_save_is_genre_train(tmp_path, corpus):
    csv = corpus / "out" / "features_3_sec.csv"
    run("train", "ann", "--features", csv, "-o", tmp_path / "cmd.genre", "--epochs", 8, "--seed", 4)
    df = read_table(csv)
    clf = genre.ANNClassifier(epochs=8, seed=4).fit(df.drop(columns="label"), df["label"], source=str(csv))
    clf.save(tmp_path / "py.genre")
    assert (tmp_path / "py.genre").read_bytes() == (tmp_path / "cmd.genre").read_bytes()
    again = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(again.predict_proba(df), clf.predict_proba(df))
    song = str(corpus / "genres_original" / "piano" / "piano.00001.wav")
    assert again.model_.predict_files([song]).equals(genre.load(tmp_path / "py.genre").predict_files([song]))


def test_cnn_fit_save_is_genre_train(tmp_path, corpus, extracted):
    run("train", "cnn", "--mel", corpus / "out", "-o", tmp_path / "cmd.genre", "--epochs", 1, "--seed", 2)
    X = np.concatenate(list(extracted.mel.values()))
    tracks = [name[:-4] for name, m in extracted.mel.items() for _ in range(len(m))]
    clf = genre.CNNClassifier(epochs=1, seed=2).fit(X, extracted.features_3_sec["label"], groups=tracks,
                                                     source=str(corpus / "out"))
    clf.save(tmp_path / "py.genre")
    assert (tmp_path / "py.genre").read_bytes() == (tmp_path / "cmd.genre").read_bytes()
    assert clf.predict_proba(X[:5]).shape == (5, 10)


def test_scikit_learn_model_selection(extracted):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
    X = extracted.features_3_sec.drop(columns="label")
    y = extracted.features_3_sec["label"]
    tracks = X.filename.str.rsplit(".", n=2).str[0]
    scores = cross_val_score(genre.ANNClassifier(epochs=20, seed=1), X, y, groups=tracks, cv=GroupKFold(3))
    assert len(scores) == 3 and all(0 <= s <= 1 for s in scores)
    search = GridSearchCV(genre.SVMClassifier(), {"C": [0.5, 4.0]}, cv=GroupKFold(3)).fit(X, y, groups=tracks)
    assert search.best_params_["C"] in (0.5, 4.0) and 0 <= search.best_score_ <= 1
    assert clone(genre.KNNClassifier(k=3)).get_params()["k"] == 3
    assert set(search.best_estimator_.classes_) == set(y)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    numbers = X.drop(columns=["filename", "length"]).to_numpy()
    pipe = make_pipeline(StandardScaler(), genre.LogRegClassifier(C=2.0)).fit(numbers, y)
    assert 0 <= pipe.score(numbers, y) <= 1


def test_training_errors_carry_the_command_message(extracted):
    X = extracted.features_3_sec.drop(columns="label")
    with pytest.raises(genre.InputError, match="label"):
        genre.ANNClassifier(epochs=1).fit(X, ["blues"] * len(X))
    with pytest.raises(genre.InputError, match="--arch"):
        genre.ANNClassifier(arch="no-such-preset").fit(X, extracted.features_3_sec["label"])


# --- models ------------------------------------------------------------------------------

def test_load_native_and_onnx_give_genre_predicts_probabilities(tmp_path, corpus, extracted):
    csv = corpus / "out" / "features_3_sec.csv"
    run("train", "ann", "--features", csv, "-o", tmp_path / "ann.genre", "--epochs", 10, "--seed", 1)
    run("export", "-m", tmp_path / "ann.genre", "-o", tmp_path / "ann.onnx")
    files = [str(corpus / "genres_original" / g / f"{g}.00002.wav") for g in ("piano", "dub", "chiptune")]
    for model in ("ann.genre", "ann.onnx"):
        printed = pd.read_csv(__import__("io").StringIO(
            run("predict", "-m", tmp_path / model, "--format", "csv", *files).stdout))
        m = genre.load(tmp_path / model)
        assert m.kind == "ann" and len(m.classes) == 10 and m.inputs == genre.FEATURE_NAMES
        assert m.predict_files(files).equals(printed)
        for i, f in enumerate(files):
            rows = extracted.features_3_sec[extracted.features_3_sec.filename.str.startswith(
                os.path.basename(f)[:-4] + ".")]
            track = m.predict_proba(rows).mean(axis=0)
            assert np.allclose(track, printed[[f"p_{c}" for c in m.classes]].iloc[i], rtol=1e-6, atol=1e-8)
    per_segment = genre.load(tmp_path / "ann.genre").predict_files(files, segments=True)
    assert len(per_segment) == 9 and per_segment.equals(pd.read_csv(__import__("io").StringIO(
        run("predict", "-m", tmp_path / "ann.genre", "--format", "csv", "--segments", *files).stdout)))
    shared, rows = genre.load(tmp_path / "ann.genre"), extracted.features_3_sec
    alone = shared.predict_proba(rows)
    together = [None] * 4
    threads = [threading.Thread(target=lambda k=k: together.__setitem__(k, shared.predict_proba(rows)))
               for k in range(4)]
    [t.start() for t in threads], [t.join() for t in threads]
    assert all(np.array_equal(alone, p) for p in together)  # one model shared by threads
    emb = genre.load(tmp_path / "ann.genre").embed(extracted.features_3_sec.iloc[:4])
    assert emb.dtype == np.float32 and emb.shape[0] == 4


def test_experiment_returns_its_metrics(tmp_path, corpus):
    res = genre.experiment(data=str(corpus / "out"), models=["ann", "logreg"], folds=3, output=tmp_path / "rep",
                           options=["--epochs", "5"])
    assert set(res["models"]) >= {"ann", "logreg"} and os.path.exists(res.report)
    with pytest.raises(genre.GenreError, match="no-such-kind"):
        genre.experiment(data=str(corpus / "out"), models="no-such-kind", output=tmp_path / "bad")


def interrupt_after_a_second(setup, call, report="''", timeout=300):
    """Runs setup, then call with SIGINT sent a second in: the outcome and `report`."""
    script = f"""
import os, signal, threading, numpy as np, pandas as pd, genre
{setup}
threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    {call}
    print("finished")
except KeyboardInterrupt:
    print("interrupted")
print({report})
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    return out.stdout.split(), out.stderr


def test_ctrl_c_stops_a_fit(corpus):
    """A fit of 4,500 rows for 100,000 epochs would run for most of an hour: Ctrl-C
    stops it at its next epoch (else the timeout fails the test)."""
    setup = f"""df = pd.read_csv({str(corpus / 'out' / 'features_3_sec.csv')!r})
df = pd.concat([df] * 50, ignore_index=True)"""
    lines, err = interrupt_after_a_second(
        setup, 'genre.ANNClassifier(epochs=100000, seed=1).fit(df.drop(columns="label"), df["label"])')
    assert lines == ["interrupted"], err


def test_ctrl_c_stops_an_extraction(tmp_path, corpus):
    """600 files: Ctrl-C a second in stops the extraction with most of them never started."""
    files = sorted((corpus / "genres_original").rglob("*.wav"))
    for k in range(600):
        (tmp_path / f"take{k:03d}.wav").symlink_to(files[k % len(files)])
    setup = """import genre._extract as x
started = []
run_one = x._run_one
x._run_one = lambda *a: (started.append(1), run_one(*a))[1]"""
    lines, err = interrupt_after_a_second(setup, f"genre.extract({str(tmp_path)!r}, jobs=2)", "len(started)")
    assert lines[0] == "interrupted" and int(lines[1]) < 400, (lines, err)


def test_help_documents_the_api():
    for f in (genre.extract, genre.load, genre.experiment, genre.ANNClassifier, genre.Model.predict_proba):
        assert f.__doc__ and len(f.__doc__) > 40


# --- README's example, exactly as written ----------------------------------------------------

def test_readme_example_runs_as_written(tmp_path, corpus):
    text = open(os.path.join(ROOT, "README.md")).read()
    block = re.search(r"<!-- python example -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README's python example (after <!-- python example -->) not found"
    (tmp_path / "data" / "synthetic").mkdir(parents=True)
    os.symlink(corpus / "genres_original", tmp_path / "data" / "synthetic" / "genres_original")
    env = dict(os.environ, MPLBACKEND="Agg")
    out = subprocess.run([sys.executable, "-c", block.group(1)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "accuracy" in out.stdout and (tmp_path / "confusion.png").stat().st_size > 1000
