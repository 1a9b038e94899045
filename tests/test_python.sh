#!/bin/bash
# import genre (experiments/python) against bin/genre: tests/python/test_genre.py under
# Debian's pytest, with the package make python installed in build/venv.
# Ends with "N passed, N failed". The sanitizer build (SAN=1) has no libgenre.so to load
# into Python: it skips, saying so.
venv=${GENRE_VENV:-build/venv}
if [[ "${GENRE_BIN:-bin/genre}" == *build/san/* ]]; then
  echo "# import genre: not under the sanitizers (the package loads the plain build's libgenre.so)"
  echo "0 passed, 0 failed"; exit 0
fi
if ! "$venv/bin/python3" -c 'import genre' 2>/dev/null; then
  echo "FAIL import genre: not importable in $venv (make python installs it)"
  echo "0 passed, 1 failed"; exit 1
fi
if ! "$venv/bin/python3" -c 'import pytest, matplotlib' 2>/dev/null; then
  echo "# import genre: skipped: Debian's python3-pytest and python3-matplotlib are missing (make test-deps installs them)"
  echo "0 passed, 0 failed"; exit 0
fi
out=$(GENRE_BIN=$(realpath "${GENRE_BIN:-bin/genre}") "$venv/bin/python3" -m pytest -q -p no:cacheprovider \
      tests/python 2>&1)
rc=$?
echo "$out" | grep -v '^\s*$' | tail -n 40
last=$(echo "$out" | tail -n 1)
passed=$(echo "$last" | grep -o '[0-9]* passed' | grep -o '[0-9]*')
failed=$(( $(echo "$last" | grep -o '[0-9]* failed' | grep -o '[0-9]*' || echo 0) + \
           $(echo "$last" | grep -o '[0-9]* error' | grep -o '[0-9]*' || echo 0) ))
[ -n "$passed" ] || passed=0
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
