/** Every policy gate, by name. Add a new one here. */
import type { Gate, Trigger } from './gate.js';
import { alwaysGate } from './gates/always.js';
import { baseImageGate } from './gates/base_image.js';
import { dockerfileGate } from './gates/dockerfile.js';
import { malwareGate } from './gates/malware.js';
import { metadataGate } from './gates/metadata.js';
import { filesGate } from './gates/files.js';
import { licensesGate } from './gates/licenses.js';
import { passwdFileGate } from './gates/passwd_file.js';
import { retrievedFilesGate } from './gates/retrieved_files.js';
import { secretScansGate } from './gates/secret_scans.js';
import { npmsGate } from './gates/npms.js';
import { packagesGate } from './gates/packages.js';
import { rubyGemsGate } from './gates/ruby_gems.js';
import { vulnerabilitiesGate } from './gates/vulnerabilities.js';

export const GATES: readonly Gate[] = [
  alwaysGate,
  vulnerabilitiesGate,
  packagesGate,
  npmsGate,
  rubyGemsGate,
  filesGate,
  licensesGate,
  passwdFileGate,
  retrievedFilesGate,
  secretScansGate,
  dockerfileGate,
  metadataGate,
  malwareGate,
  baseImageGate,
];

/** The gate named `name` (case-insensitive, as Anchore reads bundles). */
export function gateNamed(name: string): Gate | undefined {
  const wanted = name.toLowerCase();
  return GATES.find((gate) => gate.name === wanted);
}

export function triggerNamed(gate: Gate, name: string): Trigger | undefined {
  const wanted = name.toLowerCase();
  return gate.triggers.find((trigger) => trigger.name === wanted);
}
