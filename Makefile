# cofutures: the two commands of the README, and their parts.
#   make demo   installs what is missing, builds, runs the showcase
#   make test   installs what is missing, builds with CMake and meson, runs
#               every test in both, builds the consumers, runs TSan
SHELL := /bin/bash
BUILD ?= build
JOBS ?= $(shell nproc)
CTEST := ctest --output-on-failure -j $(JOBS)
export TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1
export UBSAN_OPTIONS ?= print_stacktrace=1 halt_on_error=1

.PHONY: all deps build test demo bench cmake-test meson-test consumer-test tsan-test asan-test clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/cmake/build.ninja: | deps
	cmake -S . -B $(BUILD)/cmake -G Ninja

build: $(BUILD)/cmake/build.ninja
	cmake --build $(BUILD)/cmake -j $(JOBS)

test: cmake-test meson-test consumer-test tsan-test asan-test
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

# The concurrency tests (runtime, executors, net) under ThreadSanitizer.
tsan-test: $(BUILD)/tsan/build.ninja
	cmake --build $(BUILD)/tsan -j $(JOBS)
	$(CTEST) --test-dir $(BUILD)/tsan -L 'runtime|executors|net'

$(BUILD)/asan/build.ninja: | deps
	cmake -S . -B $(BUILD)/asan -G Ninja -DCOFUTURES_SANITIZER=address -DCOFUTURES_BUILD_EXAMPLES=OFF

# Every test under AddressSanitizer + UndefinedBehaviorSanitizer.
asan-test: $(BUILD)/asan/build.ninja
	cmake --build $(BUILD)/asan -j $(JOBS)
	$(CTEST) --test-dir $(BUILD)/asan

demo: build
	@scripts/demo $(BUILD)/cmake

$(BUILD)/bench/build.ninja: | deps
	cmake -S . -B $(BUILD)/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DCOFUTURES_BUILD_BENCH=ON \
	  -DCOFUTURES_BUILD_TESTS=OFF -DCOFUTURES_BUILD_EXAMPLES=OFF

bench: $(BUILD)/bench/build.ninja
	cmake --build $(BUILD)/bench -j $(JOBS)
	$(BUILD)/bench/bench/bench_thread_pool

clean:
	rm -rf $(BUILD)
