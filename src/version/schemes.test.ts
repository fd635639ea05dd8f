import { describe, expect, it } from 'vitest';
import { VERSION_SCHEMES, versionScheme } from './schemes.js';

describe('VERSION_SCHEMES', () => {
  it('has one scheme per name, each found by it', () => {
    const names = VERSION_SCHEMES.map((scheme) => scheme.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(['apk', 'dpkg', 'gem', 'go', 'maven', 'pep440', 'rpm', 'semver']);
    for (const scheme of VERSION_SCHEMES) expect(versionScheme(scheme.name)).toBe(scheme);
    expect(versionScheme('cargo')).toBeUndefined();
  });
});
