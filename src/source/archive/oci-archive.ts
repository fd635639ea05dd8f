/** OCI archives (`oci-archive:`): an OCI image layout packed in an uncompressed tar file. */
import type { ImageSource } from '../../model/index.js';
import {
  openLayoutSource,
  sourceName,
  type LayoutFiles,
  type SourceOptions,
} from './oci-layout.js';
import { TarIndex, tarIndexLimits } from './tar-index.js';

/** The layout's files as members of an indexed tar. */
export function tarLayoutFiles(index: TarIndex): LayoutFiles {
  return {
    readFile: (path, maxBytes) => index.readMember(path, maxBytes),
    openFile: (path) => index.openMember(path),
  };
}

/**
 * `oci-archive:FILE[:selector]`; `selector` picks an image as in an OCI layout. `indexed` is the
 * archive already indexed (with `options.limits`) by a caller that looked inside it.
 */
export function openOciArchive(
  file: string,
  selector: string | undefined,
  options: SourceOptions,
  indexed?: TarIndex,
): ImageSource {
  return openLayoutSource(
    sourceName('oci-archive', file, selector),
    async () =>
      tarLayoutFiles(indexed ?? (await TarIndex.open(file, tarIndexLimits(options.limits)))),
    selector,
    options,
  );
}
