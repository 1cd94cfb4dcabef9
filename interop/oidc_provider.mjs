// A real, certified OpenID Provider (npm `oidc-provider`, pinned in package-lock.json) on
// loopback, for the single sign-on browser test (tests/browser/test_sso.py). Test use only.
//
// Usage: node oidc_provider.mjs '<json>' where the JSON names one client and the test accounts:
//   {"client_id": "...", "client_secret": "...",
//    "redirect_uris": ["http://127.0.0.1:PORT/accounts/oidc/city-sso/login/callback/"],
//    "post_logout_redirect_uris": ["http://127.0.0.1:PORT/accounts/login/"],
//    "accounts": {"<login>": {"email": "...", "email_verified": true, "name": "..."}}}
//
// It listens on a free port of 127.0.0.1 and prints one line, {"issuer": "http://127.0.0.1:N"},
// when it is ready. Plain http is allowed: the provider sets its cookies `secure` only when the
// request is (and the portal refuses http:// only with DEBUG=0). Sign-in uses the provider's
// development interactions (a form with "login" and "password"): the login names an account
// below and the password is not checked. Consent is given for the portal's client at once, as
// a city's identity provider does for its own apps.
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const accounts = config.accounts || {};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: config.client_id,
        client_secret: config.client_secret,
        redirect_uris: config.redirect_uris,
        post_logout_redirect_uris: config.post_logout_redirect_uris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        // allauth posts the secret when the provider offers client_secret_post.
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'family_name', 'given_name'],
    },
    cookies: { keys: ['test-only-cookie-key-for-the-sso-browser-test'] },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    async findAccount(ctx, sub) {
      const account = accounts[sub];
      if (!account) {
        return undefined;
      }
      return {
        accountId: sub,
        async claims() {
          return { sub, ...account };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const { Grant } = ctx.oidc.provider;
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const grant = await Grant.find(grantId);
        if (grant) {
          return grant;
        }
      }
      const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => process.exit(0));
