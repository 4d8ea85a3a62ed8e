# cofutures: the two commands of the README, and their parts.
#   make demo   installs what is missing, builds, runs the showcase
#   make test   installs what is missing, builds with CMake and meson, runs
#               every test in both, builds the consumers, runs TSan
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
CTEST := ctest --output-on-failure -j $(JOBS)
export TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp
export UBSAN_OPTIONS ?= print_stacktrace=1 halt_on_error=1

.PHONY: all deps build test demo bench cmake-test meson-test consumer-test tsan-test asan-test fuzz soak clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/cmake/build.ninja: | deps
	cmake -S . -B $(BUILD)/cmake -G Ninja

build: $(BUILD)/cmake/build.ninja
	cmake --build $(BUILD)/cmake -j $(JOBS)

test: cmake-test meson-test consumer-test tsan-test asan-test fuzz
	@echo "make test: CMake, meson, consumers, ThreadSanitizer and AddressSanitizer all passed"

cmake-test: build
	$(CTEST) --test-dir $(BUILD)/cmake

# meson builds with clang, so both compilers see every file.
$(BUILD)/meson/build.ninja: | deps
	CXX=clang++ meson setup $(BUILD)/meson --prefix=/usr/local

meson-test: $(BUILD)/meson/build.ninja
	meson compile -C $(BUILD)/meson -j $(JOBS)
	meson test -C $(BUILD)/meson --print-errorlogs --num-processes $(JOBS)

consumer-test: build meson-test
	scripts/test-consumers $(BUILD)

$(BUILD)/tsan/build.ninja: | deps
	cmake -S . -B $(BUILD)/tsan -G Ninja -DCOFUTURES_SANITIZER=thread -DCOFUTURES_BUILD_EXAMPLES=OFF

# Every test (the examples aside) under ThreadSanitizer.
tsan-test: $(BUILD)/tsan/build.ninja
	cmake --build $(BUILD)/tsan -j $(JOBS)
	$(CTEST) --test-dir $(BUILD)/tsan

$(BUILD)/asan/build.ninja: | deps
	cmake -S . -B $(BUILD)/asan -G Ninja -DCOFUTURES_SANITIZER=address -DCOFUTURES_BUILD_EXAMPLES=OFF

# Every test under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: $(BUILD)/asan/build.ninja
	cmake --build $(BUILD)/asan -j $(JOBS)
	$(CTEST) --test-dir $(BUILD)/asan

# `make demo URLS="http://... http://..."`: download_async fetches those
# URLs instead of the embedded server's pages (URLS reaches scripts/demo
# through the environment, so any URL survives quoting).
$(BUILD)/fuzz/build.ninja: | deps
	CC=clang CXX=clang++ cmake -S . -B $(BUILD)/fuzz -G Ninja -DCOFUTURES_SANITIZER=address -DCOFUTURES_BUILD_FUZZ=ON \
	  -DCOFUTURES_BUILD_TESTS=OFF -DCOFUTURES_BUILD_EXAMPLES=OFF

# The worker protocol's decoders under libFuzzer + ASan/UBSan, each for
# FUZZ_SECONDS from the committed seed corpus (copied: finds stay in the build tree).
FUZZ_SECONDS ?= 60
fuzz: $(BUILD)/fuzz/build.ninja
	cmake --build $(BUILD)/fuzz -j $(JOBS) --target fuzz_parent_channel fuzz_worker_channel
	for side in parent worker; do \
	  rm -rf $(BUILD)/fuzz/corpus-$$side && cp -r tests/fuzz/corpus/$$side $(BUILD)/fuzz/corpus-$$side && \
	  (cd $(BUILD)/fuzz && tests/fuzz/fuzz_$${side}_channel -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	    corpus-$$side > fuzz-$$side.log 2>&1) || { tail -40 $(BUILD)/fuzz/fuzz-$$side.log; exit 1; }; \
	  echo "fuzz_$${side}_channel: $$(grep -E '^Done' $(BUILD)/fuzz/fuzz-$$side.log)"; \
	done

# The full soak (issue 7): 100,000 futures with faults, 10,000 HTTP requests
# with fault routes; `make test` runs a short one (ctest soak_short).
soak: build
	$(BUILD)/cmake/tests/soak --futures 100000 --http 10000

demo: export URLS ?=
demo: build
	@scripts/demo $(BUILD)/cmake

$(BUILD)/bench/build.ninja: | deps
	cmake -S . -B $(BUILD)/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOFUTURES_BUILD_BENCH=ON \
	  -DCOFUTURES_BUILD_TESTS=OFF -DCOFUTURES_BUILD_EXAMPLES=OFF

# Issue 6's suite: every workload against its baselines (>= 5 runs each),
# the targets table, $(BUILD)/bench/results.json. BENCH_ARGS=--quick: small sizes.
bench: $(BUILD)/bench/build.ninja
	cmake --build $(BUILD)/bench -j $(JOBS)
	scripts/with-nginx bench/run --build-dir $(BUILD)/bench $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
