/** The faults whose tests live in faults-always-on.test.ts (faults.test.ts counts them as tested). */
export const ALWAYS_ON_FAULTS = [
  'receipt-to-newest-sender',
  'repush-attempt-1',
  'short-dedup-window',
  'push-by-device-name',
] as const;
