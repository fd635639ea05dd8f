import { describe, expect, it } from 'vitest';
import type { TriggerParam } from './gate.js';
import { compileRegex, paramProblem, TriggerParams } from './params.js';

const param = (kind: TriggerParam['kind'], extra: Partial<TriggerParam> = {}): TriggerParam => ({
  name: 'p',
  description: '',
  kind,
  required: false,
  ...extra,
});

describe('trigger parameters', () => {
  it('checks each kind, then the parameter’s own check', () => {
    expect(paramProblem(param('integer'), '12')).toBeUndefined();
    expect(paramProblem(param('integer'), '1.5')).toBe('expected an integer');
    expect(paramProblem(param('number'), 'x')).toBe('expected a number');
    expect(paramProblem(param('boolean'), 'TRUE')).toBeUndefined();
    expect(paramProblem(param('boolean'), 'yes')).toBe('expected true or false');
    const choices = param('enum', { values: ['low', 'high'] });
    expect(paramProblem(choices, 'HIGH')).toBeUndefined();
    expect(paramProblem(choices, 'mid')).toBe('expected one of low, high');
    expect(paramProblem(param('enum-list', { values: ['a', 'b'] }), 'a, c')).toBe(
      'c: expected items of a, b',
    );
    expect(paramProblem(param('integer-list'), '22, 80')).toBeUndefined();
    expect(paramProblem(param('integer-list'), '22,http')).toBe(
      'expected comma-separated integers',
    );
    expect(paramProblem(param('regex'), '(')).toMatch(/^not a valid regular expression/);
    expect(paramProblem(param('regex'), 'a'.repeat(2000))).toBe('longer than 1024 characters');
    const octal = param('string', {
      check: (v) => (/^[0-7]+$/.test(v) ? undefined : 'expected an octal mode'),
    });
    expect(paramProblem(octal, '0698')).toBe('expected an octal mode');
  });

  it('reads Python inline flags as JavaScript flags', () => {
    expect(compileRegex('(?i)secret').test('SECRET')).toBe(true);
    expect(compileRegex('secret').test('SECRET')).toBe(false);
    expect(paramProblem(param('regex'), '(?i)^key=')).toBeUndefined();
  });

  it('reads values by type, case-insensitively by name, with defaults', () => {
    const params = new TriggerParams(
      [
        ['Ports', '22, 80'],
        ['MAX', '3'],
      ],
      [param('integer', { name: 'other', default: '7' })],
    );
    expect(params.list('ports')).toEqual(['22', '80']);
    expect(params.integer('max')).toBe(3);
    expect(params.integer('other')).toBe(7);
    expect(params.string('missing')).toBeUndefined();
  });
});
