import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gemLockfileCollector, parseGemfileLock, parseGemspec } from './gem.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/gem/${name}`, import.meta.url), 'utf8');

describe('parseGemspec', () => {
  it('reads a default-gem specification: \\u escapes, .freeze, arrays', () => {
    const spec = parseGemspec(fixture('bundler-2.3.7.gemspec'));
    expect(spec).toMatchObject({
      name: 'bundler',
      version: '2.3.7',
      licenses: ['MIT'],
      homepage: 'https://bundler.io',
    });
    expect(spec?.authors[0]).toBe('André Arko');
    expect(spec?.authors).toHaveLength(15);
    expect(spec?.platform).toBeUndefined();
  });

  it('reads a specification with dependencies after the fields', () => {
    expect(parseGemspec(fixture('sdbm-1.0.0.gemspec'))).toEqual({
      name: 'sdbm',
      version: '1.0.0',
      licenses: ['BSD-2-Clause'],
      authors: ['Yukihiro Matsumoto'],
      homepage: 'https://github.com/ruby/sdbm',
    });
  });

  it('reads Gem::Version.new, single quotes, %q, %w and multi-line arrays', () => {
    expect(parseGemspec(fixture('handwritten.gemspec'))).toEqual({
      name: 'tiny_gem',
      version: '2.0.0.pre.1',
      licenses: ['MIT', 'Ruby'],
      authors: ['Ada Lovelace', "O'Brien"],
      homepage: 'https://example.org/tiny_gem',
      platform: 'x86_64-linux',
    });
  });

  it('falls back to the stub line when the values are not literals', () => {
    const text =
      '# stub: fancy 1.2.3 ruby lib\nGem::Specification.new do |s|\n  s.name = NAME\n  s.version = Fancy::VERSION\nend\n';
    expect(parseGemspec(text)).toMatchObject({ name: 'fancy', version: '1.2.3' });
    expect(parseGemspec('s.name = NAME\n')).toBeUndefined();
  });

  it('never evaluates: interpolation and code stay text', () => {
    const spec = parseGemspec('s.name = "x#{system(\'id\')}"\ns.version = `id`\n# stub: a 1\n');
    expect(spec).toMatchObject({ name: "x#{system('id')}", version: '1' });
  });

  it('ignores comparisons and unterminated strings', () => {
    expect(parseGemspec('s.name == "a"\ns.version = "1\n')).toBeUndefined();
  });

  it('reads a bounded number of assignments, so unterminated literals cannot make it quadratic', () => {
    // A megabyte of `%q(` literals that never close: each would otherwise be scanned to the end.
    const hostile = `${'s.name = %q(\n'.repeat(80_000)}# stub: late 1.0\n`;
    expect(parseGemspec(hostile)).toMatchObject({ name: 'late', version: '1.0' });
  });
});

describe('parseGemfileLock', () => {
  it('reads the specs of the GEM, GIT and PATH sections with platforms, not dependencies', () => {
    expect(parseGemfileLock(fixture('Gemfile.lock'))).toEqual([
      { name: 'rack', version: '3.1.0.dev' },
      { name: 'my_app', version: '0.1.0' },
      { name: 'actionpack', version: '7.1.3' },
      { name: 'nokogiri', version: '1.16.0', platform: 'aarch64-linux' },
      { name: 'nokogiri', version: '1.16.0', platform: 'x86_64-linux' },
      { name: 'racc', version: '1.7.3' },
      { name: 'rails', version: '7.1.3' },
    ]);
  });

  it('reads CRLF files and ignores specs outside spec sections', () => {
    const text = 'GEM\r\n  specs:\r\n    a (1.0)\r\n\r\nDEPENDENCIES\r\n    b (2.0)\r\n';
    expect(parseGemfileLock(text)).toEqual([{ name: 'a', version: '1.0' }]);
  });
});

describe('gemLockfileCollector', () => {
  const wants = (path: string): boolean =>
    gemLockfileCollector.open({ path, size: 10, mode: 0o644 }) !== undefined;

  it("takes apps' lockfiles, not those inside an installed gem's own directory", () => {
    expect(wants('/srv/app/Gemfile.lock')).toBe(true);
    expect(wants('/srv/gems/app/gems.locked')).toBe(true);
    expect(wants('/usr/lib/ruby/gems/3.1.0/gems/rbs-2.7.0/steep/Gemfile.lock')).toBe(false);
    expect(wants('/usr/local/bundle/gems/rails-7.1.0/Gemfile.lock')).toBe(false);
    expect(wants('/srv/app/Gemfile')).toBe(false);
  });
});
