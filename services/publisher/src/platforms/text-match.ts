/**
 * Whether a post's text as a platform returns it is the text we sent. Platforms rewrite links
 * (X's t.co) and may trim whitespace, so links and whitespace runs are compared loosely; the rest
 * must match exactly (the duplicate-text rule keeps a text unique per account).
 */
export function sameText(published: string | undefined | null, sent: string): boolean {
  if (published === undefined || published === null) return false;
  const norm = (s: string) =>
    s
      .replace(/https?:\/\/\S+/g, '<link>')
      .replace(/\s+/g, ' ')
      .trim();
  return norm(published) === norm(sent);
}
