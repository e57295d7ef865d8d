#!/usr/bin/env bash
# LocalStack ready hook: runs inside the container once every service is up.
# It creates what the functions need when they run outside a CDK deploy
# (for example `make run` with PORTICO_STORE=dynamodb pointed here, or
# `make localstack-test`): the cursor-key and oauth2-seed secrets (both 64
# random alphanumerics in a deploy; hex here). The table itself is created
# by the functions with PORTICO_CREATE_TABLE=true, or by the State stack
# through `make localstack-deploy`. Idempotent: safe on every start.
set -euo pipefail

REGION="${AWS_DEFAULT_REGION:-us-east-1}"
for pair in "cursor-key:PORTICO_CURSOR_KEY" "oauth2-seed:PORTICO_OAUTH2_SEED_SECRET_ARN"; do
  SECRET="portico/local/${pair%%:*}"
  if ! awslocal --region "$REGION" secretsmanager describe-secret --secret-id "$SECRET" >/dev/null 2>&1; then
    key="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    awslocal --region "$REGION" secretsmanager create-secret \
      --name "$SECRET" --description "${pair#*:} for local runs" \
      --secret-string "$key" >/dev/null
    echo "portico: created secret $SECRET"
  fi
done
echo "portico: LocalStack ready"
