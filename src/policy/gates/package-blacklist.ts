/**
 * The name-and-optional-version blacklist that three Anchore gates share: `packages/blacklist`
 * (any package), `npms/blacklisted_name_version` and `ruby_gems/blacklist`. Names and versions
 * are compared exactly, as Anchore compares them; the version is the full version drydock
 * records (epoch and release included for rpm and dpkg).
 */
import type { Package, PackageType } from '../../model/index.js';
import type { Fired, Trigger } from '../gate.js';
import { messageTriggerId } from './message-trigger-id.js';

export interface BlacklistSpec {
  gate: string;
  trigger: string;
  description: string;
  /** The package type the gate looks at; all types when absent. */
  type?: PackageType;
  /** What Anchore's message calls the package: `Package`, `NPM Package`, `Gem Package`. */
  noun: string;
  nameDescription: string;
  versionDescription: string;
  nameExample: string;
  versionExample: string;
}

export function packageBlacklistTrigger(spec: BlacklistSpec): Trigger {
  return {
    name: spec.trigger,
    description: spec.description,
    params: [
      {
        name: 'name',
        description: spec.nameDescription,
        kind: 'string',
        required: true,
        example: spec.nameExample,
      },
      {
        name: 'version',
        description: spec.versionDescription,
        kind: 'string',
        required: false,
        example: spec.versionExample,
      },
    ],
    evaluate: (input, params) => {
      const name = params.string('name') ?? '';
      const version = params.string('version');
      const listed = input.content.packages.filter(
        (p) =>
          (spec.type === undefined || p.type === spec.type) &&
          p.name === name &&
          (version === undefined || p.version === version),
      );
      return byNameAndVersion(listed).map((copies) => blacklisted(spec, copies, version));
    },
  };
}

/** One list per distinct name and version: a package installed in two places fires once. */
function byNameAndVersion(packages: readonly Package[]): Package[][] {
  const groups = new Map<string, Package[]>();
  for (const pkg of packages) {
    const key = `${pkg.name}@${pkg.version}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [pkg]);
    else group.push(pkg);
  }
  return [...groups.values()];
}

/**
 * One firing per installed name and version. The trigger id is Anchore's (the md5 of its message,
 * which names the version only when the rule does), so its allowlist items keep working.
 */
function blacklisted(spec: BlacklistSpec, copies: readonly Package[], ruleVersion?: string): Fired {
  const [first] = copies;
  const { name = '', version = '', type = '' } = first ?? {};
  const paths = copies.flatMap((p) => p.locations.slice(0, 1).map((l) => l.path));
  const anchore = `${spec.noun} is blacklisted: ${ruleVersion === undefined ? name : `${name}-${version}`}`;
  return {
    triggerId: messageTriggerId(spec.gate, spec.trigger, anchore),
    message: `${spec.noun} is blacklisted: ${name} ${version} (${type}, at ${paths.join(', ')}); remove it from the image.`,
  };
}
