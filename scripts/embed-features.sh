#!/usr/bin/env bash
# Regenerates the built-in definitions compiled into the binary from features/*.toml:
# Sources/RecurCore/Features/BuiltinFeatureSets.swift and Sources/RecurCore/Analytics/BuiltinRollups.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "// Generated from features/default.toml by scripts/embed-features.sh; a test keeps the two identical."
  echo
  echo "/// The feature sets compiled into the binary, so that \`recur\` works from any folder."
  echo "enum BuiltinFeatureSets {"
  echo "    static let files: [(name: String, text: String)] = [(\"default.toml\", defaultSet)]"
  echo
  echo '    static let defaultSet = #"""'
  cat features/default.toml
  echo
  echo '"""#'
  echo "}"
} > Sources/RecurCore/Features/BuiltinFeatureSets.swift
{
  echo "// Generated from features/rollups.toml by scripts/embed-features.sh; a test keeps the two identical."
  echo
  echo "/// The rollups compiled into the binary, so that every store keeps them."
  echo "enum BuiltinRollups {"
  echo '    static let text = #"""'
  cat features/rollups.toml
  echo
  echo '"""#'
  echo "}"
} > Sources/RecurCore/Analytics/BuiltinRollups.swift
