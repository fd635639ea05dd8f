/**
 * The engine part of the demo (`scripts/demo.sh` runs it): a local registry holding the demo
 * image, `drydock serve` on a free port with the demo's vulnerability records, and the
 * anchore-cli-style commands a CI pipeline runs against it — add, wait, vuln, evaluate check.
 * Everything stops at the end; nothing outside .demo/ is written.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import { importFeeds } from '../test/harness/engine.js';
import { buildImage } from '../test/harness/image-builder.js';
import { startRegistry } from '../test/harness/registry.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'drydock.js');
const DATA = join(ROOT, '.demo', 'engine');
const PORT = 18228;
const URL = `http://127.0.0.1:${String(PORT)}/v1`;
const ENV = {
  ...process.env,
  ANCHORE_CLI_URL: URL,
  ANCHORE_CLI_USER: 'admin',
  ANCHORE_CLI_PASS: 'foobar',
};

function drydock(args: string[], note = ''): number {
  console.log(`\n$ drydock ${args.join(' ')}${note === '' ? '' : `   (${note})`}`);
  const { status } = spawnSync(process.execPath, [CLI, ...args], { stdio: 'inherit', env: ENV });
  return status ?? 1;
}

async function waitForEngine(): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (
      await fetch(`${URL.replace(/\/v1$/, '')}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('drydock serve did not start');
}

const registry = await startRegistry();
await rm(DATA, { recursive: true, force: true });
const server = spawn(
  process.execPath,
  [CLI, 'serve', '--dev', '--host', '127.0.0.1', '--port', String(PORT), '--data-dir', DATA],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
try {
  const tag = `${registry.host}/demo/app:1.0`;
  await registry.push('demo/app', '1.0', buildImage(demoImageSpec));
  await importFeeds(DATA, join(ROOT, 'examples', 'demo-image', 'osv'));
  await waitForEngine();
  console.log(
    `\nA registry at ${registry.host} holds the demo image; the engine answers at ${URL}.`,
  );
  drydock(['system', 'status']);
  drydock(['image', 'add', tag]);
  drydock(['image', 'wait', tag, '--interval', '1']);
  drydock(['image', 'vuln', tag, 'all']);
  const code = drydock(['evaluate', 'check', tag], 'what the Codeship and GitLab seeds gate on');
  console.log(
    `(exit code ${String(code)}: ${code === 1 ? 'the image fails the policy' : 'see above'})`,
  );
} finally {
  server.kill('SIGTERM');
  await registry.stop();
}
