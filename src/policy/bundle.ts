/**
 * Reads and validates an Anchore policy bundle (`version: "1_0"`). Every problem is collected, each
 * naming where it is (policy, rule id, parameter), and a bundle with any problem is refused whole.
 */
import {
  DrydockError,
  type ImageSelector,
  type Policy,
  type PolicyAction,
  type PolicyBundle,
  type PolicyMapping,
  type PolicyRule,
  type Whitelist,
  type WhitelistItem,
} from '../model/index.js';
import { gateNamed, triggerNamed } from './gates.js';
import { paramProblem, TriggerParams } from './params.js';

/** Bounds on an untrusted bundle. */
const MAX_ITEMS = 100_000;
const MAX_STRING = 64 * 1024;
const MAX_PROBLEMS_SHOWN = 20;

type Json = Record<string, unknown>;

export class PolicyBundleError extends DrydockError {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).join('; ');
    const more =
      problems.length > MAX_PROBLEMS_SHOWN
        ? ` (and ${problems.length - MAX_PROBLEMS_SHOWN} more)`
        : '';
    super('invalid-argument', `policy bundle ${source} is not valid: ${shown}${more}`);
  }
}

/** Parses bundle JSON text; `source` names it in errors (a file name, `request body`). */
export function parseBundle(text: string, source: string): PolicyBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PolicyBundleError(source, [
      `not JSON (${error instanceof Error ? error.message : 'unknown'})`,
    ]);
  }
  return validateBundle(value, source);
}

/** Validates a parsed bundle; throws PolicyBundleError listing every problem. */
export function validateBundle(value: unknown, source: string): PolicyBundle {
  const problems: string[] = [];
  const reader = new Reader(problems);
  const bundle = reader.bundle(value);
  if (problems.length > 0 || bundle === undefined) throw new PolicyBundleError(source, problems);
  return bundle;
}

class Reader {
  constructor(private readonly problems: string[]) {}

  bundle(value: unknown): PolicyBundle | undefined {
    const top = this.object(value, 'the bundle');
    if (top === undefined) return undefined;
    const policies = this.list(top.policies, 'policies', (p, i) => this.policy(p, i));
    const whitelists = this.list(top.whitelists, 'whitelists', (w, i) => this.whitelist(w, i));
    const bundle: PolicyBundle = {
      id: this.text(top.id, 'bundle id') ?? '',
      version: this.version(top.version, 'the bundle'),
      policies,
      whitelists,
      mappings: this.list(top.mappings, 'mappings', (m, i) =>
        this.mapping(m, i, policies, whitelists),
      ),
      whitelisted_images: this.list(top.whitelisted_images, 'whitelisted_images', (s, i) =>
        this.selector(s, `whitelisted_images[${i}]`),
      ),
      blacklisted_images: this.list(top.blacklisted_images, 'blacklisted_images', (s, i) =>
        this.selector(s, `blacklisted_images[${i}]`),
      ),
    };
    this.optional(bundle, 'name', top.name, 'bundle name');
    this.optional(bundle, 'comment', top.comment, 'bundle comment');
    if (policies.length === 0) this.problems.push('the bundle has no policies');
    this.unique(
      policies.map((p) => p.id),
      'policy id',
    );
    this.unique(
      whitelists.map((w) => w.id),
      'whitelist id',
    );
    return bundle;
  }

  private policy(value: unknown, index: number): Policy | undefined {
    const where = `policies[${index}]`;
    const json = this.object(value, where);
    if (json === undefined) return undefined;
    const id = this.text(json.id, `${where}.id`) ?? '';
    const policy: Policy = {
      id,
      version: this.version(json.version, `policy ${id}`),
      rules: this.list(json.rules, `policy ${id} rules`, (r, i) =>
        this.rule(r, `policy ${id} rule ${i}`),
      ),
    };
    this.optional(policy, 'name', json.name, `${where}.name`);
    this.optional(policy, 'comment', json.comment, `${where}.comment`);
    return policy;
  }

  private rule(value: unknown, fallback: string): PolicyRule | undefined {
    const json = this.object(value, fallback);
    if (json === undefined) return undefined;
    const id = this.optionalText(json.id, `${fallback}.id`);
    const where = id === undefined ? fallback : `${fallback.replace(/ rule \d+$/, '')} rule ${id}`;
    const gateName = this.text(json.gate, `${where}: gate`) ?? '';
    const triggerName = this.text(json.trigger, `${where}: trigger`) ?? '';
    const action = this.action(json.action, where);
    const params = this.list(json.params, `${where}: params`, (p, i) =>
      this.param(p, `${where}: params[${i}]`),
    );
    const rule: PolicyRule = {
      gate: gateName.toLowerCase(),
      trigger: triggerName.toLowerCase(),
      action,
      params,
    };
    if (id !== undefined) rule.id = id;
    this.checkTrigger(rule, where);
    return rule;
  }

  private checkTrigger(rule: PolicyRule, where: string): void {
    const gate = gateNamed(rule.gate);
    if (gate === undefined) {
      if (rule.gate !== '') this.problems.push(`${where}: unknown gate "${rule.gate}"`);
      return;
    }
    const trigger = triggerNamed(gate, rule.trigger);
    if (trigger === undefined) {
      if (rule.trigger !== '')
        this.problems.push(
          `${where}: gate ${gate.name} has no trigger "${rule.trigger}" (it has ${gate.triggers.map((t) => t.name).join(', ')})`,
        );
      return;
    }
    const given = new Map(rule.params.map((p) => [p.name.toLowerCase(), p.value]));
    for (const name of given.keys())
      if (!trigger.params.some((p) => p.name.toLowerCase() === name))
        this.problems.push(
          `${where}: trigger ${gate.name}/${trigger.name} has no parameter "${name}"${trigger.params.length > 0 ? ` (it takes ${trigger.params.map((p) => p.name).join(', ')})` : ''}`,
        );
    const before = this.problems.length;
    for (const param of trigger.params) {
      const value = given.get(param.name.toLowerCase());
      if (value === undefined) {
        if (param.required) this.problems.push(`${where}: parameter ${param.name} is required`);
        continue;
      }
      const problem = paramProblem(param, value);
      if (problem !== undefined)
        this.problems.push(`${where}: parameter ${param.name} "${value.slice(0, 80)}": ${problem}`);
    }
    if (this.problems.length > before || trigger.validate === undefined) return;
    const params = new TriggerParams(given, trigger.params);
    for (const problem of trigger.validate(params)) this.problems.push(`${where}: ${problem}`);
  }

  private param(value: unknown, where: string): { name: string; value: string } | undefined {
    const json = this.object(value, where);
    if (json === undefined) return undefined;
    const name = this.text(json.name, `${where}.name`);
    const raw = json.value;
    // Bundles written by hand often give numbers and booleans unquoted; Anchore reads them as text.
    const text =
      typeof raw === 'number' || typeof raw === 'boolean'
        ? String(raw)
        : this.text(raw, `${where}.value`, true);
    return name === undefined || text === undefined ? undefined : { name, value: text };
  }

  private action(value: unknown, where: string): PolicyAction {
    const text = this.text(value, `${where}: action`)?.toUpperCase();
    if (text === 'STOP' || text === 'WARN' || text === 'GO') return text;
    if (text !== undefined)
      this.problems.push(`${where}: action "${text}" is not STOP, WARN or GO`);
    return 'GO';
  }

  private whitelist(value: unknown, index: number): Whitelist | undefined {
    const json = this.object(value, `whitelists[${index}]`);
    if (json === undefined) return undefined;
    const id = this.text(json.id, `whitelists[${index}].id`) ?? '';
    const whitelist: Whitelist = {
      id,
      version: this.version(json.version, `whitelist ${id}`),
      items: this.list(json.items, `whitelist ${id} items`, (item, i) =>
        this.whitelistItem(item, `whitelist ${id} item ${i}`),
      ),
    };
    this.optional(whitelist, 'name', json.name, `whitelist ${id} name`);
    this.optional(whitelist, 'comment', json.comment, `whitelist ${id} comment`);
    return whitelist;
  }

  private whitelistItem(value: unknown, where: string): WhitelistItem | undefined {
    const json = this.object(value, where);
    if (json === undefined) return undefined;
    const item: WhitelistItem = {
      id: this.text(json.id, `${where}.id`) ?? '',
      gate: (this.text(json.gate, `${where}.gate`) ?? '').toLowerCase(),
      trigger_id: this.text(json.trigger_id, `${where}.trigger_id`) ?? '',
    };
    if (item.gate !== '' && gateNamed(item.gate) === undefined)
      this.problems.push(`${where}: unknown gate "${item.gate}"`);
    const expires = this.optionalText(json.expires_on, `${where}.expires_on`);
    if (expires !== undefined) {
      if (Number.isNaN(Date.parse(expires)))
        this.problems.push(
          `${where}: expires_on "${expires.slice(0, 40)}" is not an RFC 3339 time`,
        );
      else item.expires_on = expires;
    }
    this.optional(item, 'reason', json.reason, `${where}.reason`);
    if (json.scope !== undefined) {
      const scope = this.object(json.scope, `${where}.scope`);
      if (scope !== undefined) {
        item.scope = {};
        this.optional(item.scope, 'package', scope.package, `${where}.scope.package`);
        this.optional(item.scope, 'path', scope.path, `${where}.scope.path`);
        if (Object.keys(item.scope).length === 0)
          this.problems.push(`${where}.scope names neither a package nor a path`);
      }
    }
    return item;
  }

  private mapping(
    value: unknown,
    index: number,
    policies: readonly Policy[],
    whitelists: readonly Whitelist[],
  ): PolicyMapping | undefined {
    const where = `mappings[${index}]`;
    const selector = this.selector(value, where);
    if (selector === undefined) return undefined;
    const json = value as Json;
    const policyIds =
      json.policy_ids === undefined
        ? undefined
        : this.list(json.policy_ids, `${where}.policy_ids`, (id, i) =>
            this.text(id, `${where}.policy_ids[${i}]`),
          );
    const policyId = this.optionalText(json.policy_id, `${where}.policy_id`);
    const mapping: PolicyMapping = {
      ...selector,
      whitelist_ids: this.list(json.whitelist_ids, `${where}.whitelist_ids`, (id, i) =>
        this.text(id, `${where}.whitelist_ids[${i}]`),
      ),
    };
    if (policyId !== undefined) mapping.policy_id = policyId;
    if (policyIds !== undefined) mapping.policy_ids = policyIds;
    const named = policyIds ?? (policyId === undefined ? [] : [policyId]);
    if (named.length === 0)
      this.problems.push(`${where}: names no policy (policy_id or policy_ids)`);
    for (const id of named)
      if (!policies.some((p) => p.id === id))
        this.problems.push(`${where}: policy "${id}" is not in the bundle`);
    for (const id of mapping.whitelist_ids)
      if (!whitelists.some((w) => w.id === id))
        this.problems.push(`${where}: whitelist "${id}" is not in the bundle`);
    return mapping;
  }

  private selector(value: unknown, where: string): ImageSelector | undefined {
    const json = this.object(value, where);
    if (json === undefined) return undefined;
    const image = this.object(json.image, `${where}.image`);
    const type = image === undefined ? undefined : this.text(image.type, `${where}.image.type`);
    if (type !== undefined && type !== 'tag' && type !== 'digest' && type !== 'id')
      this.problems.push(`${where}.image.type "${type}" is not tag, digest or id`);
    const selector: ImageSelector = {
      registry: this.text(json.registry, `${where}.registry`) ?? '*',
      repository: this.text(json.repository, `${where}.repository`) ?? '*',
      image: {
        type: type === 'digest' || type === 'id' ? type : 'tag',
        value:
          (image === undefined ? undefined : this.text(image.value, `${where}.image.value`)) ?? '*',
      },
    };
    this.optional(selector, 'id', json.id, `${where}.id`);
    this.optional(selector, 'name', json.name, `${where}.name`);
    return selector;
  }

  private version(value: unknown, where: string): '1_0' {
    if (value !== '1_0')
      this.problems.push(
        `${where}: version must be "1_0" (got ${value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 20)})`,
      );
    return '1_0';
  }

  private list<T>(
    value: unknown,
    where: string,
    read: (item: unknown, index: number) => T | undefined,
  ): T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.problems.push(`${where} is not a list`);
      return [];
    }
    if (value.length > MAX_ITEMS) {
      this.problems.push(`${where} has ${value.length} items, over the limit of ${MAX_ITEMS}`);
      return [];
    }
    return value.flatMap((item, i) => {
      const read_ = read(item, i);
      return read_ === undefined ? [] : [read_];
    });
  }

  private object(value: unknown, where: string): Json | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
    this.problems.push(`${where} is not an object`);
    return undefined;
  }

  private text(value: unknown, where: string, allowEmpty = false): string | undefined {
    if (typeof value !== 'string' || (!allowEmpty && value === '')) {
      this.problems.push(
        `${where} ${value === undefined ? 'is missing' : 'is not a non-empty string'}`,
      );
      return undefined;
    }
    if (value.length > MAX_STRING) {
      this.problems.push(`${where} is longer than ${MAX_STRING} characters`);
      return undefined;
    }
    return value;
  }

  private optionalText(value: unknown, where: string): string | undefined {
    return value === undefined || value === null ? undefined : this.text(value, where, true);
  }

  private optional<T extends object>(
    target: T,
    key: keyof T & string,
    value: unknown,
    where: string,
  ): void {
    const text = this.optionalText(value, where);
    if (text !== undefined) (target as Record<string, unknown>)[key] = text;
  }

  private unique(ids: readonly string[], what: string): void {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) this.problems.push(`${what} "${id}" is used twice`);
      seen.add(id);
    }
  }
}
