# kaudit: the two commands of the README (make demo, make test) plus bench.
# Each target installs missing Debian packages first (scripts/install-deps.sh), then builds.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo test bench clean format

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
# bench/RESULTS.md; SIZE=1G by default).
bench: build
	$(BUILD_DIR)/bench/parse_bench --benchmark_min_time=0.5
	bash bench/pipeline/run.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR)
