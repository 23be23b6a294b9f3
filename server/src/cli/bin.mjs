#!/usr/bin/env node
// `npx stock-verify <command>`: the CLI from source through tsx (a runtime dependency) when the
// source is there, else the production build in dist/server.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const source = path.join(root, 'server/src/cli.ts');
if (fs.existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(path.join(root, 'dist/server/cli.js')).href);
}
