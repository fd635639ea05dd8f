/** Writes the demo image (examples/demo-image/spec.ts) as an OCI layout: `tsx scripts/build-demo-image.ts OUT_DIR`. */
import { rm } from 'node:fs/promises';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import { buildImage, writeOciLayout } from '../test/harness/image-builder.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: tsx scripts/build-demo-image.ts OUT_DIR');
  process.exit(2);
}
await rm(out, { recursive: true, force: true });
await writeOciLayout(out, buildImage(demoImageSpec), 'demo');
console.error(`demo image written to ${out} (tag "demo")`);
