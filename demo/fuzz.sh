#!/bin/sh
# make fuzz: schemathesis over both APIs, every check, against a live server (gunicorn, the
# production settings over plain http) on a throwaway SQLite database with a seeded store.
# FUZZ_EXAMPLES (default 100) examples per operation, generated deterministically (the same
# cases each run); FUZZ_PHASES to run only some (examples,coverage,fuzzing,stateful).
# Prints each operation's cases and failures; exits non-zero on any failure.
set -eu
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${FUZZ_PORT:-8765}
DIR=var/fuzz
rm -rf "$DIR" && mkdir -p "$DIR"

export DATABASE_URL="sqlite:///$PWD/$DIR/db.sqlite3"
export DEBUG=false SECURE_SSL_REDIRECT=false SECURE_COOKIES=false
export ALLOWED_HOSTS=127.0.0.1 SMS_BACKEND=locmem
export MEDIA_ROOT="$PWD/$DIR/media" STATIC_ROOT="$PWD/$DIR/static"
export EMAIL_URL=dummymail://
export SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
# Throttles high enough that the fuzzer reaches the code behind them (429s have their own tests).
export THROTTLE_SEND_CODE=1000000/hour THROTTLE_LOGIN=1000000/minute
export THROTTLE_LOGIN_IDENTITY=1000000/hour THROTTLE_CHECKOUT=1000000/hour
export THROTTLE_API=1000000/minute

$PY manage.py migrate --noinput >/dev/null
$PY manage.py collectstatic --noinput >/dev/null  # the console's 404 page, for unknown paths
$PY manage.py fuzz_setup --config "$DIR/schemathesis.toml" \
    --examples "${FUZZ_EXAMPLES:-100}"

.venv/bin/gunicorn config.wsgi --bind "127.0.0.1:$PORT" --workers 2 --threads 4 \
    --log-level warning >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT INT TERM

set +e
# PYTHONPATH: the configuration names its hooks module, demo.fuzz_hooks.
PYTHONPATH="$PWD" .venv/bin/schemathesis --config-file "$DIR/schemathesis.toml" run \
    "http://127.0.0.1:$PORT/api/schema/" --wait-for-schema 30 --checks all --workers 1 \
    ${FUZZ_PHASES:+--phases "$FUZZ_PHASES"} --report ndjson --report-dir "$DIR"
STATUS=$?
set -e
$PY demo/fuzz_report.py "$DIR"/*.ndjson || STATUS=1
exit $STATUS
