/** `/registries`: an account's registry credentials. */
import {
  addRegistry,
  deleteRegistry,
  getRegistry,
  listRegistries,
  updateRegistry,
} from '../registries.js';
import { identityOf } from '../server.js';
import { flag, objectBody, paramsOf, queryOf, type RouteGroup } from './route-context.js';

export const registryRoutes: RouteGroup = (app, { engine }) => {
  app.post('/registries', async (request) =>
    addRegistry(
      engine,
      identityOf(request).account,
      objectBody(request),
      flag(queryOf(request).validate, true),
    ),
  );
  app.get('/registries', async (request) => listRegistries(engine, identityOf(request).account));
  app.get('/registries/:registry', async (request) =>
    getRegistry(engine, identityOf(request).account, paramsOf(request).registry ?? ''),
  );
  app.put('/registries/:registry', async (request) =>
    updateRegistry(
      engine,
      identityOf(request).account,
      paramsOf(request).registry ?? '',
      objectBody(request),
      flag(queryOf(request).validate, true),
    ),
  );
  app.delete('/registries/:registry', async (request, reply) => {
    await deleteRegistry(engine, identityOf(request).account, paramsOf(request).registry ?? '');
    return reply.code(200).send();
  });
};
