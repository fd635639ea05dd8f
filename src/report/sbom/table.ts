/** `-o table`: the packages as NAME VERSION TYPE columns, one block per image. */
import type { Package } from '../../model/index.js';
import { printable } from '../../util/text.js';
import { columns } from '../table.js';
import type { SbomFormat, SbomInput } from './sbom-format.js';

export const tableFormat: SbomFormat = {
  name: 'table',
  manyImages: true,
  showsSecrets: false,
  *render(inputs) {
    if (inputs.length === 1 && inputs[0]) {
      yield `${packageTable(inputs[0])}\n`;
      return;
    }
    yield inputs
      .map((input) => `# ${printable(heading(input))}\n${packageTable(input)}`)
      .join('\n\n');
    yield '\n';
  },
};

function heading({ subject }: SbomInput): string {
  return subject.platform === undefined ? subject.name : `${subject.name} (${subject.platform})`;
}

function packageTable(input: SbomInput): string {
  const rows = [...input.content.packages]
    .sort(byNameVersionType)
    .map((pkg) => [pkg.name, pkg.version, pkg.type]);
  return columns(['NAME', 'VERSION', 'TYPE'], rows);
}

function byNameVersionType(a: Package, b: Package): number {
  return (
    a.name.localeCompare(b.name) ||
    a.version.localeCompare(b.version) ||
    a.type.localeCompare(b.type)
  );
}
