// A real OpenID Connect provider for tests/test_oidc.py: panva/oidc-provider (OpenID
// certified) with its development sign-in screens (any login, any password, then "Continue").
// Stands in for the city's Entra ID or Keycloak. Configured by environment:
//   OP_PORT, OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URI,
//   OP_ROLES: JSON {login: [provider role, ...]} — the roles claim each account gets.
import Provider from 'oidc-provider';

const port = Number(process.env.OP_PORT);
const roles = JSON.parse(process.env.OP_ROLES || '{}');
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.OP_CLIENT_ID,
    client_secret: process.env.OP_CLIENT_SECRET,
    redirect_uris: [process.env.OP_REDIRECT_URI],
  }],
  claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'roles'], email: ['email'] },
  conformIdTokenClaims: false, // the roles claim in the ID token, as Entra ID sends it
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id, email: `${id}@example.org`,
                 roles: roles[id] || [] };
      },
    };
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`op listening on ${port}`));
