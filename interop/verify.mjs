#!/usr/bin/env node
// Verify one credential with the Digital Credentials Consortium's verifier-core, offline.
//
//   node interop/verify.mjs <credential.json>
//
// Prints exactly one JSON line on stdout and exits 0 whenever verification ran (the caller,
// tests/badges/test_interop_dcc.py, interprets the JSON); exit 2 means bad usage/input.
//
//   {"valid": bool,          signature checked and good, no fatal error
//    "expired": bool|null,   verifier-core "expiration" step (null: not reported)
//    "revoked": bool|null,   "revocation_status" step; null when it could not be decided
//    "errors": [...],        fatal errors ({name, message}) and the revocation step's error
//    "log": [...],           verifier-core's per-step log, as returned
//    "additionalInformation": [...],  e.g. its JSON-schema check (informative only)
//    "network": [...]}       every fetch attempted, with what the guard did about it
//
// Offline guarantee. verifier-core builds its document loader at module load time
// (securityLoader({fetchRemoteContexts: true})) and offers no option to pass another one, so
// the guard sits one level lower: every HTTP request made by verifier-core and its
// dependencies goes through globalThis.fetch (ky in @digitalcredentials/http-client, and the
// schema check's plain fetch), which is replaced here *before* verifier-core is imported:
//
//   * contexts: the loader answers the common ones (VC 2.0, OB 3.0.x incl. extensions.json,
//     Data Integrity, Bitstring Status List, DID) from copies bundled in DCC packages and
//     never asks fetch for them. Should it ask for a context URL the portal bundles in
//     badges/core/contexts/ (listed in badges/core/contexts/SOURCES.md), the file is served from disk;
//   * loopback URLs (127.0.0.1, ::1, localhost), i.e. the portal under test serving its
//     BitstringStatusListCredential, are fetched for real (verifier-core accepts http://);
//   * anything else is refused (recorded in "network") - nothing ever leaves the machine.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const CONTEXTS_DIR = join(HERE, '..', 'badges', 'core', 'contexts');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

// Libraries log to stdout (e.g. schemaCheck's console.log); stdout is for our JSON line only.
const toStderr = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
console.log = toStderr;
console.info = toStderr;
console.warn = toStderr;
console.error = toStderr;

function usage(message) {
  process.stderr.write(`verify.mjs: ${message}\nusage: node interop/verify.mjs <credential.json>\n`);
  process.exit(2);
}

/** URL -> file name, from the table in badges/core/contexts/SOURCES.md (the portal's own list). */
function localContexts() {
  const map = new Map();
  let text;
  try {
    text = readFileSync(join(CONTEXTS_DIR, 'SOURCES.md'), 'utf8');
  } catch {
    return map;
  }
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | file | context URL it answers | ... |
    if (cells.length > 3 && /^[\w.-]+\.jsonld?$/.test(cells[1]) && /^https?:\/\//.test(cells[2])) {
      map.set(cells[2], cells[1]);
    }
  }
  return map;
}

const network = [];
const contexts = localContexts();
const realFetch = globalThis.fetch;

globalThis.fetch = async function guardedFetch(input, init) {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(href);
  const file = contexts.get(url.href);
  if (file) {
    network.push({ url: url.href, action: 'local-context', file });
    return new Response(readFileSync(join(CONTEXTS_DIR, file)), {
      status: 200,
      headers: { 'content-type': 'application/ld+json' },
    });
  }
  if (LOOPBACK.has(url.hostname)) {
    network.push({ url: url.href, action: 'fetched' });
    return realFetch(input, init);
  }
  network.push({ url: url.href, action: 'refused' });
  throw new TypeError(`offline: verify.mjs refused to fetch ${url.href}`);
};

function plainError(error) {
  if (error === null || typeof error !== 'object') {
    return { name: 'error', message: String(error) };
  }
  const out = { name: error.name ?? 'error', message: error.message ?? String(error) };
  if (error.details && typeof error.details === 'object') {
    try {
      out.details = JSON.parse(JSON.stringify(error.details));
    } catch {
      // not serialisable: leave it out
    }
  }
  return out;
}

function stepResult(log, id) {
  const step = log.find((entry) => entry.id === id);
  if (!step || typeof step.valid !== 'boolean') {
    return null;
  }
  return step;
}

async function main() {
  const path = process.argv[2];
  if (!path || process.argv.length > 3) {
    usage('expected exactly one argument');
  }
  let credential;
  try {
    credential = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    usage(`cannot read ${path}: ${error.message}`);
  }

  // Imported only now, so that every fetch it makes goes through the guard above.
  const { verifyCredential } = await import('@digitalcredentials/verifier-core');
  // No issuer registries: they would be fetched from the internet, and the portal's issuer is
  // in none of them (registered_issuer is therefore false, which says nothing about validity).
  const result = await verifyCredential({ credential, knownDIDRegistries: [] });

  const fatal = (result.errors ?? []).map(plainError);
  const log = (result.log ?? []).map((entry) => ({
    ...entry,
    ...(entry.error ? { error: plainError(entry.error) } : {}),
  }));
  const signature = stepResult(log, 'valid_signature');
  const expiration = stepResult(log, 'expiration');
  const revocation = log.find((entry) => entry.id === 'revocation_status');
  const errors = [...fatal];
  if (revocation?.error) {
    errors.push(revocation.error);
  }
  const outcome = {
    valid: fatal.length === 0 && signature?.valid === true,
    expired: expiration ? !expiration.valid : null,
    revoked: revocation && typeof revocation.valid === 'boolean' ? !revocation.valid : null,
    errors,
    log,
    additionalInformation: result.additionalInformation ?? [],
    network,
  };
  return outcome;
}

// Exit explicitly (after stdout is flushed): keep-alive sockets and caches in the libraries
// would otherwise keep the process running for a while.
const finish = (outcome) => process.stdout.write(JSON.stringify(outcome) + '\n', () => process.exit(0));

main().then(finish, (error) => {
  // verifier-core catches its own errors; reaching this is a bug in this script.
  finish({ valid: false, expired: null, revoked: null, errors: [plainError(error)], log: [], network });
});
