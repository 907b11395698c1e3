# Every target bootstraps what it needs (uv, the locked virtualenv, Message DB) on a fresh clone.
UV := scripts/uv
RUN := $(UV) run --frozen --quiet

.PHONY: bootstrap demo test lint format typecheck message-db bench

bootstrap:
	@$(UV) sync --frozen --quiet

message-db:
	@scripts/install-message-db.sh

## Quickstart: create the embedded event store, write a few events and show them.
demo: bootstrap
	@$(RUN) cortex db init
	@stream="agent:v0-demo$$(date +%s)"; \
	$(RUN) cortex events append "$$stream" SessionStarted '{"thread_id": "demo", "agent": "assistant", "agent_version": "1"}' --expected-version -1 && \
	$(RUN) cortex events append "$$stream" UserMessageAdded '{"message": "What is 12*7?"}' && \
	$(RUN) cortex events append "$$stream" LLMResponseReceived '{"text": "84", "tool_calls": []}' && \
	$(RUN) cortex events show "$$stream"

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
