/**
 * `/images`: add, list, get, delete, and the analysed image's content, vulnerabilities,
 * metadata and policy check. Each `{imageDigest}` route has its `by_id/{imageId}` twin, which
 * finds the digest and answers the same.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  anchoreContent,
  anchoreContentInput,
  ANCHORE_CONTENT_TYPES,
  isAnchoreContentType,
} from '../../report/anchore-content.js';
import {
  anchoreVulnerabilities,
  type AnchoreVulnerabilityType,
} from '../../report/scan/anchore-json.js';
import { EMPTY_CONTENT } from '../../report/sbom/sbom-format.js';
import { badRequest, notFound } from '../api-error.js';
import { checkImage } from '../checks.js';
import type { Engine } from '../engine.js';
import {
  addImage,
  analysedFindings,
  analysedImage,
  deleteImage,
  imageById,
  imageByTag,
  imageRecord,
  listImagesJson,
} from '../images.js';
import { identityOf } from '../server.js';
import { flag, objectBody, paramsOf, queryOf, type RouteGroup } from './route-context.js';

const VULN_TYPES: readonly AnchoreVulnerabilityType[] = ['os', 'non-os', 'all'];
const METADATA_TYPES = ['manifest', 'docker_history', 'dockerfile'] as const;

/** A handler for one image, named by digest; the by_id twin resolves the id first. */
type ImageHandler = (
  engine: Engine,
  account: string,
  digest: string,
  request: FastifyRequest,
) => Promise<unknown>;

export const imageRoutes: RouteGroup = (app, { engine }) => {
  app.post('/images', async (request) => {
    const query = queryOf(request);
    return addImage(engine, identityOf(request).account, objectBody(request), {
      force: flag(query.force, false),
      autosubscribe: flag(query.autosubscribe, true),
    });
  });
  app.get('/images', async (request, reply) => {
    const query = queryOf(request);
    const { account } = identityOf(request);
    if (query.fulltag !== undefined && !flag(query.history, false))
      return imageByTag(engine, account, query.fulltag);
    const json = await listImagesJson(engine, account, {
      fulltag: query.fulltag,
      imageStatus: query.image_status,
      analysisStatus: query.analysis_status,
    });
    void reply.type('application/json; charset=utf-8').header('vary', 'accept-encoding');
    if (!/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.send(json.plain);
    return reply.header('content-encoding', 'gzip').send(json.gzip);
  });
  app.get('/images/by_id/:imageId', async (request) =>
    imageById(engine, identityOf(request).account, paramsOf(request).imageId ?? ''),
  );
  perImage(app, engine, 'get', '', async (e, account, digest) => [
    await imageRecord(e, account, digest),
  ]);
  perImage(app, engine, 'delete', '', (e, account, digest, request) =>
    deleteImage(e, account, digest, flag(queryOf(request).force, false)),
  );
  perImage(app, engine, 'get', '/content', async (e, account, digest) => {
    await analysedFindings(e, account, digest);
    return ANCHORE_CONTENT_TYPES;
  });
  perImage(app, engine, 'get', '/content/:ctype', async (e, account, digest, request) => {
    const type = paramsOf(request).ctype ?? '';
    if (!isAnchoreContentType(type))
      throw notFound(
        `content type ${type} is not available; types: ${ANCHORE_CONTENT_TYPES.join(', ')}`,
      );
    const { analysis } = await analysedImage(e, account, digest);
    return anchoreContent({ ...anchoreContentInput(analysis), imageDigest: digest }, type);
  });
  perImage(app, engine, 'get', '/vuln', async (e, account, digest) => {
    await analysedFindings(e, account, digest);
    return VULN_TYPES;
  });
  perImage(app, engine, 'get', '/vuln/:vtype', async (e, account, digest, request) => {
    const type = paramsOf(request).vtype as AnchoreVulnerabilityType;
    if (!VULN_TYPES.includes(type))
      throw notFound(`vulnerability type ${type} is not one of ${VULN_TYPES.join(', ')}`);
    const match = await analysedFindings(e, account, digest);
    // The response names the image by digest alone: no analysis is read for it.
    const report = {
      sbom: { subject: { name: digest, digest }, files: [], content: EMPTY_CONTENT },
      findings: match.findings,
      data: match.data,
    };
    return anchoreVulnerabilities(report, type, {
      vendorOnly: flag(queryOf(request).vendor_only, true),
    });
  });
  perImage(app, engine, 'get', '/metadata', async (e, account, digest) => {
    await analysedFindings(e, account, digest);
    return METADATA_TYPES;
  });
  perImage(app, engine, 'get', '/metadata/:mtype', async (e, account, digest, request) => {
    const type = paramsOf(request).mtype ?? '';
    const { analysis } = await analysedImage(e, account, digest);
    const text = await metadataText(e, account, digest, type, analysis);
    return {
      imageDigest: digest,
      metadata_type: type,
      metadata: Buffer.from(text).toString('base64'),
    };
  });
  // drydock's own: the stored analysis and findings whole, so `drydock ci` against an engine
  // writes the same SARIF, CycloneDX and GitLab reports as it does embedded.
  perImage(app, engine, 'get', '/drydock/analysis', async (e, account, digest) => {
    const { analysis, match } = await analysedImage(e, account, digest);
    return { imageDigest: digest, analysis, match };
  });
  perImage(app, engine, 'get', '/check', async (e, account, digest, request) => {
    const query = queryOf(request);
    if (query.tag === undefined || query.tag === '')
      throw badRequest('tag is required: the full tag the image is evaluated as');
    return checkImage(e, account, digest, {
      tag: query.tag,
      ...(query.policyId === undefined ? {} : { policyId: query.policyId }),
      detail: flag(query.detail, false),
      history: flag(query.history, false),
    });
  });
};

/** Registers `/images/:imageDigest<suffix>` and `/images/by_id/:imageId<suffix>`. */
function perImage(
  app: FastifyInstance,
  engine: Engine,
  method: 'get' | 'delete',
  suffix: string,
  handler: ImageHandler,
): void {
  app[method](`/images/:imageDigest${suffix}`, async (request) =>
    handler(engine, identityOf(request).account, paramsOf(request).imageDigest ?? '', request),
  );
  if (suffix === '') return;
  app[method](`/images/by_id/:imageId${suffix}`, async (request) => {
    const { account } = identityOf(request);
    const [record] = await imageById(engine, account, paramsOf(request).imageId ?? '');
    if (record === undefined) throw notFound('image not found');
    return handler(engine, account, record.imageDigest, request);
  });
}

async function metadataText(
  engine: Engine,
  account: string,
  digest: string,
  type: string,
  analysis: Awaited<ReturnType<typeof analysedImage>>['analysis'],
): Promise<string> {
  switch (type) {
    case 'dockerfile':
      return analysis.metadata.dockerfile.text;
    case 'docker_history':
      return JSON.stringify(analysis.metadata.history);
    case 'manifest': {
      const row = await engine.db
        .selectFrom('images')
        .select('manifest')
        .where('account_name', '=', account)
        .where('image_digest', '=', digest)
        .executeTakeFirst();
      return row?.manifest ?? '';
    }
    default:
      throw notFound(`metadata type ${type} is not one of ${METADATA_TYPES.join(', ')}`);
  }
}
