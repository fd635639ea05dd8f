/**
 * An analysed, matched image as the gates read it, evaluated as `ref`: mappings match the
 * registry, repository and tag, so those are the evaluated tag's, not the ones it was pulled as.
 * Shared by `drydock evaluate`/`ci` and the engine's check.
 */
import type { ImageAnalysis, ImageReference, MatchResult } from '../model/index.js';
import { formatReference } from '../reference/reference.js';
import { EMPTY_CONTENT } from '../report/sbom/sbom-format.js';
import type { PolicyInput } from './gate.js';

export function policyInputOf(
  analysis: ImageAnalysis,
  match: MatchResult,
  ref: ImageReference,
  now = new Date(),
): PolicyInput {
  return {
    metadata: {
      ...analysis.metadata,
      registry: ref.registry,
      repository: ref.repository,
      tag: ref.tag,
    },
    files: analysis.files,
    content: analysis.content ?? EMPTY_CONTENT,
    match,
    tag: formatReference(ref),
    now,
  };
}
