#!/usr/bin/env node
// A wallet, for the tests: receive a badge from the portal with OpenID for Verifiable Credential
// Issuance, using an independent client library, @openid4vc/openid4vci (OpenWallet Foundation
// Labs, oid4vc-ts; pinned in package-lock.json), bound to a key made here.
//
//   node interop/wallet.mjs <credential-offer-uri> <tx-code> [--did key|jwk] [--allow-http]
//
// 1. makes an Ed25519 key and names it by a DID: did:key (default) or did:jwk;
// 2. resolves the offer (openid-credential-offer://?credential_offer=...), the credential
//    issuer's metadata and its authorization server's metadata (the library's discovery);
// 3. exchanges the pre-authorized code and the transaction code for an access token;
// 4. gets a c_nonce from the nonce endpoint, signs a key proof (openid4vci-proof+jwt) with the
//    key, and asks the credential endpoint for the offered credential configuration.
//
// Prints exactly one JSON line on stdout and exits 0 whenever the flow ran:
//   {"ok": true,  "holderDid", "kid", "version", "credentials": [...], "network": [...]}
//   {"ok": false, "stage", "error", "errorDescription", "status", "message", "network"}
// (the caller, tests/badges/test_wallet_interop.py, interprets it); exit 2 means bad usage.
//
// --allow-http: the library accepts only https:// URLs unless its global configuration says
// otherwise (setGlobalConfig({allowInsecureUrls: true})); the test's portal is plain http on
// loopback. Offline: every request goes through globalThis.fetch, and only loopback hosts are
// fetched (recorded in "network"); anything else is refused.

import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

// Libraries may log; stdout is for our JSON line only.
const toStderr = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;

function usage(message) {
  process.stderr.write(
    `wallet.mjs: ${message}\nusage: node interop/wallet.mjs <credential-offer-uri> <tx-code> [--did key|jwk] [--allow-http]\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  const options = { did: 'key', allowHttp: false };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--allow-http') {
      options.allowHttp = true;
    } else if (argv[i] === '--did') {
      options.did = argv[i + 1];
      i += 1;
    } else {
      positional.push(argv[i]);
    }
  }
  if (positional.length !== 2) usage('expected an offer URI and a transaction code');
  if (!['key', 'jwk'].includes(options.did)) usage('--did must be key or jwk');
  return { offerUri: positional[0], txCode: positional[1], ...options };
}

const network = [];
const realFetch = globalThis.fetch;
async function guardedFetch(input, init) {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(href);
  if (!LOOPBACK.has(url.hostname)) {
    network.push({ url: url.href, action: 'refused' });
    throw new TypeError(`offline: wallet.mjs refused to fetch ${url.href}`);
  }
  const response = await realFetch(input, init);
  network.push({ url: url.href, method: init?.method ?? 'GET', status: response.status });
  return response;
}
globalThis.fetch = guardedFetch;

// ------------------------------------------------------------------ the wallet's key

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = '1' + out;
  }
  return out;
}

function makeHolder(method) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }); // {kty: 'OKP', crv: 'Ed25519', x}
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  let did;
  let kid;
  if (method === 'key') {
    // did:key: multibase base58btc of the multicodec ed25519-pub (0xed 0x01) + the raw key.
    const raw = Buffer.from(jwk.x, 'base64url');
    const id = 'z' + base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
    did = `did:key:${id}`;
    kid = `${did}#${id}`;
  } else {
    did = `did:jwk:${b64url(JSON.stringify(publicJwk))}`;
    kid = `${did}#0`;
  }
  return { did, kid, publicJwk, privateKey };
}

// ------------------------------------------------------------------ the flow

function describeError(stage, error) {
  const out = { ok: false, stage, error: null, errorDescription: null, status: null, message: String(error?.message ?? error) };
  // Oauth2ClientErrorResponseError (token endpoint): errorResponse + response.
  if (error?.errorResponse) {
    out.error = error.errorResponse.error ?? null;
    out.errorDescription = error.errorResponse.error_description ?? null;
  }
  // Openid4vciRetrieveCredentialsError (credential endpoint): response.credentialErrorResponseResult.
  const data = error?.response?.credentialErrorResponseResult?.data;
  if (data) {
    out.error = data.error ?? null;
    out.errorDescription = data.error_description ?? null;
  }
  const status = error?.response?.status ?? error?.response?.response?.status;
  if (typeof status === 'number') out.status = status;
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { Openid4vciClient, setGlobalConfig } = await import('@openid4vc/openid4vci');
  if (args.allowHttp) setGlobalConfig({ allowInsecureUrls: true });

  const holder = makeHolder(args.did);
  const callbacks = {
    fetch: guardedFetch,
    hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: (length) => randomBytes(length),
    // Pre-authorized code flow with anonymous access: no client authentication.
    clientAuthentication: () => {},
    signJwt: async (signer, { header, payload }) => {
      if (signer.method !== 'did' || signer.didUrl !== holder.kid || signer.alg !== 'EdDSA') {
        throw new Error(`wallet.mjs signs only with its own key, not ${JSON.stringify(signer)}`);
      }
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      const signature = cryptoSign(null, Buffer.from(input), holder.privateKey);
      return { jwt: `${input}.${b64url(signature)}`, signerJwk: holder.publicJwk };
    },
  };
  const client = new Openid4vciClient({ callbacks });

  let stage = 'offer';
  try {
    const offer = await client.resolveCredentialOffer(args.offerUri);
    stage = 'metadata';
    const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
    stage = 'token';
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer,
      issuerMetadata,
      txCode: args.txCode,
    });
    stage = 'nonce';
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
    stage = 'proof';
    const credentialConfigurationId = offer.credential_configuration_ids[0];
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId,
      signer: { method: 'did', didUrl: holder.kid, alg: 'EdDSA' },
      nonce,
    });
    stage = 'credential';
    const { credentialResponse } = await client.retrieveCredentials({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      credentialConfigurationId,
      proofs: { jwt: [jwt] },
    });
    const credentials = (credentialResponse.credentials ?? []).map((entry) =>
      entry && typeof entry === 'object' && 'credential' in entry ? entry.credential : entry,
    );
    return {
      ok: true,
      holderDid: holder.did,
      kid: holder.kid,
      version: issuerMetadata.originalDraftVersion,
      credentialConfigurationId,
      tokenType: accessTokenResponse.token_type,
      credentials,
      network,
    };
  } catch (error) {
    return { ...describeError(stage, error), holderDid: holder.did, network };
  }
}

// Exit explicitly once stdout is flushed (keep-alive sockets would keep the process alive).
const finish = (outcome) => process.stdout.write(JSON.stringify(outcome) + '\n', () => process.exit(0));

main().then(finish, (error) => finish({ ok: false, stage: 'internal', message: String(error?.stack ?? error), network }));
