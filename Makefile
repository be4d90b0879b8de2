# hookflow's everyday commands; each is plain Go underneath (README, Tests).
# CI's entry point is .ci/run: it installs and starts what the tests use
# (PostgreSQL, Chromium), then runs `make lint`, the tests and `make race`.

# The linters, pinned, run with `go run`: nothing to install.
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
ERRCHECK      := github.com/kisielk/errcheck@v1.30.0
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

# Extra flags for go test, e.g. make test TESTFLAGS='-count=1 -run Hook'.
TESTFLAGS ?=

export GOTOOLCHAIN ?= local

.PHONY: help test lint golden race ci

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  make \1\t/'

test: ## the whole suite, as the README runs it: go test ./...
	go test $(TESTFLAGS) ./...

lint: ## gofmt, go vet, staticcheck, errcheck (.ci/errcheck-excludes.txt says what it skips) and workflowcheck
	@files=$$(gofmt -l .); if [ -n "$$files" ]; then echo "gofmt -l: not formatted (gofmt -w them):"; echo "$$files"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...
	go run $(ERRCHECK) -exclude .ci/errcheck-excludes.txt ./...
	go run $(WORKFLOWCHECK) ./...

# Every package whose tests import internal/golden owns expected files; they
# rewrite them under HOOKFLOW_UPDATE=1. Then the workflow histories just
# recorded must replay, and git shows what changed.
golden: ## rewrite every golden file, docs example, recorded workflow history and the docs screenshot
	HOOKFLOW_UPDATE=1 go test -count=1 $(TESTFLAGS) $$(go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | awk '{for (i = 2; i <= NF; i++) if ($$i ~ /\/internal\/golden$$/) {print $$1; break}}')
	go test -count=1 -run Replay ./workflows
	@git status --short -- . || true

race: ## the race detector over the packages that do not embed the Temporal server
	go test -race $(TESTFLAGS) $$(go list ./... | grep -v -e /cmd/hookflow -e /cmd/hookbench -e /internal/devserver -e /test/)

ci: ## what CI runs: .ci/run (starts PostgreSQL, installs Chromium, then lint, test, race)
	bash .ci/run
