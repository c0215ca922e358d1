import { isLoopback } from './plugins/origins.js';

/** A warning for the start's log: fields and message. */
export interface StartWarning {
  fields: Record<string, unknown>;
  message: string;
}

/**
 * What the start warns about where the server can be reached from beyond this machine: an API anyone there can
 * use (no token), or a token sent in clear text (no TLS). Nothing on a loopback address.
 */
export function exposureWarnings(opts: {
  host: string;
  apiToken: boolean;
  tls: boolean;
  collecting: boolean;
}): StartWarning[] {
  const { host } = opts;
  if (isLoopback(host)) return [];
  if (!opts.apiToken)
    return [
      {
        fields: { host, collecting: opts.collecting },
        message:
          'listening beyond this machine with no API token: whoever reaches this address can use the API (and write examples with --collect); start with --api-token-file or HCR_API_TOKEN, or put an authenticating proxy in front',
      },
    ];
  if (!opts.tls)
    return [
      {
        fields: { host },
        message:
          'the API token travels in clear text over plain HTTP: serve HTTPS (--tls-cert and --tls-key) or put a TLS proxy in front',
      },
    ];
  return [];
}
