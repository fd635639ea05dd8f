/**
 * `-o json`: drydock's own document, everything the analysis knows: the image metadata, the
 * distribution, packages, files, secrets (redacted) and retained files. One image gives one
 * object; several (`--platform all`) an array. Packages and files are written one per line, so a
 * million-file image never becomes one giant string.
 */
import { fileEntryJson, jsonArray } from '../json-lines.js';
import type { SbomFormat, SbomInput } from './sbom-format.js';

export const jsonFormat: SbomFormat = {
  name: 'json',
  manyImages: true,
  showsSecrets: true,
  *render(inputs) {
    if (inputs.length === 1 && inputs[0]) {
      yield* document(inputs[0], '');
      yield '\n';
      return;
    }
    yield '[';
    for (const [i, input] of inputs.entries()) {
      yield i === 0 ? '\n  ' : ',\n  ';
      yield* document(input, '  ');
    }
    yield '\n]\n';
  },
};

function* document(input: SbomInput, indent: string): Generator<string> {
  const { content } = input;
  const inner = `${indent}  `;
  const fields: [string, unknown][] = [
    ['source', input.subject],
    ['metadata', input.metadata ?? null],
    ['distro', content.distro ?? null],
  ];
  yield '{';
  for (const [key, value] of fields)
    yield `\n${inner}${JSON.stringify(key)}: ${JSON.stringify(value)},`;
  yield `\n${inner}"packages": `;
  yield* jsonArray(content.packages, inner);
  yield `,\n${inner}"files": `;
  yield* jsonArray(input.files, inner, fileEntryJson);
  yield `,\n${inner}"secrets": `;
  yield* jsonArray(content.secrets, inner);
  yield `,\n${inner}"retainedFiles": `;
  yield* jsonArray(content.retainedFiles, inner);
  yield `\n${indent}}`;
}
