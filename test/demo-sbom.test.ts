/**
 * The demo image end to end through the built CLI: every cataloger that has something to find in
 * it finds it, ownership links the Python package to the Debian package that installed it, the
 * secret is found and redacted, account files are retained, and the standard formats validate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import type { ImageContent, Package } from '../src/model/index.js';
import { cyclonedx16Validator, spdx23Validator } from './fixtures/sbom/schemas.js';
import { ensureBuilt, runCli } from './harness/cli.js';
import { buildImage, writeOciLayout } from './harness/image-builder.js';

let work: string;
let source: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-demo-sbom-'));
  await writeOciLayout(join(work, 'layout'), buildImage(demoImageSpec), 'demo');
  source = `oci-dir:${join(work, 'layout')}:demo`;
  await ensureBuilt();
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function sbomJson(): Promise<ImageContent> {
  const result = await runCli(['sbom', source, '-o', 'json', '-q', '--no-cache'], work);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ImageContent;
}

const summary = (p: Package): string => `${p.type} ${p.name}@${p.version}`;

describe('drydock sbom on the demo image', () => {
  it('lists the Debian, npm and Python packages with their sources, PURLs and owners', async () => {
    const content = await sbomJson();
    expect(content.distro).toMatchObject({ id: 'debian', versionId: '12' });
    expect(content.packages.map(summary).sort()).toEqual([
      'dpkg base-files@12.4+deb12u5',
      'dpkg bash@5.2.15-2+b2',
      'dpkg libc6@2.36-9+deb12u4',
      'dpkg python3-requests@2.28.1+dfsg-1',
      'npm demo-app@1.0.0',
      'npm express@4.17.1',
      'npm ms@2.0.0',
      'python requests@2.28.1',
    ]);
    const byName = new Map(content.packages.map((p) => [p.name, p]));
    expect(byName.get('libc6')).toMatchObject({
      source: { name: 'glibc' },
      purl: 'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc',
    });
    expect(byName.get('requests')?.ownedBy).toBe(byName.get('python3-requests')?.id);
    expect(byName.get('express')).toMatchObject({
      licenses: ['MIT'],
      purl: 'pkg:npm/express@4.17.1',
    });
    expect(byName.get('express')?.locations[0]).toMatchObject({
      path: '/app/node_modules/express/package.json',
      layerIndex: 1,
    });
  });

  it('finds the AWS key left in /app/.env without repeating it, and keeps account files', async () => {
    const content = await sbomJson();
    expect(content.secrets).toEqual([
      expect.objectContaining({ path: '/app/.env', line: 1, pattern: 'aws-access-key-id' }),
    ]);
    expect(JSON.stringify(content)).not.toContain('AKIA2DRYDOCKDEMO7Q4Z');
    expect(content.retainedFiles.map((f) => f.path)).toEqual([
      '/etc/group',
      '/etc/passwd',
      '/etc/shadow',
    ]);
  });

  it('writes CycloneDX and SPDX documents that validate and hold every package', async () => {
    for (const [format, validator] of [
      ['cyclonedx-json', cyclonedx16Validator()],
      ['spdx-json', spdx23Validator()],
    ] as const) {
      const result = await runCli(['sbom', source, '-o', format, '-q', '--no-cache'], work);
      expect(result.code).toBe(0);
      const doc = JSON.parse(result.stdout) as unknown;
      expect(validator(doc), JSON.stringify(validator.errors)).toBe(true);
      for (const purl of ['pkg:npm/ms@2.0.0', 'pkg:pypi/requests@2.28.1'])
        expect(result.stdout).toContain(purl);
      // Secrets belong in drydock's own JSON, never in an SBOM meant for sharing.
      expect(result.stdout).not.toContain('/app/.env');
    }
  });

  it('drydock content: the Anchore os listing', async () => {
    const result = await runCli(['content', source, 'os', '-o', 'json', '-q', '--no-cache'], work);
    expect(result.code).toBe(0);
    const response = JSON.parse(result.stdout) as {
      content_type: string;
      content: { package: string; version: string; origin?: string }[];
    };
    expect(response.content_type).toBe('os');
    expect(response.content.map((p) => `${p.package}@${p.version}`)).toEqual([
      'base-files@12.4+deb12u5',
      'bash@5.2.15-2+b2',
      'libc6@2.36-9+deb12u4',
      'python3-requests@2.28.1+dfsg-1',
    ]);
  });
});
