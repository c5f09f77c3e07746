# suanli: `make run` and `make test` are all a newcomer needs (see README.md).
# This wraps CMake; the build lives in build/ (build-asan/ for sanitizers).

BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build run test test-asan bench coverage fuzz format format-check docs clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Builds and runs the built-in default scenario; results in out/xinghua-10k/.
run: build
	./$(BUILD)/suanli run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole test suite again, built with AddressSanitizer + UBSan.
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSUANLI_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./$(BUILD)/bench/bench_engine
	./$(BUILD)/bench/bench_facility
	./$(BUILD)/bench/bench_rng
	./$(BUILD)/bench/bench_run
	./$(BUILD)/bench/bench_serve
	./$(BUILD)/bench/bench_sched
	./$(BUILD)/bench/bench_train

# Line coverage of src/ by the tests (gcc --coverage into build-cov/).
coverage: deps
	sh scripts/coverage.sh

# Each libFuzzer harness of fuzz/ for FUZZ_SECONDS (default 60) after
# replaying fuzz/regressions/; clang build in build-fuzz/ (scripts/fuzz.sh).
fuzz:
	sh scripts/fuzz.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# Regenerates the key reference in docs/scenario.md from the schema.
docs: build
	sh scripts/gen-docs.sh ./$(BUILD)/suanli docs/scenario.md

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-cov build-fuzz
