# Fieldpost: `make run` and `make test` are the two set-up commands (see README.md).
# Every install step lives here; each target is idempotent and cheap when nothing changed.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ./data

# Debian packages the test suite needs, one per line.
DEB_PACKAGES := \
	python3-venv \
	swaks \
	isync \
	offlineimap3 \
	mutt \
	fetchmail \
	getmail6 \
	dovecot-core \
	dovecot-imapd \
	dovecot-pop3d \
	spamd \
	clamav-daemon \
	clamav-milter \
	sieve-connect \
	php-cli \
	lftp \
	curl \
	chromium \
	vdirsyncer \
	khal \
	khard

.PHONY: deps postgres venv check test run bench-deps messages

## deps: Debian packages for the tests (installed only when missing) and PostgreSQL on 127.0.0.1:5432
deps: postgres
	@missing=""; \
	for pkg in $(DEB_PACKAGES); do \
		dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		dpkg -s postgresql >/dev/null 2>&1 || \
			{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }; \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n 1) main start; \
		for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
		pg_isready -h 127.0.0.1 -p 5432; \
	fi

# Debian packages of the benchmarks' peers only (bench/README.md); not part of `make test`.
BENCH_PACKAGES := \
	dovecot-core \
	dovecot-imapd \
	dovecot-pop3d \
	roundcube-core \
	roundcube-sqlite3 \
	php-fpm \
	php-sqlite3 \
	nginx-light \
	strace

## bench-deps: the peers bench/*.py measure against (Dovecot, Roundcube with php-fpm and nginx, Radicale from
## bench/requirements.txt), when missing. Their services are not started (the benches run private instances
## on loopback ports).
bench-deps: venv
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@missing=""; \
	for pkg in $(BENCH_PACKAGES); do \
		dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

## venv: .venv with the pinned requirements and fieldpost itself (editable); redone when they change
venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## check: lint, format and type checks
check: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy storage filters mailflow fieldpost sidecars webmail webadmin wsgi.py

## test: everything CI runs (pytest exit 5, "no tests collected", counts as success; the 40 slowest
## tests are listed at the end, to keep the suite near its 30-minute budget on 2 cores).
## The sources are compiled first: with PYTHONDONTWRITEBYTECODE set (as on CI's machines) every one of
## the hundreds of processes the tests start would otherwise compile them again (~0.3 s of CPU each).
## Whole files go to one worker (--dist loadfile) so a module's servers start once, not once per worker.
test: deps venv check
	$(BIN)/python -m compileall -q -j 0 storage filters mailflow fieldpost sidecars webmail webadmin tests wsgi.py > /dev/null
	$(BIN)/pytest -n 2 --dist loadfile --durations=40; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

## run: a demo data directory (made once) and every service in the foreground
run: venv
	@test -e $(DATA) || $(BIN)/fieldpost init --data $(DATA) --demo --admin-password fieldpost-admin --demo-password fieldpost-demo
	$(BIN)/fieldpost serve --data $(DATA)

## messages: extract WebMail's strings, update every catalog, complete English, compile (commit the result)
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output --project Fieldpost -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-wrap --ignore-obsolete
	$(BIN)/python locales/fill_english.py
	$(BIN)/pybabel compile -d locales --statistics
