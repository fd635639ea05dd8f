/** `/query`: images by package, images by vulnerability, vulnerabilities by id. */
import { imagesByPackage, imagesByVulnerability, pageOf, vulnerabilitiesById } from '../queries.js';
import { identityOf } from '../server.js';
import { flag, queryOf, type RouteGroup } from './route-context.js';

export const queryRoutes: RouteGroup = (app, { engine }) => {
  app.get('/query/images/by_package', async (request) => {
    const query = queryOf(request);
    return imagesByPackage(
      engine,
      identityOf(request).account,
      { name: query.name, version: query.version, type: query.package_type },
      pageOf(query.page, query.limit),
    );
  });
  app.get('/query/images/by_vulnerability', async (request) => {
    const query = queryOf(request);
    return imagesByVulnerability(
      engine,
      identityOf(request).account,
      {
        id: query.vulnerability_id,
        namespace: query.namespace,
        affectedPackage: query.affected_package,
        severity: query.severity,
        vendorOnly: flag(query.vendor_only, true),
      },
      pageOf(query.page, query.limit),
    );
  });
  app.get('/query/vulnerabilities', async (request) => {
    const query = request.query as Record<string, string | string[] | undefined>;
    const ids = [query.id ?? []].flat().flatMap((id) => id.split(','));
    identityOf(request);
    return vulnerabilitiesById(
      engine,
      ids.filter((id) => id !== ''),
      pageOf(queryOf(request).page, queryOf(request).limit),
    );
  });
};
