/** Whether a caller-supplied id is a UUID (anything else cannot exist, and must not reach SQL as a uuid). */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
