# Two commands do all set-up on a fresh machine:
#   make demo   install, fetch the bundled sample feeds, build the sample issue
#   make test   install (with test tools, Debian's chromium, postgresql, spamassassin and a Java
#               runtime, and the npm tools in package-lock.json), then ruff, mypy --strict
#               and pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ISSUE ?= issues/2026-11-27.yaml

.PHONY: demo test install browser postgres spamassassin tools corpus lint typecheck pytest clean

$(BIN)/newsletter: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/newsletter

demo: install
	$(BIN)/newsletter fetch
	$(BIN)/newsletter build $(ISSUE)
	@echo
	@echo "Open the email in a browser:  build/$$(basename $(ISSUE) .yaml)/email.html"
	@echo "Read the plain-text version:  build/$$(basename $(ISSUE) .yaml)/email.txt"

lint: install
	$(BIN)/ruff check newsletter tests bench
	$(BIN)/ruff format --check newsletter tests bench

typecheck: install
	$(BIN)/mypy --strict newsletter

# The browser tests drive Debian's chromium (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core; }

# The store's tests also run against a throwaway PostgreSQL server, which tests/conftest.py
# starts as an unprivileged user on 127.0.0.1 from Debian's packages.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

# The spam score (`check --deliverability`) and its tests run Debian's SpamAssassin offline.
spamassassin:
	@command -v spamassassin >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq spamassassin; }

# The accessibility and HTML tests: axe-core (run in chromium) and the Nu HTML Checker (a
# Java program), pinned in package-lock.json; no install script runs (vnu's would download a
# Java of its own: Debian's is used instead).
tools: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	@command -v java >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# feedparser's own test corpus (about 2,200 feeds nobody here wrote), from its source
# distribution, for the robustness test in tests/test_corpus.py.
CORPUS := .cache/feedparser-6.0.12/tests
corpus: $(CORPUS)
$(CORPUS): | install
	mkdir -p .cache
	$(BIN)/python -m pip download --quiet --no-deps --no-binary :all: feedparser==6.0.12 -d .cache
	tar -xzf .cache/feedparser-6.0.12.tar.gz -C .cache feedparser-6.0.12/tests

pytest: install browser postgres spamassassin tools corpus
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf build data site node_modules .pytest_cache .mypy_cache .ruff_cache
