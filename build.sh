#!/usr/bin/env bash
# One entry point for developers and CI.
#   ./build.sh test    install the Debian packages the tests need (when missing), build, run every test
#   ./build.sh build   build the solution
#   ./build.sh format  check whitespace against .editorconfig (dotnet format whitespace; part of `test`)
#   ./build.sh run [--demo] [...]   install what is missing, build once, run every app of dapr.yaml without Dapr
#                                   (tools/Kmrl.Dapr.Local.Host; `./build.sh run --help`; production uses real Dapr)
#   ./build.sh bench [--quick] [--only P1,P3,R]   run the benchmarks (bench/) and the reliability suite in its long mode, write docs/benchmarks.md
set -euo pipefail
cd "$(dirname "$0")"

# Real servers and tools the tests start: Redis, Dovecot IMAP, pure-ftpd, OpenSSH, tesseract (osd, English and the
# Indic packs), ImageMagick (turning and deskewing scans), poppler, qpdf, LibreOffice headless (legacy Office,
# OpenDocument, RTF) and msgconvert (Outlook .msg; Email::Address is only a Recommends of it, and msgconvert does not
# start without it), PostgreSQL (the search index engine for several replicas; pg_trgm and fuzzystrmatch ship
# with it), Chromium (the staff pages' browser tests drive it through Playwright, never a browser of its own),
# prometheus (promtool checks and unit-tests the alert rules in k8s/monitoring).
TEST_PACKAGES=(redis-server dovecot-core dovecot-imapd pure-ftpd openssh-server openssh-client openssl
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-mal poppler-utils qpdf fonts-noto-core
  tesseract-ocr-osd tesseract-ocr-hin tesseract-ocr-ben tesseract-ocr-pan tesseract-ocr-guj tesseract-ocr-ori
  tesseract-ocr-tam tesseract-ocr-tel tesseract-ocr-kan imagemagick
  libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui libemail-outlook-message-perl libemail-address-perl postgresql
  ocrmypdf python3-uno chromium prometheus)

install_test_packages() {
  local missing=()
  for package in "${TEST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  echo "Installing test packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  # policy-rc.d keeps package scripts from starting the servers on their default ports: the tests start their own.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

summarise() {
  local results=$1 passed=0 failed=0 skipped=0
  for file in "$results"/*.trx; do
    [ -f "$file" ] || continue
    local counters
    counters=$(grep -o '<Counters [^>]*>' "$file" | head -n 1)
    passed=$((passed + $(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")))
    failed=$((failed + $(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")))
    skipped=$((skipped + $(sed -E 's/.* notExecuted="([0-9]+)".*/\1/' <<<"$counters")))
  done
  echo "Tests: $passed passed, $failed failed, $skipped skipped"
}

# Files written before the whitespace check that it does not reformat yet (object initialisers of `with` expressions
# and wrapped arguments laid out by hand); `dotnet format whitespace --folder --include <file>` fixes one, and then it
# leaves this list. Every other file is held to .editorconfig.
FORMAT_BASELINE=(
  bench/Kmrl.Bench/Benchmarks/P3NoChangePoll.cs
  services/Kmrl.Notifications/Deadlines/DeadlineReminders.cs
  tests/Kmrl.DocumentApi.Tests/Api/SearchApiTests.cs
  tests/Kmrl.Search.Tests/PostgresSearchIndexTests.cs
  tests/Kmrl.Search.Tests/SearchCorpus.cs
  tests/Kmrl.Search.Tests/SearchIndexContract.cs
  tools/Kmrl.Dapr.Local/Components/CronSchedule.cs
  tools/Kmrl.Dapr.Local/Runtime/LocalFileSecretStore.cs
)

# Whitespace only, file by file (--folder: no build or restore); code-style rules are enforced by the build itself
# (EnforceCodeStyleInBuild). Prints each offending place and fails.
check_format() {
  dotnet format whitespace --folder --verify-no-changes --exclude "${FORMAT_BASELINE[@]}" .data
}

case "${1:-test}" in
  build)
    dotnet build Kmrl.Dapr.sln -c Release
    ;;
  format)
    check_format
    ;;
  test)
    check_format
    install_test_packages
    results="$(pwd)/.data/test-results"
    rm -rf "$results"
    status=0
    dotnet test Kmrl.Dapr.sln --logger "trx" --results-directory "$results" --blame-hang-timeout 5m || status=$?
    summarise "$results"
    exit $status
    ;;
  run)
    # The local runtime starts the same real servers as the tests (Redis; Dovecot and pure-ftpd for --demo) and the
    # apps need the document tools. One Debug build of the host builds every app it runs (`dotnet run --no-build`).
    install_test_packages
    shift
    dotnet build tools/Kmrl.Dapr.Local.Host
    exec dotnet tools/Kmrl.Dapr.Local.Host/bin/Debug/net10.0/kmrl-local.dll "$@"
    ;;
  bench)
    # The benchmarks start the same real servers as the tests.
    install_test_packages
    shift
    dotnet run -c Release --project bench/Kmrl.Bench -- "$@"
    ;;
  *)
    echo "usage: ./build.sh [test|build|format|run|bench]" >&2
    exit 2
    ;;
esac
