#!/usr/bin/env node
// The package's `eir` command: the command-line client, as built into dist/ by `npm run build`.
const { join } = require('node:path');

let cli;
try {
  cli = require(join(__dirname, '..', 'dist', 'src', 'cli', 'eir.js'));
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND') throw error;
  process.stderr.write('eir: the client is not built yet; run `npm run build` first\n');
  process.exit(1);
}
cli.run(process.argv.slice(2));
