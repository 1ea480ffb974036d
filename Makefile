# The README's two commands are `make run` and `make test`.
GO ?= go
GOTESTFLAGS ?= -count=1 -timeout 20m

.PHONY: run test vet build bench

run:
	$(GO) run ./cmd/inkling serve

build:
	$(GO) build -o bin/inkling ./cmd/inkling

vet:
	$(GO) vet ./...

test: vet
	$(GO) test $(GOTESTFLAGS) ./...
