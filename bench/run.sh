#!/usr/bin/env bash
# The benchmark behind `make bench`. It times one Terraform stack of a
# single terraform_data resource, whose apply sleeps SLEEP_SECONDS, rolled
# out as 24 instances in four ways, each from empty state under its own key
# prefix:
#
#   1. one instance alone: terraform init, plan -out and apply of that plan,
#      T1_SAMPLES times. The median is t1, the unit time.
#   2. a plain parallel loop: xargs -P 8 of `terraform init && terraform
#      apply` over 24 directories, the floor for running them 8 at a time.
#      As a control, the same loop also runs in the three waves of 4.
#   3. Terragrunt: `terragrunt run-all apply --parallelism 8` over the same
#      kind of 24 directories.
#   4. rollout with --parallelism 8: one wave of 24 instances, and three waves
#      of 1, 8 and 15 instances. The critical path of the three waves is the
#      sum over waves of ceil(n / 8) × t1.
#
# The state lives in LocalStack's S3 and the locks in moto's DynamoDB, both
# started here on free loopback ports and stopped on exit. After the timed
# runs, rollout applies one wave once more with every terraform call traced.
# Last, `rollout plan --all` runs at 10, 100 and 500 instances against a
# stand-in terraform that returns at once, which leaves rollout's own wall
# time, CPU time and peak memory.
#
# The results are printed and written to bench/RESULTS.md, with the output
# of the Go benchmarks when `make bench` left it in BENCH_WORK_DIR.
#
# Usage: bench/run.sh   (normally through `make bench`, which builds the tools)
#
# Environment:
#   TERRAFORM       Terraform 1.5 binary (default: <repository>/.tools/bin/terraform)
#   TERRAGRUNT      Terragrunt binary (default: <repository>/.tools/bin/terragrunt)
#   ROLLOUT         rollout binary (default: <repository>/bin/rollout)
#   BENCH_WORK_DIR  scratch directory, emptied at the start except for
#                   go-bench.txt (default: <repository>/bench/work)
#   BENCH_RESULTS   report to write (default: <repository>/bench/RESULTS.md)
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TERRAFORM="${TERRAFORM:-$ROOT_DIR/.tools/bin/terraform}"
TERRAGRUNT="${TERRAGRUNT:-$ROOT_DIR/.tools/bin/terragrunt}"
ROLLOUT="${ROLLOUT:-$ROOT_DIR/bin/rollout}"
WORK="${BENCH_WORK_DIR:-$ROOT_DIR/bench/work}"
RESULTS="${BENCH_RESULTS:-$ROOT_DIR/bench/RESULTS.md}"

readonly INSTANCES=24
readonly PARALLELISM=8
readonly SLEEP_SECONDS=2
readonly T1_SAMPLES=3
readonly THREE_WAVES=(1 8 15)
readonly MEMORY_SIZES=(10 100 500)
readonly HOST=127.0.0.1

# The targets that the results are checked against.
readonly TARGET_VS_TERRAGRUNT=0.8
readonly TARGET_VS_LOOP=1.0
readonly TARGET_EFFICIENCY=0.95
readonly TARGET_CPU_SHARE=0.02
readonly TARGET_SYNTH_SECONDS=1
readonly TARGET_MEMORY_MB=100

# AWS region names in the order of pkg/config/regions.go: the 17 regions
# enabled on every account, then the 17 opt-in ones. rollout warns about an
# opt-in region but accepts it, and the benchmark makes no AWS call in any.
readonly REGIONS=(
  us-east-1 us-east-2 us-west-1 us-west-2 ca-central-1 sa-east-1
  eu-west-1 eu-west-2 eu-west-3 eu-central-1 eu-north-1
  ap-south-1 ap-northeast-1 ap-northeast-2 ap-northeast-3
  ap-southeast-1 ap-southeast-2
  af-south-1 ap-east-1 ap-east-2 ap-south-2
  ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-6 ap-southeast-7
  ca-west-1 eu-central-2 eu-south-1 eu-south-2
  il-central-1 me-central-1 me-south-1 mx-central-1
)

RUN="$WORK/run"
EMULATORS_STARTED=0

# Per approach, by name: the 1-minute load average before it, its wall
# seconds, and the CPU seconds of its own process and of its descendants.
declare -A LOAD WALL OWN_CPU CHILD_CPU

log() {
  printf 'bench: %s\n' "$*" >&2
}

die() {
  log "$*"
  exit 1
}

# Print the result of an awk expression with three decimals.
calc() {
  awk "BEGIN { printf \"%.3f\", $1 }"
}

# Succeed when the awk condition holds.
holds() {
  awk "BEGIN { exit !($1) }"
}

seconds_since() {
  calc "$EPOCHREALTIME - $1"
}

load_average() {
  cut -d' ' -f1 /proc/loadavg
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Print a fraction as a percentage with one decimal.
percent() {
  awk "BEGIN { printf \"%.1f%%\", $1 * 100 }"
}

# Print "met" or "missed" for an awk condition.
verdict() {
  if holds "$1"; then printf 'met'; else printf 'missed'; fi
}

# Print the last lines of a log file and fail.
fail_with_log() {
  local message=$1 file=$2
  log "$message; last lines of $file:"
  tail -n 30 "$file" >&2 || true
  exit 1
}

check_tools() {
  local tool
  for tool in "$TERRAFORM" "$TERRAGRUNT" "$ROLLOUT"; do
    [[ -x $tool ]] || die "$tool not found: run make bench, which builds it"
  done
  for tool in curl python3 xargs awk realpath go; do
    command -v "$tool" >/dev/null || die "required command not found: $tool"
  done
  [[ -r /proc/loadavg ]] || die "/proc is not mounted: the CPU time of rollout is read from /proc/PID/stat, so the benchmark runs on Linux only"
}

# Print a free TCP port on the loopback address.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop_emulators() {
  if ((EMULATORS_STARTED)); then
    "$ROOT_DIR/scripts/emulators.sh" stop || log "stopping the emulators failed; their pid files are in $EMULATOR_DIR"
  fi
}

start_emulators() {
  export EMULATOR_DIR="$WORK/emulators"
  LOCALSTACK_PORT=$(free_port)
  MOTO_PORT=$(free_port)
  while [[ $MOTO_PORT == "$LOCALSTACK_PORT" ]]; do
    MOTO_PORT=$(free_port)
  done
  export LOCALSTACK_PORT MOTO_PORT
  S3_ENDPOINT="http://$HOST:$LOCALSTACK_PORT"
  DYNAMODB_ENDPOINT="http://$HOST:$MOTO_PORT"

  EMULATORS_STARTED=1
  trap stop_emulators EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$ROOT_DIR/scripts/emulators.sh" start
}

# Create the state bucket with an unsigned PUT, which LocalStack accepts,
# and the lock table on moto, which routes by the credential scope alone.
create_state_store() {
  BUCKET="bench-$(date +%s)-$RANDOM"
  LOCK_TABLE=$BUCKET

  curl -fsS -o /dev/null -X PUT "$S3_ENDPOINT/$BUCKET" ||
    die "creating bucket $BUCKET on $S3_ENDPOINT failed"
  curl -fsS -o /dev/null -X POST "$DYNAMODB_ENDPOINT/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.CreateTable' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d "{\"TableName\":\"$LOCK_TABLE\",\"KeySchema\":[{\"AttributeName\":\"LockID\",\"KeyType\":\"HASH\"}],\"AttributeDefinitions\":[{\"AttributeName\":\"LockID\",\"AttributeType\":\"S\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}" ||
    die "creating lock table $LOCK_TABLE on $DYNAMODB_ENDPOINT failed"
  log "state bucket $BUCKET on $S3_ENDPOINT, lock table $LOCK_TABLE on $DYNAMODB_ENDPOINT"
}

# Print how many state objects the bucket contains under a key prefix.
count_states() {
  curl -fsS "$S3_ENDPOINT/$BUCKET?list-type=2&prefix=$1/" | grep -o '<Key>[^<]*\.tfstate</Key>' | wc -l
}

check_states() {
  local prefix=$1 want=$2 got
  got=$(count_states "$prefix")
  ((got == want)) || die "$prefix: $got state objects in s3://$BUCKET/$prefix/, want $want"
}

# The stack: one terraform_data resource whose creation sleeps.
write_module() {
  mkdir -p "$1"
  cat >"$1/main.tf" <<EOF
variable "region" {
  type = string
}

resource "terraform_data" "sleep" {
  input = var.region

  provisioner "local-exec" {
    command = "sleep $SLEEP_SECONDS"
  }
}

output "region" {
  value = terraform_data.sleep.output
}
EOF
}

# A root module for the loop, Terragrunt and t1: the S3 backend in
# Terraform 1.5 syntax with the settings rollout writes for an emulator,
# and a call of the stack's module.
write_root_module() {
  local dir=$1 key=$2 region=$3
  mkdir -p "$dir"
  cat >"$dir/main.tf" <<EOF
terraform {
  backend "s3" {
    bucket                      = "$BUCKET"
    key                         = "$key"
    region                      = "us-east-1"
    encrypt                     = true
    endpoint                    = "$S3_ENDPOINT"
    iam_endpoint                = "$S3_ENDPOINT"
    sts_endpoint                = "$S3_ENDPOINT"
    force_path_style            = true
    dynamodb_endpoint           = "$DYNAMODB_ENDPOINT"
    dynamodb_table              = "$LOCK_TABLE"
    skip_credentials_validation = true
    skip_metadata_api_check     = true
    skip_region_validation      = true
  }
}

module "sleep" {
  source = "$(realpath --relative-to="$dir" "$RUN/modules/sleep")"
  region = "$region"
}

output "region" {
  value = module.sleep.region
}
EOF
}

# Print a comma-separated list of quoted region names.
quoted_regions() {
  local first=$1 count=$2 i out=""
  for ((i = first; i < first + count; i++)); do
    out+="${out:+, }\"${REGIONS[i]}\""
  done
  printf '%s' "$out"
}

# Write a rollout project: `stacks` stacks of the sleep module, in waves
# of the given numbers of regions, state under key_prefix.
write_rollout_project() {
  local dir=$1 key_prefix=$2 stacks=$3
  shift 3
  local sizes=("$@") i first=0

  write_module "$dir/modules/sleep"
  {
    printf 'project = "bench"\n\n'
    printf 'aws {\n  endpoint  = "%s"\n  endpoints = { dynamodb = "%s" }\n}\n\n' "$S3_ENDPOINT" "$DYNAMODB_ENDPOINT"
    printf 'state {\n  bucket     = "%s"\n  region     = "us-east-1"\n  key_prefix = "%s"\n  lock_table = "%s"\n}\n\n' \
      "$BUCKET" "$key_prefix" "$LOCK_TABLE"
    for ((i = 1; i <= stacks; i++)); do
      printf 'stack "sleep%02d" {\n  source = "./modules/sleep"\n}\n\n' "$i"
    done
    for i in "${!sizes[@]}"; do
      printf 'wave "wave%d" {\n  regions = [%s]\n}\n\n' "$((i + 1))" "$(quoted_regions "$first" "${sizes[i]}")"
      first=$((first + sizes[i]))
    done
  } >"$dir/rollout.hcl"
}

# Run terraform with the given arguments in the current directory, append
# its output to terraform.log and print its wall seconds.
timed_terraform() {
  local start=$EPOCHREALTIME
  "$TERRAFORM" "$@" >>terraform.log 2>&1 || return 1
  printf '%s\n' "$(seconds_since "$start")"
}

# 1. t1: one instance alone, each step timed.
measure_t1() {
  local sample dir start init plan apply totals=() inits=() plans=() applies=()
  LOAD[t1]=$(load_average)
  for ((sample = 1; sample <= T1_SAMPLES; sample++)); do
    dir="$RUN/t1/sample$sample"
    write_root_module "$dir" "t1/sample$sample/sleep/us-east-1.tfstate" us-east-1
    cd "$dir"
    start=$EPOCHREALTIME
    if ! init=$(timed_terraform init -input=false -no-color) ||
      ! plan=$(timed_terraform plan -input=false -no-color -out=tfplan) ||
      ! apply=$(timed_terraform apply -input=false -no-color tfplan); then
      fail_with_log "t1 sample $sample failed" "$dir/terraform.log"
    fi
    totals+=("$(seconds_since "$start")")
    cd "$ROOT_DIR"
    inits+=("$init") plans+=("$plan") applies+=("$apply")
  done
  check_states t1 "$T1_SAMPLES"

  T1=$(median "${totals[@]}")
  T1_INIT=$(median "${inits[@]}")
  T1_PLAN=$(median "${plans[@]}")
  T1_APPLY=$(median "${applies[@]}")
  T1_SAMPLES_LIST="${totals[*]}"
  log "t1 = ${T1}s (median of ${T1_SAMPLES_LIST}; init ${T1_INIT}s, plan ${T1_PLAN}s, apply ${T1_APPLY}s)"
}

# Run a command under bench/cputime, which writes its wall seconds, its
# own CPU seconds and its descendants' CPU seconds to $RUN/<name>.usage,
# and record the load before it and its wall time.
measured() {
  local name=$1 start
  shift
  LOAD[$name]=$(load_average)
  start=$EPOCHREALTIME
  "$RUN/bin/cputime" -o "$RUN/$name.usage" "$@" >"$RUN/$name.log" 2>&1 ||
    fail_with_log "$name failed" "$RUN/$name.log"
  WALL[$name]=$(seconds_since "$start")
  OWN_CPU[$name]=$(awk '{ printf "%.2f", $2 + $3 }' "$RUN/$name.usage")
  CHILD_CPU[$name]=$(awk '{ printf "%.2f", $4 + $5 }' "$RUN/$name.usage")
  log "$name: ${WALL[$name]}s, own CPU ${OWN_CPU[$name]}s, descendants' CPU ${CHILD_CPU[$name]}s"
}

# Write one root module per region for the given wave sizes: the first
# wave in <root>/wave1, the next in <root>/wave2 and so on.
write_plain_waves() {
  local root=$1 prefix=$2 first=0 wave i
  shift 2
  local sizes=("$@")
  for wave in "${!sizes[@]}"; do
    for ((i = first; i < first + sizes[wave]; i++)); do
      write_root_module "$root/wave$((wave + 1))/${REGIONS[i]}" "$prefix/sleep/${REGIONS[i]}.tfstate" "${REGIONS[i]}"
    done
    first=$((first + sizes[wave]))
  done
}

# The loop: xargs -P over the root modules in each wave directory, one
# wave directory after another.
write_parallel_loop() {
  cat >"$1" <<EOF
#!/usr/bin/env bash
set -euo pipefail
for wave in "\$@"; do
  printf '%s\n' "\$wave"/*/ | xargs -P $PARALLELISM -I{} sh -c \\
    'cd "\$1" && "$TERRAFORM" init -input=false -no-color >terraform.log 2>&1 && "$TERRAFORM" apply -auto-approve -input=false -no-color >>terraform.log 2>&1' \\
    sh {}
done
EOF
  chmod +x "$1"
}

# 2. The plain parallel loop over 24 directories, and the same loop in the
# three waves that rollout runs, the floor for those.
measure_loop() {
  write_parallel_loop "$RUN/bin/parallel-loop"

  write_plain_waves "$RUN/loop" loop "$INSTANCES"
  measured loop "$RUN/bin/parallel-loop" "$RUN/loop/wave1"
  check_states loop "$INSTANCES"

  write_plain_waves "$RUN/loop-3waves" loop-3waves "${THREE_WAVES[@]}"
  measured loop-3waves "$RUN/bin/parallel-loop" "$RUN/loop-3waves"/wave*
  check_states loop-3waves "$INSTANCES"
}

# 3. Terragrunt. A terragrunt.hcl with no terraform block makes a
# directory a unit that runs in place, with no source to copy.
measure_terragrunt() {
  local root="$RUN/terragrunt/wave1" dir
  write_plain_waves "$RUN/terragrunt" terragrunt "$INSTANCES"
  for dir in "$root"/*/; do
    printf '# A unit that runs the Terraform files of this directory in place.\n' >"$dir/terragrunt.hcl"
  done
  measured terragrunt "$TERRAGRUNT" run-all apply --working-dir "$root" \
    --parallelism "$PARALLELISM" --non-interactive --tf-path "$TERRAFORM" --no-color
  check_states terragrunt "$INSTANCES"
}

# Run `rollout apply --all` on the project in $RUN/<name>.
measure_rollout_apply() {
  local name=$1 terraform=$2
  measured "$name" "$ROLLOUT" --chdir "$RUN/$name" --parallelism "$PARALLELISM" \
    --terraform-path "$terraform" apply --all --yes
  check_states "$name" "$INSTANCES"
}

# 4. rollout: one wave of 24, then three waves of 1, 8 and 15.
measure_rollout() {
  write_rollout_project "$RUN/rollout-1wave" rollout-1wave 1 "$INSTANCES"
  measure_rollout_apply rollout-1wave "$TERRAFORM"

  write_rollout_project "$RUN/rollout-3waves" rollout-3waves 1 "${THREE_WAVES[@]}"
  measure_rollout_apply rollout-3waves "$TERRAFORM"
}

# Print the critical path in units of t1: the sum over waves of
# ceil(n / parallelism).
critical_path_units() {
  local n units=0
  for n in "$@"; do
    units=$((units + (n + PARALLELISM - 1) / PARALLELISM))
  done
  printf '%d' "$units"
}

# A terraform that appends "start end subcommand directory" to a trace file
# for every call it passes on to the real one.
write_traced_terraform() {
  cat >"$1" <<EOF
#!/usr/bin/env bash
start=\$EPOCHREALTIME
"$TERRAFORM" "\$@"
status=\$?
printf '%s %s %s %s\n' "\$start" "\$EPOCHREALTIME" "\${1:-none}" "\$PWD" >>"$2"
exit \$status
EOF
  chmod +x "$1"
}

# A one-wave rollout whose terraform calls are all timed. Its own wall time
# is not compared with anything, since the trace adds a bash process per
# call.
trace_rollout() {
  TRACE="$RUN/trace.txt"
  write_traced_terraform "$RUN/bin/terraform-traced" "$TRACE"
  write_rollout_project "$RUN/rollout-trace" rollout-trace 1 "$INSTANCES"
  TRACE_START=$EPOCHREALTIME
  measure_rollout_apply rollout-trace "$RUN/bin/terraform-traced"
}

# Print a Markdown table of the traced calls per terraform subcommand:
# count, mean, longest and total time, the maximum number running at once,
# and when the first started and the last ended.
summarize_trace_calls() {
  printf '| terraform call | calls | mean s | longest s | total s | max at once | first start → last end, s after rollout started |\n'
  printf '| --- | ---: | ---: | ---: | ---: | ---: | --- |\n'
  awk -v origin="$TRACE_START" '
    {
      name = $3; n[name]++; d = $2 - $1; sum[name] += d
      if (d > longest[name]) longest[name] = d
      if (!(name in first) || $1 < first[name]) first[name] = $1
      if ($2 > last[name]) last[name] = $2
      starts[name, n[name]] = $1; ends[name, n[name]] = $2
    }
    END {
      for (name in n) {
        max_running = 0
        for (i = 1; i <= n[name]; i++) {
          running = 0
          for (j = 1; j <= n[name]; j++) if (starts[name, j] <= starts[name, i] && ends[name, j] > starts[name, i]) running++
          if (running > max_running) max_running = running
        }
        printf "| %s | %d | %.2f | %.2f | %.1f | %d | %.1f → %.1f |\n", name, n[name], sum[name] / n[name], longest[name], sum[name], max_running, first[name] - origin, last[name] - origin
      }
    }' "$TRACE" | sort -t'|' -k8 -g
}

# Print the average instance of the traced run: its terraform calls, the
# time spent in them, and the time from its first call's start to its last
# call's end. Calls outside an instance directory, such as rollout's own
# version check, do not count.
summarize_trace_instances() {
  awk -v stacks="$RUN/rollout-trace/.rollout/stacks/" '
    index($4, stacks) == 1 {
      dir = $4; calls[dir]++; busy[dir] += $2 - $1
      if (!(dir in first) || $1 < first[dir]) first[dir] = $1
      if ($2 > last[dir]) last[dir] = $2
    }
    END {
      for (dir in calls) { k++; c += calls[dir]; b += busy[dir]; s += last[dir] - first[dir] }
      if (k == 0) { print "The trace holds no call made in an instance directory."; exit }
      printf "On average an instance made %.1f terraform calls, which ran for %.2f s in all. From the start of its first call to the end of its last, %.2f s passed, so %.2f s of each instance went to rollout between calls.\n", c / k, b / k, s / k, (s - b) / k
    }' "$TRACE"
}

# A terraform that prints a version for the version calls and exits 0 at
# once for everything else, so plan finds no changes and nothing is applied.
write_stub_terraform() {
  cat >"$1" <<'EOF'
#!/bin/sh
case "$1 $2" in
  "version -json") printf '{"terraform_version":"1.5.7","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}\n' ;;
  "version "*) printf 'Terraform v1.5.7\n' ;;
esac
exit 0
EOF
  chmod +x "$1"
}

# rollout plan --all against the stub at 10, 100 and 500 instances: 1 stack
# in 10 regions, then 4 and 20 stacks in 25 regions. Peak memory is the
# largest resident set of rollout or of any stub process it ran, and a
# stub's is a few MB.
measure_memory() {
  local n stacks regions name row
  write_stub_terraform "$RUN/bin/terraform-stub"
  MEMORY_ROWS=""
  MEMORY_MAX_MB=0
  for n in "${MEMORY_SIZES[@]}"; do
    stacks=$(((n + 24) / 25))
    regions=$((n / stacks))
    name="memory-$n"
    write_rollout_project "$RUN/$name" "$name" "$stacks" "$regions"
    measured "$name" "$ROLLOUT" --chdir "$RUN/$name" --parallelism "$PARALLELISM" \
      --terraform-path "$RUN/bin/terraform-stub" plan --all
    row=$(awk -v n="$n" '{ printf "| %d | %.2f | %.2f | %.2f | %.1f |", n, $1, $2 + $3, ($2 + $3) * 1000 / n, $6 / 1024 }' "$RUN/$name.usage")
    MEMORY_ROWS+="$row"$'\n'
    MEMORY_MAX_MB=$(awk -v m="$MEMORY_MAX_MB" '{ v = $6 / 1024; printf "%.1f", (v > m) ? v : m }' "$RUN/$name.usage")
  done
}

# Print the seconds per operation of a Go benchmark, or nothing when the
# output has no such line.
go_benchmark_seconds() {
  [[ -f $WORK/go-bench.txt ]] || return 0
  awk -v name="$1" '$1 ~ "^"name"(-[0-9]+)?$" { printf "%.3f", $3 / 1e9 }' "$WORK/go-bench.txt"
}

tool_versions() {
  local localstack moto
  localstack=$("$ROOT_DIR/.tools/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("localstack-core"))' 2>/dev/null || echo unknown)
  moto=$("$ROOT_DIR/.tools/moto-venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || echo unknown)
  printf -- '- %s\n' \
    "$("$TERRAFORM" version 2>/dev/null | head -n 1) (${TERRAFORM#"$ROOT_DIR"/})" \
    "Terragrunt $("$TERRAGRUNT" --version | awk '{ print $NF }') (${TERRAGRUNT#"$ROOT_DIR"/})" \
    "rollout at commit $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT_DIR" diff --quiet HEAD 2>/dev/null || echo ' with uncommitted changes') (${ROLLOUT#"$ROOT_DIR"/})" \
    "$(go version)" \
    "LocalStack $localstack (S3), moto $moto (DynamoDB)"
}

machine() {
  local cpu memory
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
  memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  printf '%s, %s CPUs (%s), %s memory, kernel %s' "$(uname -m)" "$(nproc)" "$cpu" "$memory" "$(uname -r)"
}

# Print the share of a run's wall time that the measured program's own
# process spent on a CPU.
cpu_share() {
  awk '{ printf "%.4f", ($2 + $3) / $1 }' "$RUN/$1.usage"
}

compute_ratios() {
  VS_TERRAGRUNT=$(calc "${WALL[rollout-1wave]} / ${WALL[terragrunt]}")
  VS_LOOP=$(calc "${WALL[rollout-1wave]} / ${WALL[loop]}")
  VS_LOOP_WAVES=$(calc "${WALL[rollout-3waves]} / ${WALL[loop-3waves]}")
  UNITS=$(critical_path_units "${THREE_WAVES[@]}")
  CRITICAL_PATH=$(calc "$UNITS * $T1")
  EFFICIENCY=$(calc "$CRITICAL_PATH / ${WALL[rollout-3waves]}")
  LOOP_EFFICIENCY=$(calc "$CRITICAL_PATH / ${WALL[loop-3waves]}")
  SHARE_ONE=$(cpu_share rollout-1wave)
  SHARE_THREE=$(cpu_share rollout-3waves)
  SYNTH_SECONDS=$(go_benchmark_seconds BenchmarkSynthesize1000)
}

# Print the targets as Markdown rows: target, measured, met or missed.
target_rows() {
  local worst_share synth_verdict="not measured: no Go benchmark output"
  worst_share=$(awk -v a="$SHARE_ONE" -v b="$SHARE_THREE" 'BEGIN { print (a > b) ? a : b }')
  if [[ -n $SYNTH_SECONDS ]]; then
    synth_verdict=$(verdict "$SYNTH_SECONDS < $TARGET_SYNTH_SECONDS")
  fi
  printf '| %s | %s | %s |\n' \
    "one wave: rollout ≤ $TARGET_VS_TERRAGRUNT × Terragrunt" "$VS_TERRAGRUNT" "$(verdict "$VS_TERRAGRUNT <= $TARGET_VS_TERRAGRUNT")" \
    "one wave: rollout ≤ $TARGET_VS_LOOP × the parallel loop" "$VS_LOOP" "$(verdict "$VS_LOOP <= $TARGET_VS_LOOP")" \
    "three waves: efficiency ≥ $TARGET_EFFICIENCY" "$EFFICIENCY" "$(verdict "$EFFICIENCY >= $TARGET_EFFICIENCY")" \
    "rollout's own CPU time ≤ $(percent "$TARGET_CPU_SHARE") of the run, in both runs" "$(percent "$worst_share")" "$(verdict "$worst_share <= $TARGET_CPU_SHARE")" \
    "synthesis of 1,000 instances < $TARGET_SYNTH_SECONDS s" "${SYNTH_SECONDS:-n/a} s" "$synth_verdict" \
    "peak memory ≤ $TARGET_MEMORY_MB MB from 10 to 500 instances" "$MEMORY_MAX_MB MB" "$(verdict "$MEMORY_MAX_MB <= $TARGET_MEMORY_MB")"
}

# Print a Markdown row of an approach measured with bench/cputime.
approach_row() {
  printf '| %s | %s | %s | %s | %s |\n' "$2" "${WALL[$1]}" "${OWN_CPU[$1]}" "${CHILD_CPU[$1]}" "${LOAD[$1]}"
}

go_benchmark_section() {
  if [[ ! -f $WORK/go-bench.txt ]]; then
    printf 'Not run. `make bench` runs them before this script, with\n'
    printf '`go test -run '\''^$'\'' -bench . -benchmem ./pkg/stackgen ./pkg/waves`.\n'
    return
  fi
  printf '```\n'
  grep -E '^(Benchmark|goos|goarch|cpu|pkg)' "$WORK/go-bench.txt"
  printf '```\n'
}

write_results() {
  local load_end
  load_end=$(load_average)
  cat >"$RESULTS" <<EOF
# Benchmark results

Written by \`bench/run.sh\` (\`make bench\`) on $(date -u '+%Y-%m-%d %H:%M UTC').

Machine: $(machine). The 1-minute load average was $LOAD_START when the run
began and $load_end when it ended. Other work shared the machine, so every
time below carries that noise; the load before each approach is listed
beside it, and each approach ran once.

$(tool_versions)

## The workload

$INSTANCES instances of one stack, a single \`terraform_data\` resource whose
creation runs \`sleep $SLEEP_SECONDS\` through \`local-exec\`, so no provider is
downloaded. State goes to LocalStack's S3 and locks to moto's DynamoDB, both
on 127.0.0.1. Every approach writes under its own key prefix of a new
bucket, so each starts from empty state, and each runs $PARALLELISM
instances at a time. Wall times are seconds of one run. "own CPU" is the
CPU time of the measured program's own process, and "descendants' CPU"
that of every process it started and waited for, terraform included.

| approach | wall s | own CPU s | descendants' CPU s | load before |
| --- | ---: | ---: | ---: | ---: |
| t1: one instance alone, \`init\`, \`plan -out\`, \`apply\` (median of $T1_SAMPLES runs: $T1_SAMPLES_LIST) | $T1 | | | ${LOAD[t1]} |
$(approach_row loop "plain parallel loop: \`xargs -P $PARALLELISM\` of \`terraform init && terraform apply\`")
$(approach_row terragrunt "Terragrunt \`run-all apply --parallelism $PARALLELISM\`")
$(approach_row rollout-1wave "rollout, one wave of $INSTANCES")
$(approach_row rollout-3waves "rollout, three waves of ${THREE_WAVES[0]}, ${THREE_WAVES[1]} and ${THREE_WAVES[2]}")
$(approach_row loop-3waves "control: the plain loop in the same three waves, one \`xargs\` per wave")

t1's steps (medians): init $T1_INIT s, plan $T1_PLAN s, apply $T1_APPLY s.

- rollout ÷ Terragrunt, one wave: **$VS_TERRAGRUNT**
- rollout ÷ the parallel loop, one wave: **$VS_LOOP**
- three waves: critical path = (sum over waves of ceil(n / $PARALLELISM)) × t1 =
  $UNITS × $T1 = $CRITICAL_PATH s, and efficiency = critical path ÷ rollout's
  wall time = **$EFFICIENCY**. The plain loop in the same three waves
  reaches $LOOP_EFFICIENCY, and rollout ÷ that loop is $VS_LOOP_WAVES.
- rollout's own CPU time is $(percent "$SHARE_ONE") of its wall time in the one-wave run
  and $(percent "$SHARE_THREE") in the three-wave run.
- In the one-wave runs, the processes that rollout ran used
  $(awk "BEGIN { printf \"%.2f\", ${CHILD_CPU[rollout-1wave]} / ${CHILD_CPU[loop]} }") times the CPU time of the plain loop's.

t1 is measured with one instance alone, so the critical path assumes that
running $PARALLELISM terraform processes at once on this machine's $(nproc) CPUs slows
none of them. The control row shows how close a loop with no scheduler
of its own comes to that.

\`bench/cputime\` measures the CPU times. It runs the program, waits for it to
exit without reaping it (\`waitid\` with \`WNOWAIT\`), and reads
\`/proc/PID/stat\` of the exited process, which keeps the process's own
utime and stime apart from its children's cutime and cstime. Both come in
clock ticks of 10 ms, and the kernel may account them by sampling at each
timer tick, so a figure below about 0.1 s is rough.

## Targets

| target | measured | result |
| --- | --- | --- |
$(target_rows)

## Where rollout's time goes

A third one-wave rollout of $INSTANCES instances ran with a terraform wrapper
that records the start and end of every call. Its wall time,
${WALL[rollout-trace]} s, includes a bash process per call and is not compared
above. "max at once" is the largest number of calls of one kind that ran
at the same moment.

$(summarize_trace_calls)

$(summarize_trace_instances) The plain loop makes two calls
per instance: \`init\`, and \`apply\`, which plans in the same process. Each
instance's full terraform output is in
\`bench/work/run/<project>/.rollout/runs/<run-id>/<stack>_<region>.log\`.

## rollout's own cost at scale

\`rollout plan --all\` against a stand-in terraform that prints a version for
the version calls and exits 0 for everything else, so every terraform call returns at
once and plan finds nothing to change. Peak memory is the largest resident
set of rollout or of any process it waited for; the stand-in's is a few
MB.

| instances | wall s | rollout CPU s | rollout CPU ms per instance | peak memory MB |
| ---: | ---: | ---: | ---: | ---: |
${MEMORY_ROWS%$'\n'}

## Go benchmarks

\`BenchmarkSynthesize1000\` loads a project of 40 stacks in 25 regions and
writes its 1,000 root modules, into a new directory each iteration.
\`BenchmarkSynthesizePeakHeap\` samples the heap every millisecond while 10,
100 and 500 instances are synthesized. \`BenchmarkExecute\` runs the scheduler
with a runner that returns at once, parallelism 8 and three waves.

$(go_benchmark_section)
EOF
}

main() {
  check_tools
  LOAD_START=$(load_average)

  mkdir -p "$WORK"
  rm -rf "$RUN"
  mkdir -p "$RUN/bin"
  (cd "$ROOT_DIR" && go build -o "$RUN/bin/cputime" ./bench/cputime)

  # Every approach gets the same environment: the emulators' test keys, no
  # instance metadata lookups or version checks, and an empty terraform
  # CLI configuration, so a user's plugin cache or mirror settings do not
  # apply to one approach and not another.
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true CHECKPOINT_DISABLE=1
  : >"$RUN/terraformrc"
  export TF_CLI_CONFIG_FILE="$RUN/terraformrc"
  unset TF_PLUGIN_CACHE_DIR

  start_emulators
  create_state_store
  write_module "$RUN/modules/sleep"

  measure_t1
  measure_loop
  measure_terragrunt
  measure_rollout
  trace_rollout
  measure_memory

  compute_ratios
  write_results
  cat "$RESULTS"
  log "wrote $RESULTS"
}

main "$@"
