# sharedcare — the two commands a new user needs:
#   make demo   synthesise a region, run the pipeline, write the report
#   make test   vet and run every test (installs PostgreSQL if missing)

GO      ?= go
BIN     := bin/sharedcare
PERSONS ?= 10000

.PHONY: all build demo test bench vet fmt postgres chromium clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sharedcare

demo: postgres build
	./$(BIN) demo --dir demo --persons $(PERSONS)

test: postgres chromium vet
	$(GO) test -count=1 -timeout 30m ./...

# Scale runs live here, not in the tests: make bench PERSONS=1000000 MONTHS=13
MONTHS ?= 13
bench: postgres build
	./$(BIN) bench --persons $(PERSONS) --months $(MONTHS)

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# Tests of the social care connector run a throwaway PostgreSQL server from
# the Debian package's binaries.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; else \
	  echo "installing PostgreSQL server binaries (Debian package postgresql)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# The report tests open the HTML in headless Chromium.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; else \
	  echo "installing Chromium (Debian package chromium) for the report tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin demo
