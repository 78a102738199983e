# strata — the two commands for a fresh Debian 12 machine:
#   make run    install what is missing, build, run the main job (the tour)
#   make test   install what is missing, build, run every test
# More: make build | test-asan | test-asan-clang | test-tsan | fuzz | bench | install | clean

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local

.PHONY: all deps build run test test-asan test-asan-clang test-tsan fuzz bench install clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@bash scripts/tour.sh $(BUILD)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@bash scripts/test-python.sh $(BUILD)

test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=ON -DSTRATA_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan --output-on-failure -j $(JOBS) -E '^header_|^install_'

# The same suite built by clang: its UBSan checks more than gcc's (pointer overflow, NULL + 0,
# function-type mismatches) and its Debug stack is not zeroed. The sanitizer runtime is linked as
# a shared library (-shared-libasan, found through an rpath) so that libstrata.so can also be
# loaded by Python and by the README's examples. The same tests as make test-asan (the server
# tests included: about 20 s here).
CLANG_RT_DIR = $(shell clang -print-runtime-dir 2>/dev/null)
CLANG_ASAN_LINK = -shared-libasan -Wl,-rpath,$(CLANG_RT_DIR)
test-asan-clang: deps
	@CC=clang CXX=clang++ cmake -S . -B build-asan-clang -DCMAKE_BUILD_TYPE=Debug -DSTRATA_SANITIZE=ON -DSTRATA_BENCH=OFF \
		"-DCMAKE_EXE_LINKER_FLAGS=$(CLANG_ASAN_LINK)" "-DCMAKE_SHARED_LINKER_FLAGS=$(CLANG_ASAN_LINK)" >/dev/null
	@cmake --build build-asan-clang -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan-clang --output-on-failure -j $(JOBS) -E '^header_|^install_'

test-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_TSAN=ON -DSTRATA_BENCH=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -L concurrency

fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTRATA_FUZZ=ON -DSTRATA_BENCH=OFF "-DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@echo "fuzzers: $$(ls build-fuzz/fuzz/*_fuzzer 2>/dev/null | tr '\n' ' ')"

bench: build
	@bash scripts/bench.sh $(BUILD)

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-asan-clang build-tsan build-fuzz
