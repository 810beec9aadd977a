#!/usr/bin/env bash
# The demo behind `make demo`: start LocalStack and moto on 127.0.0.1, create
# the example's state bucket and lock table with rollout bootstrap, then plan
# the example and roll it out wave by wave. The example's rollout.hcl names
# the default ports, 4566 and 4567. The emulators keep running afterwards so
# the result can be inspected; `make emulators-stop` stops them.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROLLOUT="$ROOT_DIR/bin/rollout"
S3_ENDPOINT="http://127.0.0.1:4566"
BUCKET=demo-tfstate

step() {
  printf '\n==> %s\n' "$*"
}

export PATH="$ROOT_DIR/.tools/bin:$PATH"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1

step "starting LocalStack (S3) and moto (DynamoDB) on 127.0.0.1"
"$ROOT_DIR/scripts/emulators.sh" start

cd "$ROOT_DIR/examples/multi-region"

step "rollout validate"
"$ROLLOUT" validate

step "rollout bootstrap (state bucket and lock table)"
"$ROLLOUT" bootstrap

step "rollout plan"
"$ROLLOUT" plan

step "rollout apply --wave canary"
"$ROLLOUT" apply --wave canary --yes

step "rollout apply --all"
"$ROLLOUT" apply --all --yes

step "rollout plan --detailed-exitcode (expect no changes)"
"$ROLLOUT" plan --detailed-exitcode

printf '\nDemo done. States are in s3://%s at %s; stop the emulators with: make emulators-stop\n' "$BUCKET" "$S3_ENDPOINT"
