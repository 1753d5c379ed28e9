// Engagement that grows with a post's simulated age, the same for the same post id on every run:
// a saturating curve (fast at first, levelling off over a day or so) scaled by rates drawn from a
// hash of the id. Every count is non-decreasing in age, as on a real platform.
import { createHash } from 'node:crypto';

export interface Engagement {
  impressions: number;
  reach: number;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  clicks: number;
  linkClicks: number;
  profileClicks: number;
  quotes: number;
  bookmarks: number;
  reactions: { like: number; love: number; wow: number; haha: number; sorry: number; anger: number };
}

/** Uniform numbers in [0, 1) derived from the id, one per draw. */
function draws(id: string): number[] {
  const digest = createHash('sha256').update(id).digest();
  const out: number[] = [];
  for (let i = 0; i + 4 <= digest.length; i += 4) out.push(digest.readUInt32BE(i) / 2 ** 32);
  return out;
}

const between = (u: number, low: number, high: number) => low + u * (high - low);

/** The engagement of post `id` at `ageSeconds` after it was created. */
export function engagementAt(id: string, ageSeconds: number): Engagement {
  const [a, b, c, d, e, f, g, h] = draws(id);
  const peak = between(a, 1_000, 50_000);
  const tauSeconds = between(b, 2, 12) * 3600;
  const reached = peak * (1 - Math.exp(-Math.max(0, ageSeconds) / tauSeconds));
  const count = (rate: number) => Math.floor(reached * rate);
  const likes = count(between(c, 0.01, 0.05));
  const reactionShare = (rate: number) => Math.floor(likes * rate);
  return {
    impressions: Math.floor(reached),
    reach: count(between(d, 0.6, 0.85)),
    likes,
    comments: count(between(e, 0.001, 0.008)),
    shares: count(between(f, 0.002, 0.012)),
    saves: count(between(g, 0.001, 0.006)),
    clicks: count(between(h, 0.01, 0.04)),
    linkClicks: count(between(h, 0.005, 0.02)),
    profileClicks: count(between(g, 0.001, 0.005)),
    quotes: count(between(f, 0.0005, 0.002)),
    bookmarks: count(between(e, 0.001, 0.004)),
    reactions: {
      like: reactionShare(0.7),
      love: reactionShare(0.15),
      wow: reactionShare(0.05),
      haha: reactionShare(0.04),
      sorry: reactionShare(0.03),
      anger: reactionShare(0.02),
    },
  };
}
