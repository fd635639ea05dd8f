/**
 * What the commands that judge an image by a policy bundle share (`evaluate`, `ci`): the bundle
 * read and validated, the tag the image is evaluated as, and the image's analysis matched against
 * the vulnerability database and shaped as the gates read it.
 */
import { basename } from 'node:path';
import { parseSourceSpec } from '../analyzer/open-source.js';
import {
  DrydockError,
  type ImageAnalysis,
  type ImageReference,
  type PolicyBundle,
} from '../model/index.js';
import type { PolicyInput } from '../policy/gate.js';
import { policyInputOf } from '../policy/policy-input.js';
import { parseReference } from '../reference/reference.js';
import { EMPTY_CONTENT } from '../report/sbom/sbom-format.js';
import { readFileBounded } from '../util/read-bounded.js';
import { printable } from '../util/text.js';
import { applyVexFiles, matchWithDb } from './scan.js';

/** Real bundles are kilobytes; a big allowlist stays far below this. */
const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;
/** Docker's tag grammar, for the tag part of a local image's name. */
const TAG = /^\w[\w.-]{0,127}$/;

/** The bundle `--policy` names, or the one drydock ships; refused whole when malformed. */
export async function readBundle(file: string | undefined): Promise<PolicyBundle> {
  const { parseBundle, validateBundle } = await import('../policy/bundle.js');
  if (file === undefined) {
    const shipped = await import('../policy/default-bundle.json', { with: { type: 'json' } });
    return validateBundle(shipped.default, 'drydock-default-bundle (shipped)');
  }
  return parseBundle(await readFileBounded(file, MAX_BUNDLE_BYTES, '--policy'), file);
}

export interface MatchOptions {
  dbFile?: string;
  config?: string;
  /** OpenVEX or CycloneDX VEX files whose statements suppress findings. */
  vex?: string[];
}

/**
 * `analysis` matched against the vulnerability database, VEX statements applied (each
 * suppressed finding said on stderr), evaluated as `ref`.
 */
export async function matchedPolicyInput(
  analysis: ImageAnalysis,
  ref: ImageReference,
  options: MatchOptions,
): Promise<PolicyInput> {
  const content = analysis.content ?? EMPTY_CONTENT;
  const matched = await matchWithDb(content, options);
  const { kept, suppressed } = await applyVexFiles(
    matched.findings,
    analysis.metadata,
    options.vex ?? [],
  );
  for (const finding of suppressed)
    process.stderr.write(
      `drydock: VEX: ${printable(finding.id)} in ${printable(finding.package.name)} is ${finding.vex?.status ?? ''} (${printable(finding.vex?.document ?? '')} ${finding.vex?.statement ?? ''}): not evaluated\n`,
    );
  return policyInputOf(analysis, { ...matched, findings: kept }, ref);
}

/**
 * The reference a tag names, normalised as Docker does; mappings need a tag, not a digest, and
 * `fix` says how to give one.
 */
export function tagReference(tag: string, fix: string): ImageReference {
  const ref = parseReference(tag);
  if (ref.tag === undefined)
    throw new DrydockError(
      'invalid-argument',
      `${tag} names an image by digest only; ${fix} for the policy mappings to match`,
    );
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag };
}

/**
 * The tag an image is evaluated as when none is given: a registry image's own reference; an
 * archive's `repo:tag` selector; else `localhost/<file or directory name>`, tagged with an OCI
 * layout's selector when it is a tag (`oci-dir:./app:1.0` is `localhost/app:1.0`), or `latest`.
 */
export function defaultTag(source: string): string {
  const spec = parseSourceSpec(source);
  if (spec.kind === 'registry') return spec.reference;
  const selector = 'selector' in spec ? spec.selector : undefined;
  if (selector !== undefined && /[:/]/.test(selector)) return selector;
  const name = basename(spec.path)
    .toLowerCase()
    .replace(/\.(tar|tgz|tar\.gz)$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const tag = selector !== undefined && TAG.test(selector) ? selector : 'latest';
  return `localhost/${name === '' ? 'image' : name}:${tag}`;
}
