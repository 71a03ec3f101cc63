#!/usr/bin/env bash
# Regenerates Sources/RecurCore/Features/BuiltinFeatureSets.swift from features/default.toml.
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
