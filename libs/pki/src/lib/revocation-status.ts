/** The outcome of one revocation check. `indeterminate` means the status could not be established. */
export type RevocationStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked' }
  | { readonly status: 'unknown' }
  | { readonly status: 'indeterminate'; readonly reason: string };

export const REVOCATION_MODES = ['ocsp', 'crl', 'ocsp-then-crl', 'none'] as const;
export type RevocationMode = (typeof REVOCATION_MODES)[number];

export type Clock = () => number;

export function indeterminate(reason: string): RevocationStatus {
  return { status: 'indeterminate', reason };
}
