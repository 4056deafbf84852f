#!/usr/bin/env bash
# harness.sh - the name the first tests (and the Makefile's fixtures rule) source; the harness
# itself is lib.sh. Keeps the shell options those tests were written for (no -e).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
