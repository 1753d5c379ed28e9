// Model Code of Conduct windows name districts (regions); departments are mapped to the districts
// they serve. Both sides come from people typing names ("Bhopal", "BHOPAL ", "bhopal"), so every
// comparison goes through one normal form, here, and "state" (in any case) means the whole state.

/** The normal form of the region that makes a window state-wide. */
export const STATE_WIDE_REGION = 'state';

/** One region name in its normal form: Unicode NFC, trimmed, inner spaces collapsed, lower case. */
export function normalizeRegion(region: string): string {
  return region.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * A list of regions in normal form, without blanks or repeats, sorted. A list naming the state
 * (in any case) is the state alone: a state-wide window covers every district anyway.
 */
export function normalizeRegions(regions: readonly string[]): string[] {
  const clean = [...new Set(regions.map(normalizeRegion).filter(Boolean))].sort();
  return clean.includes(STATE_WIDE_REGION) ? [STATE_WIDE_REGION] : clean;
}

/** Whether a window over `windowRegions` covers a department serving `departmentRegions`. */
export function regionsCover(
  windowRegions: readonly string[],
  departmentRegions: readonly string[],
): boolean {
  const window = new Set(windowRegions.map(normalizeRegion));
  if (window.has(STATE_WIDE_REGION)) return true;
  return departmentRegions.some((r) => window.has(normalizeRegion(r)));
}
