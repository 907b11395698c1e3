# Every target bootstraps what it needs (uv, the locked virtualenv, Message DB) on a fresh clone.
UV := scripts/uv
export CMAKE_BUILD_PARALLEL_LEVEL ?= 2
RUN := $(UV) run --frozen --quiet

.PHONY: bootstrap demo test lint format typecheck message-db bench

bootstrap:
	@$(UV) sync --frozen --quiet

message-db:
	@scripts/install-message-db.sh

## The README's first command, through the bootstrap wrapper.
demo:
	@./cortex run "What is 12*7? Use the calculator."

lint: bootstrap
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: bootstrap
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: bootstrap
	$(RUN) mypy

## The whole test suite: lint, types, then pytest in parallel. Exit code 5 (no tests ran) fails.
test: bootstrap message-db lint typecheck
	@$(RUN) pytest -n auto $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

bench: bootstrap message-db
	$(RUN) python bench/store_throughput.py
	$(RUN) python bench/step_overhead.py
