import { describe, expect, it } from 'vitest';
import { classifyLicense, isSpdxExpression, licenseRef } from './licenses.js';

describe('classifyLicense', () => {
  it.each([
    ['MIT', { kind: 'id', id: 'MIT' }],
    ['apache-2.0', { kind: 'id', id: 'Apache-2.0' }],
    ['MIT OR Apache-2.0', { kind: 'expression', expression: 'MIT OR Apache-2.0' }],
    [
      '(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0',
      {
        kind: 'expression',
        expression: '(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0',
      },
    ],
    ['LicenseRef-acme', { kind: 'expression', expression: 'LicenseRef-acme' }],
    ['GPLv3+', { kind: 'name', name: 'GPLv3+' }],
    ['Apache 2.0', { kind: 'name', name: 'Apache 2.0' }],
    ['MIT OR', { kind: 'name', name: 'MIT OR' }],
    ['(MIT', { kind: 'name', name: '(MIT' }],
    ['MIT)', { kind: 'name', name: 'MIT)' }],
  ])('%s', (text, expected) => {
    expect(classifyLicense(text)).toEqual(expected);
  });

  it('refuses deep nesting and very long strings without recursing into them', () => {
    expect(isSpdxExpression(`${'('.repeat(17)}MIT${')'.repeat(17)}`)).toBe(false);
    expect(isSpdxExpression(`${'('.repeat(16)}MIT${')'.repeat(16)}`)).toBe(true);
    expect(classifyLicense(`${'('.repeat(100_000)}MIT`).kind).toBe('name');
    expect(classifyLicense(Array(600).fill('MIT').join(' AND ')).kind).toBe('name');
  });
});

describe('licenseRef', () => {
  it.each([
    ['GPLv3+', 'LicenseRef-GPLv3-plus'],
    ['Apache 2.0', 'LicenseRef-Apache-2.0'],
    ['  ', 'LicenseRef-unknown'],
    ['BSD (3 clause)', 'LicenseRef-BSD-3-clause'],
  ])('%s → %s', (name, ref) => {
    expect(licenseRef(name)).toBe(ref);
    expect(ref).toMatch(/^LicenseRef-[A-Za-z0-9.-]+$/);
  });
});
