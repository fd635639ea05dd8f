/** `/policies`: an account's policy bundles; `system/policy_spec` lives with the system routes. */
import { addPolicy, deletePolicy, getPolicy, listPolicies, updatePolicy } from '../policies.js';
import { identityOf } from '../server.js';
import { flag, objectBody, paramsOf, queryOf, type RouteGroup } from './route-context.js';

export const policyRoutes: RouteGroup = (app, { engine }) => {
  app.post('/policies', async (request) =>
    addPolicy(
      engine,
      identityOf(request).account,
      request.body,
      flag(queryOf(request).detail, false),
    ),
  );
  app.get('/policies', async (request) =>
    listPolicies(engine, identityOf(request).account, flag(queryOf(request).detail, false)),
  );
  app.get('/policies/:policyId', async (request) => [
    await getPolicy(
      engine,
      identityOf(request).account,
      paramsOf(request).policyId ?? '',
      flag(queryOf(request).detail, true),
    ),
  ]);
  app.put('/policies/:policyId', async (request) => [
    await updatePolicy(
      engine,
      identityOf(request).account,
      paramsOf(request).policyId ?? '',
      objectBody(request),
    ),
  ]);
  app.delete('/policies/:policyId', async (request, reply) => {
    await deletePolicy(engine, identityOf(request).account, paramsOf(request).policyId ?? '');
    return reply.code(200).send();
  });
};
