/** `/accounts` and users (admin only), and `/account`, `/user` for the caller itself. */
import {
  createAccount,
  createUser,
  deleteAccount,
  deleteUser,
  getAccount,
  getUser,
  listAccounts,
  listUsers,
  requireAdmin,
  setAccountState,
  setPassword,
} from '../accounts.js';
import { identityOf } from '../server.js';
import { objectBody, paramsOf, queryOf, type RouteGroup } from './route-context.js';

export const accountRoutes: RouteGroup = (app, { engine }) => {
  const admin = (request: Parameters<typeof identityOf>[0]) => {
    const identity = identityOf(request);
    requireAdmin(identity);
    return identity;
  };
  const name = (request: Parameters<typeof paramsOf>[0]) => paramsOf(request).accountname ?? '';
  const user = (request: Parameters<typeof paramsOf>[0]) => paramsOf(request).username ?? '';

  app.get('/account', async (request) => getAccount(engine, identityOf(request).account));
  app.get('/user', async (request) => {
    const { principal } = identityOf(request);
    return getUser(engine, principal.accountName, principal.username);
  });
  app.post('/user/credentials', async (request) => {
    const { principal } = identityOf(request);
    return setPassword(
      engine,
      principal.accountName,
      principal.username,
      objectBody(request).value,
    );
  });

  app.get('/accounts', async (request) => {
    admin(request);
    return listAccounts(engine, queryOf(request).state);
  });
  app.post('/accounts', async (request) => {
    admin(request);
    const body = objectBody(request);
    return createAccount(engine, { name: body.name, email: body.email });
  });
  app.get('/accounts/:accountname', async (request) => {
    admin(request);
    return getAccount(engine, name(request));
  });
  app.delete('/accounts/:accountname', async (request, reply) => {
    admin(request);
    await deleteAccount(engine, name(request));
    return reply.code(204).send();
  });
  app.put('/accounts/:accountname/state', async (request) => {
    admin(request);
    return setAccountState(engine, name(request), objectBody(request).state);
  });
  app.get('/accounts/:accountname/users', async (request) => {
    admin(request);
    return listUsers(engine, name(request));
  });
  app.post('/accounts/:accountname/users', async (request) => {
    admin(request);
    const body = objectBody(request);
    return createUser(engine, name(request), { username: body.username, password: body.password });
  });
  app.get('/accounts/:accountname/users/:username', async (request) => {
    admin(request);
    return getUser(engine, name(request), user(request));
  });
  app.delete('/accounts/:accountname/users/:username', async (request, reply) => {
    const identity = admin(request);
    await deleteUser(engine, name(request), user(request), identity.principal);
    return reply.code(204).send();
  });
  app.post('/accounts/:accountname/users/:username/credentials', async (request) => {
    admin(request);
    return setPassword(engine, name(request), user(request), objectBody(request).value);
  });
};
