/** Types for what catalogers find in an image: its distribution, packages, secrets, kept files. */
import type { Digest } from './image.js';

/** The distribution, as `/etc/os-release` (or an older release file) names it. */
export interface Distro {
  /** os-release `ID`, lowercase: `debian`, `ubuntu`, `alpine`, `rhel`, `rocky`, `amzn`, `sles` … */
  id: string;
  /** `VERSION_ID`: `12`, `3.19.1`, `9.3`. */
  versionId?: string;
  /** `VERSION_CODENAME`: `bookworm`. */
  versionCodename?: string;
  /** `ID_LIKE`, split on spaces: `["rhel", "fedora"]`. */
  idLike: string[];
  prettyName?: string;
  /** The file it was read from. */
  source: string;
}

export const PACKAGE_TYPES = ['dpkg', 'apk', 'rpm', 'npm', 'python', 'gem', 'java', 'go'] as const;
export type PackageType = (typeof PACKAGE_TYPES)[number];

/** The package types whose database is the distribution's. */
export const OS_PACKAGE_TYPES: ReadonlySet<string> = new Set<PackageType>(['dpkg', 'apk', 'rpm']);

/** Where a package was found: a file of the squashed tree and the layer that wrote it. */
export interface PackageLocation {
  path: string;
  layerDigest: Digest;
  layerIndex: number;
}

/** A file a package database says belongs to the package. */
export interface PackageFile {
  path: string;
  /** As the database records it: md5 for dpkg, sha256 (or md5) for rpm, sha1 for apk. */
  digest?: { algorithm: string; value: string };
}

export interface Package {
  /** Unique within one image's content: type, name, version and first location. */
  id: string;
  type: PackageType;
  /** As the ecosystem displays it (the PURL holds the normalised form where one exists). */
  name: string;
  /** The full version as the ecosystem compares it (rpm: `[epoch:]version-release`). */
  version: string;
  architecture?: string;
  /** The source package (dpkg `Source`, rpm source rpm, apk `origin`); version when it differs. */
  source?: { name: string; version?: string };
  licenses: string[];
  purl: string;
  cpes: string[];
  /** Where the package was found; the first is its database entry or manifest. */
  locations: PackageLocation[];
  /** Files the package database lists for it. */
  files?: PackageFile[];
  /** Installed size in bytes, when the database records it. */
  size?: number;
  /** For a language package that an OS package installed: that OS package's `id`. */
  ownedBy?: string;
  /** Facts particular to the package type (maintainer, epoch, release, groupId …). */
  metadata?: Record<string, string | number | undefined>;
}

/** A secret left in a file. The secret itself is never kept, only a redacted form. */
export interface SecretFinding {
  path: string;
  /** 1-based line number. */
  line: number;
  /** Name of the pattern that matched, e.g. `aws-access-key-id`. */
  pattern: string;
  /** The matched text with the secret part masked. */
  redacted: string;
  layerDigest: Digest;
}

/** A small file whose content is kept for policy checks (`/etc/passwd`, `/etc/sudoers` …). */
export interface RetainedFile {
  path: string;
  /** The content, base64 (files may be binary). */
  contentBase64: string;
  size: number;
  /** True when only the start of a larger file was kept. */
  truncated: boolean;
}

/** Everything the catalogers learned about one image. */
export interface ImageContent {
  distro?: Distro;
  packages: Package[];
  secrets: SecretFinding[];
  retainedFiles: RetainedFile[];
}
