/** `/subscriptions`: what an account watches. */
import {
  addSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  SUBSCRIPTION_TYPES,
  updateSubscription,
} from '../subscriptions.js';
import { identityOf } from '../server.js';
import { objectBody, paramsOf, queryOf, type RouteGroup } from './route-context.js';

export const subscriptionRoutes: RouteGroup = (app, { engine }) => {
  app.get('/subscriptions/types', () => SUBSCRIPTION_TYPES);
  app.get('/subscriptions', async (request) => {
    const query = queryOf(request);
    return listSubscriptions(engine, identityOf(request).account, {
      key: query.subscription_key,
      type: query.subscription_type,
    });
  });
  app.post('/subscriptions', async (request) => [
    await addSubscription(engine, identityOf(request).account, objectBody(request)),
  ]);
  app.get('/subscriptions/:id', async (request) => [
    await getSubscription(engine, identityOf(request).account, paramsOf(request).id ?? ''),
  ]);
  app.put('/subscriptions/:id', async (request) => [
    await updateSubscription(
      engine,
      identityOf(request).account,
      paramsOf(request).id ?? '',
      objectBody(request),
    ),
  ]);
  app.delete('/subscriptions/:id', async (request, reply) => {
    await deleteSubscription(engine, identityOf(request).account, paramsOf(request).id ?? '');
    return reply.code(200).send();
  });
};
