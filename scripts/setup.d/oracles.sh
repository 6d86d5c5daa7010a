#!/usr/bin/env bash
# The Java oracles (vas-core/tests/oracles/): the validators Vitam runs (Xerces 2.12 in XSD 1.1
# mode, Jing for RelaxNG, through javax.xml.validation), for the tests that compare vas's
# Vitam mode and profile validation with them. Needs a JDK (11+) and Maven; fetches the jars
# listed in vas-core/tests/oracles/pom.xml into target/oracles/java/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
command -v java >/dev/null 2>&1 || need+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
dest=target/oracles/java
if ! ls "$dest"/xercesImpl-*.jar "$dest"/jing-*.jar >/dev/null 2>&1; then
  mkdir -p "$dest"
  mvn -q -B -f vas-core/tests/oracles/pom.xml dependency:copy-dependencies \
    -Dstyle.color=never -DoutputDirectory="$PWD/$dest" >/dev/null
fi
ls "$dest"
