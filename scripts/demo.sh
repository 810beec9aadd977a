#!/usr/bin/env bash
# The demo behind `make demo`: start LocalStack and moto on 127.0.0.1, create
# the example's state bucket and lock table, then plan the example and roll it
# out wave by wave. The emulators keep running afterwards so the result can be
# inspected; `make emulators-stop` stops them.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROLLOUT="$ROOT_DIR/bin/rollout"
S3_ENDPOINT="http://127.0.0.1:${LOCALSTACK_PORT:-4566}"
DYNAMODB_ENDPOINT="http://127.0.0.1:${MOTO_PORT:-4567}"
BUCKET=demo-tfstate
LOCK_TABLE=demo-tflock

step() {
  printf '\n==> %s\n' "$*"
}

export PATH="$ROOT_DIR/.tools/bin:$PATH"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1

step "starting LocalStack (S3) and moto (DynamoDB) on 127.0.0.1"
"$ROOT_DIR/scripts/emulators.sh" start

step "creating state bucket $BUCKET and lock table $LOCK_TABLE"
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$S3_ENDPOINT/$BUCKET")
case $status in
  200 | 409) ;;
  *) echo "demo: creating bucket $BUCKET failed with HTTP $status" >&2; exit 1 ;;
esac
"$ROOT_DIR/.tools/moto-venv/bin/python" - "$DYNAMODB_ENDPOINT" "$LOCK_TABLE" <<'PY'
import sys
import boto3

endpoint, table = sys.argv[1], sys.argv[2]
client = boto3.client("dynamodb", endpoint_url=endpoint)
try:
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
except client.exceptions.ResourceInUseException:
    pass
PY

cd "$ROOT_DIR/examples/multi-region"

step "rollout validate"
"$ROLLOUT" validate

step "rollout plan"
"$ROLLOUT" plan

step "rollout apply --wave canary"
"$ROLLOUT" apply --wave canary --yes

step "rollout apply --all"
"$ROLLOUT" apply --all --yes

step "rollout plan --detailed-exitcode (expect no changes)"
"$ROLLOUT" plan --detailed-exitcode

printf '\nDemo done. States are in s3://%s at %s; stop the emulators with: make emulators-stop\n' "$BUCKET" "$S3_ENDPOINT"
