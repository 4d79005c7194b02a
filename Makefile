# The two commands: `make run` and `make test`. See README.md.
SWIFT ?= swift
PYTEST ?= python3 -m pytest

.PHONY: run test bench deps test-deps build build-debug agent unit integration deb package-test clean

run: deps build
	scripts/serve

test: test-deps build-debug unit integration

# Performance, measured on the real stack: see README "Performance".
bench: test-deps build agent
	bench/run

deps:
	scripts/install-deps

test-deps:
	scripts/install-deps test

build:
	$(SWIFT) build -c release --static-swift-stdlib --product attendance-fcgi

build-debug:
	$(SWIFT) build --product attendance-fcgi
	$(SWIFT) build --product attendance-agent

unit:
	$(SWIFT) test

integration:
	ATTENDANCE_FCGI=$(CURDIR)/.build/debug/attendance-fcgi ATTENDANCE_AGENT=$(CURDIR)/.build/debug/attendance-agent \
		$(PYTEST) -q Tests/integration

# The agent, as it is installed: static Swift runtime, non-PIE (no relocations to
# apply at each start), libstdc++ linked in (only the parts the Swift runtime uses: the
# shared one costs 0.7 MB of RSS per run), in its own build folder so its flags do not
# rebuild the rest. ld finds libstdc++.a first because its folder holds no libstdc++.so.
agent:
	mkdir -p .build-agent/static-libstdc++
	ln -sf "$$(gcc -print-file-name=libstdc++.a)" .build-agent/static-libstdc++/libstdc++.a
	$(SWIFT) build -c release --static-swift-stdlib --product attendance-agent --scratch-path .build-agent -Xlinker -no-pie \
		-Xlinker -L$(CURDIR)/.build-agent/static-libstdc++
	@! ldd .build-agent/release/attendance-agent | grep -q libstdc++ || { echo "agent: libstdc++ is still linked dynamically" >&2; exit 1; }
	@echo "agent: .build-agent/release/attendance-agent"

# The Debian packages attendance and attendance-agent, in dist/ (README "Install on a server").
deb: deps build agent
	scripts/install-deps package
	$(SWIFT) build --product generate-manual
	scripts/build-deb

# The packages installed for real into a Debian 12 root made with debootstrap (needs root
# and the Debian archive); CI runs it after `make test`.
package-test: deb
	$(PYTEST) -q -s Tests/package

clean:
	rm -rf .build .build-agent .build-deb dist
