/**
 * What every SBOM output format takes, and the interface each format implements. A format is one
 * file exporting one `SbomFormat`, listed once in `formats.ts`.
 */
import { purl } from '../../catalog/identifiers.js';
import type { FileEntry, ImageAnalysis, ImageContent, ImageMetadata } from '../../model/index.js';
import { formatPlatform } from '../../source/platform.js';

/** What a document describes: the image as the user named it, and its digest when known. */
export interface SbomSubject {
  name: string;
  /** The manifest digest (or, for an imported SBOM, the version its subject carried). */
  digest?: string;
  /** `os/arch[/variant]`, when known. */
  platform?: string;
}

/** An analysed image, or an SBOM imported from elsewhere (which has no metadata or files). */
export interface SbomInput {
  subject: SbomSubject;
  metadata?: ImageMetadata;
  files: readonly FileEntry[];
  content: ImageContent;
}

export interface SbomFormat {
  /** The `-o` value: `cyclonedx-json`. */
  readonly name: string;
  /** False for standards whose document describes one image (CycloneDX, SPDX). */
  readonly manyImages: boolean;
  /** Whether the document lists secrets; the scan (a real cost) runs only for those that do. */
  readonly showsSecrets: boolean;
  /** The document, in pieces (a file listing can be large); `inputs` has one entry unless `manyImages`. */
  render(inputs: readonly SbomInput[], tool: ToolInfo): Iterable<string>;
}

/** Who wrote the document, for the creator fields of the standards. */
export interface ToolInfo {
  name: string;
  version: string;
  /** When the document was made; one clock read per run. */
  timestamp: Date;
}

export const EMPTY_CONTENT: ImageContent = { packages: [], secrets: [], retainedFiles: [] };

export function sbomInputFromAnalysis(analysis: ImageAnalysis): SbomInput {
  const { metadata } = analysis;
  return {
    subject: {
      name: metadata.source,
      digest: metadata.manifestDigest,
      platform: formatPlatform(metadata),
    },
    metadata,
    files: analysis.files,
    content: analysis.content ?? EMPTY_CONTENT,
  };
}

/** `pkg:oci/NAME@DIGEST?repository_url=…`, when the image came from a registry. */
export function imagePurl(input: SbomInput): string | undefined {
  const metadata = input.metadata;
  if (metadata?.repository === undefined || metadata.manifestDigest === undefined) return undefined;
  const repositoryUrl =
    metadata.registry === undefined
      ? metadata.repository
      : `${metadata.registry}/${metadata.repository}`;
  return purl({
    type: 'oci',
    name: metadata.repository.split('/').pop() ?? metadata.repository,
    version: metadata.manifestDigest,
    qualifiers: { repository_url: repositoryUrl, arch: metadata.architecture, tag: metadata.tag },
  });
}

/**
 * Names of the facts the standards have no field for, kept as CycloneDX properties (and read back
 * by the importer). `drydock:location:N:path` numbers the locations in order.
 */
export const PROPERTY = {
  packageType: 'drydock:package:type',
  architecture: 'drydock:package:architecture',
  sourceName: 'drydock:package:sourceName',
  sourceVersion: 'drydock:package:sourceVersion',
  size: 'drydock:package:size',
  ownedBy: 'drydock:package:ownedBy',
  /** CPEs after the first (CycloneDX has one `cpe` field). */
  cpe: 'drydock:package:cpe',
  metadataPrefix: 'drydock:metadata:',
  locationPrefix: 'drydock:location:',
  distroPrefix: 'drydock:distro:',
  platform: 'drydock:image:platform',
  imageId: 'drydock:image:imageId',
} as const;
