#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan+UBSan) into build-fuzz/
# and runs each for a bounded time, two at a time, on its seed corpus
# (fuzz/corpus/<target>/, never written to: new inputs go to
# build-fuzz/corpus/) with its dictionary (fuzz/dict/<target>.dict). Exits
# non-zero if any target crashes, leaks, hangs past -timeout or passes
# -rss_limit_mb, and prints the input that reproduces it
# (build-fuzz/artifacts/<target>/).
#
#   fuzz/run.sh                       # every target, 45 s each (CI)
#   FUZZ_SECONDS=300 fuzz/run.sh      # longer
#   fuzz/run.sh fuzz_robots fuzz_url  # some targets
#   build-fuzz/fuzz_url REPRODUCER    # replay one input
set -euo pipefail
cd "$(dirname "$0")/.."

# What the build needs (setup.sh's packages: CMake configures every room)
# and clang's libFuzzer runtime, installed only if missing, quietly.
packages=(clang libclang-rt-14-dev cmake make pkg-config libcurl4-openssl-dev libboost1.81-dev
          libboost-url1.81-dev libxml2-dev libsqlite3-dev libspdlog-dev libcli11-dev libtomlplusplus-dev
          zlib1g-dev libidn2-dev libpsl-dev libxxhash-dev libssl-dev libgumbo-dev libdeflate-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

all_targets=(fuzz_url fuzz_robots fuzz_links fuzz_sitemap fuzz_headers)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
seconds="${FUZZ_SECONDS:-45}"
build_dir=build-fuzz

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DCRAWL_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" -- --no-print-directory 2>&1 \
  | grep -vE '^\[ *[0-9]+%\]|^Consolidate|^Scanning' || true
for t in "${targets[@]}"; do
  test -x "$build_dir/$t" || { echo "fuzz: build of $t failed" >&2; exit 1; }
done

# One target: -timeout bounds one input (a hang), -rss_limit_mb the memory;
# both count as failures. New inputs go to the working corpus, not the seeds.
run_one() {
  local t=$1 work="$build_dir/corpus/$1" artifacts="$build_dir/artifacts/$1/"
  local dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
  rm -rf "$artifacts"
  mkdir -p "$work" "$artifacts"
  "$build_dir/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 "${dict[@]}" \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "fuzz/corpus/$t" \
    >"$build_dir/$t.log" 2>&1
}

# Two at a time (the CI machine has two cores); each records its exit code.
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= 2)); do wait -n || true; done
  rm -f "$build_dir/$t.rc"
  (run_one "$t" && rc=0 || rc=$?; echo "$rc" >"$build_dir/$t.rc") &
done
wait

failed=()
for t in "${targets[@]}"; do
  if [ "$(cat "$build_dir/$t.rc" 2>/dev/null)" = 0 ]; then
    echo "fuzz: $t: $(grep -m1 -oE 'Done [0-9]+ runs in [0-9]+ second' "$build_dir/$t.log" || echo done), no failure"
  else
    failed+=("$t")
    echo "fuzz: $t FAILED; log $build_dir/$t.log:" >&2
    grep -E 'ERROR:|invariant failed|SUMMARY|Test unit written|^ +#[0-9]+ ' "$build_dir/$t.log" | head -30 >&2 || true
    for f in "$build_dir/artifacts/$t"/*; do
      [ -e "$f" ] && echo "fuzz: reproduce with: $build_dir/$t $f" >&2
    done
  fi
done
((${#failed[@]} == 0)) || { echo "fuzz: failures in ${failed[*]}" >&2; exit 1; }
