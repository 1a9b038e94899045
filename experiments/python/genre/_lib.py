"""The C library (libgenre.so) through ctypes: loading, signatures, errors,
and the runner that executes a long call in a worker thread while the calling
thread relays the library's output and turns Ctrl-C into a clean stop."""
import ctypes
import errno
import os
import select
import sys
import threading

from ctypes import POINTER, c_char_p, c_double, c_float, c_int, c_long, c_size_t, c_void_p


class GenreError(ValueError):
    """The library refused or failed a call; the message is the command's own."""


class InputError(GenreError):
    """An input the library refused: an audio file, a table, an array, a model file."""


def _find_library():
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("GENRE_LIB", ""), os.path.join(here, "libgenre.so"),
                  os.path.join(here, "..", "..", "..", "build", "libgenre.so")]
    for path in candidates:
        if path and os.path.isfile(path):
            return path
    raise ImportError("libgenre.so not found next to the package (build it with `make python`) "
                      "nor at $GENRE_LIB")


lib = ctypes.CDLL(_find_library())

_SIGNATURES = {
    "gapi_feature_count": (c_int, []),
    "gapi_feature_name": (c_char_p, [c_int]),
    "gapi_mel_bands": (c_int, []),
    "gapi_segment_frames": (c_int, []),
    "gapi_segment_samples": (c_long, []),
    "gapi_extractor_new": (c_void_p, []),
    "gapi_extractor_free": (None, [c_void_p]),
    "gapi_extract": (c_int, [c_void_p, c_char_p, c_void_p, c_size_t, c_int, c_int, POINTER(c_int), c_void_p,
                             c_char_p, c_size_t]),
    "gapi_inputs": (c_void_p, [POINTER(c_char_p), c_int, c_char_p, c_char_p, c_size_t]),
    "gapi_inputs_count": (c_size_t, [c_void_p]),
    "gapi_inputs_skipped": (c_size_t, [c_void_p]),
    "gapi_input": (c_char_p, [c_void_p, c_size_t, c_int]),
    "gapi_inputs_free": (None, [c_void_p]),
    "gapi_model_open": (c_void_p, [c_char_p, c_char_p, c_int, c_char_p, c_size_t]),
    "gapi_model_free": (None, [c_void_p]),
    "gapi_model_count": (c_int, [c_void_p]),
    "gapi_model_text": (c_char_p, [c_void_p, c_int, c_char_p]),
    "gapi_model_classes": (c_int, [c_void_p]),
    "gapi_model_label": (c_char_p, [c_void_p, c_int]),
    "gapi_model_features": (c_size_t, [c_void_p, c_int]),
    "gapi_model_feature": (c_char_p, [c_void_p, c_int, c_size_t]),
    "gapi_model_shape": (None, [c_void_p, c_int, POINTER(c_int), POINTER(c_int), POINTER(c_int)]),
    "gapi_model_proba": (c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_char_p, c_size_t]),
    "gapi_model_embed_layer": (c_int, [c_void_p, c_int]),
    "gapi_model_embed_dim": (c_size_t, [c_void_p, c_int]),
    "gapi_model_embed": (c_int, [c_void_p, c_int, c_void_p, c_void_p, c_size_t, c_void_p, c_char_p, c_size_t]),
    "gapi_predict_files": (c_int, [POINTER(c_char_p), c_int, POINTER(c_char_p), c_int, c_int, c_int, c_char_p,
                                   POINTER(c_void_p)]),
    "gapi_train_features": (c_int, [c_int, POINTER(c_char_p), c_void_p, c_size_t, c_size_t, POINTER(c_char_p),
                                    POINTER(c_char_p), POINTER(c_char_p), c_char_p, c_size_t]),
    "gapi_train_mel": (c_int, [c_int, POINTER(c_char_p), c_void_p, c_size_t, POINTER(c_char_p), POINTER(c_char_p),
                               c_char_p, c_size_t]),
    "gapi_command": (c_int, [c_int, POINTER(c_char_p)]),
    "gapi_redirect": (c_int, [c_int, c_int]),
    "gapi_restore": (None, []),
    "gapi_stop": (None, [c_int]),
    "gapi_free": (None, [c_void_p]),
}
for _name, (_res, _args) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.restype, _fn.argtypes = _res, _args


class _SingleBlas:
    """OpenBLAS on one thread while any call of the library runs (the command's
    setting: its figures depend on it to the last bit), the caller's setting back
    when the last one ends. The library's OpenBLAS is numpy's too."""

    def __init__(self):
        self._lock, self._active, self._saved = threading.Lock(), 0, None
        self._get = getattr(lib, "openblas_get_num_threads", None)
        self._set = getattr(lib, "openblas_set_num_threads", None)
        if self._set is not None:
            self._set.argtypes, self._set.restype = [c_int], None

    def __enter__(self):
        with self._lock:
            if self._active == 0 and self._set is not None:
                self._saved = self._get() if self._get is not None else None
                self._set(1)
            self._active += 1

    def __exit__(self, *exc):
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._set is not None and self._saved:
                self._set(self._saved)


single_blas = _SingleBlas()


class Extraction(ctypes.Structure):
    _fields_ = [("segments", c_size_t), ("samples", c_size_t), ("missing", c_double),
                ("rows", POINTER(c_double)), ("whole", POINTER(c_double)), ("mel", POINTER(c_float))]


FEATURE_NAMES = [lib.gapi_feature_name(c).decode() for c in range(lib.gapi_feature_count())]
MEL_BANDS = lib.gapi_mel_bands()
SEGMENT_FRAMES = lib.gapi_segment_frames()
SEGMENT_SAMPLES = lib.gapi_segment_samples()


def encode(s):
    return os.fsencode(s) if isinstance(s, (str, bytes, os.PathLike)) else str(s).encode()


def strings(items):
    """A C array of char* for items (kept alive by the array's _keep)."""
    data = [encode(s) for s in items]
    arr = (c_char_p * max(len(data), 1))(*data)
    arr._keep = data
    return arr


def error_buffer():
    return ctypes.create_string_buffer(4400)


def raise_for(message, path=None):
    """The command's message as an exception: a missing file is FileNotFoundError."""
    if "no such file" in message:
        raise FileNotFoundError(errno.ENOENT, message, path)
    if "permission denied" in message:
        raise PermissionError(errno.EACCES, message, path)
    raise InputError(message)


def interactive():
    """Progress is shown on a terminal or in a notebook, quietly otherwise."""
    try:
        return sys.stderr.isatty() or "ipykernel" in sys.modules
    except (AttributeError, ValueError):
        return False


_command_lock = threading.Lock()  # the C side's stdout/stderr and getopt are process-wide


def run_command(fn, *args, show=None):
    """fn(*args) (a ctypes call: the GIL is released) in a worker thread, the
    library's stdout and stderr relayed (show: None on a terminal or in a
    notebook) and stderr's text kept. Ctrl-C asks the library to stop at its
    next epoch or fold, waits, and raises KeyboardInterrupt. (result, stderr)."""
    show = interactive() if show is None else show
    with _command_lock, single_blas:
        r_out, w_out = os.pipe()
        r_err, w_err = os.pipe()
        if lib.gapi_redirect(w_out, w_err):
            for fd in (r_out, w_out, r_err, w_err):
                os.close(fd)
            raise OSError("cannot redirect the library's output")
        os.close(w_out), os.close(w_err)
        box = []
        worker = threading.Thread(target=lambda: box.append(_outcome(lambda: fn(*args))), daemon=True)
        interrupted = False
        kept = []
        worker.start()
        try:
            while True:
                try:
                    _relay(r_out, r_err, worker, show, kept)
                    break
                except KeyboardInterrupt:
                    interrupted = True
                    lib.gapi_stop(1)
        finally:
            os.close(r_out), os.close(r_err)
            lib.gapi_stop(0)
    ok, value = box[0]
    if not ok:
        raise value  # a ctypes argument error
    if interrupted:
        raise KeyboardInterrupt
    return value, b"".join(kept).decode(errors="replace")


def _relay(r_out, r_err, worker, show, kept):
    """Copies the pipes until the worker is done and both are at their end."""
    open_fds, restored = {r_out, r_err}, False
    while open_fds:
        if not restored and not worker.is_alive():
            worker.join()
            lib.gapi_restore()  # closes the library's ends: the pipes reach their end
            restored = True
        ready, _, _ = select.select(list(open_fds), [], [], 0.1)
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:
                open_fds.discard(fd)
                continue
            if fd == r_err:
                kept.append(data)
            if show:
                stream = sys.stdout if fd == r_out else sys.stderr
                stream.write(data.decode(errors="replace"))
                stream.flush()


def interruptible(fn, cancel):
    """fn() in a worker thread, the caller waiting: Ctrl-C sets cancel (a ctypes int
    the library polls), waits for fn to stop, and raises KeyboardInterrupt."""
    box = []
    worker = threading.Thread(target=lambda: box.append(_outcome(fn)), daemon=True)
    worker.start()
    interrupted = False
    while worker.is_alive():
        try:
            worker.join(0.1)
        except KeyboardInterrupt:
            interrupted = True
            cancel.value = 1
    if interrupted:
        raise KeyboardInterrupt
    ok, value = box[0]
    if not ok:
        raise value
    return value


def _outcome(fn):
    try:
        return True, fn()
    except BaseException as e:
        return False, e


def last_error(text, default):
    """The command's reason: the last line it printed on stderr that is not a hint
    such as "(genre train ann --help lists the options)", or default."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("(")]
    return lines[-1] if lines else default
