# The two commands: `make run` and `make test`. See README.md.
SWIFT ?= swift
PYTEST ?= python3 -m pytest

.PHONY: run test deps test-deps build build-debug unit integration clean

run: deps build
	scripts/serve

test: test-deps build-debug unit integration

deps:
	scripts/install-deps

test-deps:
	scripts/install-deps test

build:
	$(SWIFT) build -c release --static-swift-stdlib --product attendance-fcgi

build-debug:
	$(SWIFT) build --product attendance-fcgi

unit:
	$(SWIFT) test

integration:
	ATTENDANCE_FCGI=$(CURDIR)/.build/debug/attendance-fcgi $(PYTEST) -q Tests/integration

clean:
	rm -rf .build
