# kaudit: the two commands of the README (make demo, make test) plus bench.
# Each target installs missing Debian packages first (scripts/install-deps.sh), then builds.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test bench clean format fuzz sanitize asan-build

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Replays the bundled real audit events (Falco's corpus and real cluster logs) and prints alerts.
demo: build
	@bash scripts/demo.sh $(BUILD_DIR)/kaudit

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Micro-benchmarks, then the end-to-end replay benchmark (bench/pipeline/run.sh writes
# bench/RESULTS.md; SIZE=1G by default) and the webhook ingestion benchmark
# (bench/webhook/run.sh writes bench/WEBHOOK.md).
bench: build
	$(BUILD_DIR)/bench/parse_bench --benchmark_min_time=0.5
	bash bench/pipeline/run.sh $(BUILD_DIR)
	bash bench/webhook/run.sh $(BUILD_DIR)

# One instrumented clang build (build-asan: ASan+UBSan, libFuzzer coverage) serves both the
# sanitizer run of the whole suite and the fuzz targets.
ASAN_DIR ?= build-asan
asan-build: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DKAUDIT_FUZZ=ON
	cmake --build $(ASAN_DIR) -j $(JOBS)

# libFuzzer targets, each run for FUZZ_SECONDS (crash inputs: tests/data/regress/<target>/).
FUZZ_SECONDS ?= 60
fuzz: asan-build
	bash scripts/fuzz.sh $(ASAN_DIR) $(FUZZ_SECONDS)

# The whole test suite under ASan+UBSan, then the threaded parts' unit tests under TSan
# (build-tsan, unit-test binary only; TSAN_FILTER selects them).
TSAN_FILTER ?= ParallelEventReader*:LivePipeline*:QueuedSink*:SyslogTransport*:StatusServer*:DiskBuffer*:FuzzRegress*
sanitize: asan-build
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS)
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKAUDIT_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target kaudit_unit_tests
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  build-tsan/tests/kaudit_unit_tests --gtest_filter='$(TSAN_FILTER)'

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR)
