# reactions: the two commands a researcher needs are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.Version=$(VERSION)
GOBIN := $(shell $(GO) env GOPATH)/bin

.PHONY: all build assets demo demo-check test test-cluster lint unit bench clean stop-test-clickhouse

all: build

## build: bin/reactions with the dashboard assets embedded
build: assets
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/reactions ./cmd/reactions

assets:
	@if [ -f dashboard/web/build.sh ] && [ ! -f dashboard/web/vendor/uPlot.iife.min.js ]; then bash dashboard/web/build.sh; fi

## demo: install what is missing, build, and run the demo of the seed story
demo:
	@scripts/setup.sh demo
	@$(MAKE) --no-print-directory build
	bin/reactions demo $(DEMO_FLAGS)

## demo-check: the demo must show support and criticism within 60 s
demo-check:
	@scripts/setup.sh demo
	@$(MAKE) --no-print-directory build
	scripts/demo-check.sh

## test: install what is missing, lint, and run every test (race detector on)
test:
	@scripts/setup.sh test
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit

## test-cluster: only the cluster tests (ZooKeeper and a 2x2 ClickHouse cluster
## on loopback, started and stopped by the tests) and the deployment checks;
## "make test" runs them with everything else
test-cluster:
	@scripts/setup.sh test
	$(GO) test -race -timeout 30m -run 'Cluster|Migration0003|Compose|Prometheus|Kubernetes' ./store/ ./e2e/ ./deploy/

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

unit:
	@set -o pipefail; start=$$(date +%s); \
	$(GO) test -race -timeout 40m ./... 2>&1 | tee .test.log; rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s"; \
	$(MAKE) --no-print-directory stop-test-clickhouse; exit $$rc

stop-test-clickhouse:
	@$(GO) run ./scripts/stopch "$${TMPDIR:-/tmp}/reactions-test-clickhouse-$$(id -u)" || true

## bench: the project's benchmarks beside their references, as one table
bench:
	@scripts/setup.sh bench
	@$(MAKE) --no-print-directory build
	scripts/bench.sh

clean:
	rm -rf bin .test.log
