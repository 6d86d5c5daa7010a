#!/usr/bin/env bash
# storage: the S3 offer (cargo feature `s3`) against a SeaweedFS server the test starts
# itself; `weed` is installed by scripts/setup.d/storage.sh, so a missing one is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
VAS_REQUIRE_S3=1 cargo test -p vas-core --features cli,s3 --test storage_s3 --lib storage::s3 -- --test-threads=1
