# The README's two commands are `make run` and `make test`.
GO ?= go
GOTESTFLAGS ?= -count=1 -timeout 20m

.PHONY: run test vet build bench proto vendor-redoc versitygw

run:
	$(GO) run ./cmd/inkling serve

build:
	$(GO) build -o bin/inkling ./cmd/inkling

vet:
	$(GO) vet ./...

test: vet node_modules versitygw
	$(GO) test $(GOTESTFLAGS) ./...

# The S3-compatible server the media tests start (Apache-2.0; MinIO is
# AGPL), installed from the Go module proxy when missing.
versitygw:
	@command -v versitygw >/dev/null 2>&1 || [ -x "$$($(GO) env GOPATH)/bin/versitygw" ] || \
		$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

# Node tools the tests use (OpenAPI lint), pinned by package-lock.json.
node_modules: package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

# Regenerates plugins/protocol/pluginv1 from plugins/protocol/plugin.proto.
# Needs: apt-get install protobuf-compiler;
#        go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#        go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
proto:
	PATH="$$PATH:$$(go env GOPATH)/bin" protoc -I plugins/protocol \
		--go_out=plugins/protocol/pluginv1 --go_opt=paths=source_relative \
		--go-grpc_out=plugins/protocol/pluginv1 --go-grpc_opt=paths=source_relative \
		plugins/protocol/plugin.proto

# Refreshes the vendored Redoc bundle behind /api/v1/docs (offline reference page).
vendor-redoc:
	cd $$(mktemp -d) && npm pack redoc@2.5.1 >/dev/null && tar xzf redoc-2.5.1.tgz && \
		cp package/bundles/redoc.standalone.js $(CURDIR)/api/assets/ && cp package/LICENSE $(CURDIR)/api/assets/redoc.LICENSE

# The load benchmark: seeds passages, runs the real server under wrk next to
# a bare fiber ceiling and PocketBase's any-tag filter on the same passages
# (the nested module cmd/inkling-bench/pocketbase, tested here since the
# main module's ./... skips it), prints ratios. PASSAGES=20000 DURATION=10s
# by default.
PASSAGES ?= 20000
DURATION ?= 10s
bench:
	@command -v wrk >/dev/null || (echo "installing wrk" && apt-get install -y -qq wrk)
	cd cmd/inkling-bench/pocketbase && $(GO) vet ./... && $(GO) test ./...
	$(GO) test -run '^$$' -bench . -benchmem ./api/ ./engine/cache/ ./engine/pluginhost/ ./engine/related/
	$(GO) run ./cmd/inkling-bench -passages $(PASSAGES) -duration $(DURATION)
