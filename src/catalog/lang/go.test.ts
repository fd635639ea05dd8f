import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageTree } from '../../../test/harness/catalog.js';
import { collectedValues } from '../collectors.js';
import { goBinaryCollector, goCataloger, goPackages } from './go.js';

describe('goPackages', () => {
  it('reports the main module as (devel) and applies module replacements', () => {
    const modules = goPackages({
      goVersion: 'go1.21.5',
      path: 'example.com/app/cmd/app',
      main: { path: 'example.com/app', version: '' },
      deps: [
        { path: 'golang.org/x/sys', version: 'v0.15.0', sum: 'h1:abc=' },
        {
          path: 'github.com/old/lib',
          version: 'v1.0.0',
          replace: { path: 'github.com/new/lib', version: 'v1.1.0', sum: 'h1:ghi=' },
        },
        {
          path: 'example.com/local',
          version: 'v0.0.0',
          replace: { path: '../local', version: '(devel)' },
        },
      ],
      settings: [],
    });
    expect(modules).toEqual([
      { path: 'example.com/app', version: '(devel)', sum: undefined },
      { path: 'golang.org/x/sys', version: 'v0.15.0', sum: 'h1:abc=' },
      { path: 'github.com/new/lib', version: 'v1.1.0', sum: 'h1:ghi=' },
      { path: 'example.com/local', version: 'v0.0.0', sum: undefined, replacedBy: '../local' },
    ]);
  });
});

describe('goCataloger', () => {
  // skopeo on this host is a real Go program, built by Debian in GOPATH mode: build info with a
  // main package path and no modules.
  const skopeo = readFileSync('/usr/bin/skopeo');

  it('collects executable ELF files only, and reports no modules for a GOPATH build', async () => {
    const tree = await imageTree(
      [
        [
          { path: 'usr/bin/skopeo', mode: 0o755, content: skopeo },
          { path: 'usr/share/doc/skopeo.copy', mode: 0o644, content: skopeo },
          { path: 'usr/bin/script', mode: 0o755, content: '#!/bin/sh\n'.repeat(100) },
        ],
      ],
      [goBinaryCollector],
    );
    const collected = collectedValues(tree, goBinaryCollector);
    expect(collected).toEqual([
      {
        path: '/usr/bin/skopeo',
        value: {
          buildInfo: expect.objectContaining({
            goVersion: expect.stringMatching(/^go1\.\d+/) as unknown,
            path: 'github.com/containers/skopeo/cmd/skopeo',
            deps: [],
          }) as unknown,
        },
      },
    ]);
    const warnings: string[] = [];
    expect(goCataloger.catalog({ tree, warn: (w) => warnings.push(w) })).toEqual([]);
    expect(warnings).toEqual([]);
  });
});
