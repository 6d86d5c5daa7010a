#!/usr/bin/env bash
# storage: the S3 offer (cargo feature `s3`) against a SeaweedFS server the test starts
# itself, and the Swift offer (cargo feature `swift`) against a single-node Swift the test
# starts itself (rings in a temporary folder, 127.0.0.1, TempAuth). `weed`, the Swift
# servers and memcached are installed by scripts/setup.d/storage.sh, so a missing one is a
# failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test -p vas-core --features cli,s3,swift --lib storage::
VAS_REQUIRE_S3=1 cargo test -p vas-core --features cli,s3 --test storage_s3 -- --nocapture
VAS_REQUIRE_SWIFT=1 cargo test -p vas-core --features cli,swift --test storage_swift -- --nocapture
