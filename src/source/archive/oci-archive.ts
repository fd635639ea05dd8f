/** OCI archives (`oci-archive:`): an OCI image layout packed in an uncompressed tar file. */
import type { ImageSource } from '../../model/index.js';
import { openLayoutSource, type LayoutFiles, type SourceOptions } from './oci-layout.js';
import { TarIndex, tarIndexLimits } from './tar-index.js';

/** The layout's files as members of an indexed tar. */
export function tarLayoutFiles(index: TarIndex): LayoutFiles {
  return {
    readFile: (path, maxBytes) => index.readMember(path, maxBytes),
    openFile: (path) => index.openMember(path),
  };
}

/** `selector` picks an image as in an OCI layout: tag, full image name or digest. */
export function openOciArchive(
  file: string,
  selector: string | undefined,
  options: SourceOptions,
): ImageSource {
  const name = `oci-archive:${file}${selector ? `:${selector}` : ''}`;
  return openLayoutSource(
    name,
    async () => tarLayoutFiles(await TarIndex.open(file, tarIndexLimits(options.limits))),
    selector,
    options,
  );
}
