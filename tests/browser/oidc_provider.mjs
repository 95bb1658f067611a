// A real OpenID Connect provider for the browser tests (the oidc-provider package, run by Node):
// one confidential client, the portal, that must use PKCE with S256; the development login page
// of the package accepts any login, which becomes the account's `sub`.
// Usage: node oidc_provider.mjs PORT REDIRECT_URI CLIENT_SECRET
import Provider from "oidc-provider";

const [port, redirectUri, clientSecret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "d73-portal",
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"] },
  cookies: { keys: ["d73-browser-tests-only"] },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  features: { devInteractions: { enabled: true } },
});
provider.listen(Number(port), () => console.log(`oidc-provider ready at ${issuer}`));
