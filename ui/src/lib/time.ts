/** Times for people (no DOM, tested under Node). */

/** "3 min ago" for a past span, "in 3 min" for a future one (ms < 0). */
export function relative(ms: number): string {
  const future = ms < 0;
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 5) return future ? 'in a moment' : 'just now';
  let text: string;
  if (seconds < 60) text = `${seconds} s`;
  else if (seconds < 3600) text = `${Math.round(seconds / 60)} min`;
  else if (seconds < 48 * 3600) text = `${Math.round(seconds / 3600)} h`;
  else text = `${Math.round(seconds / 86_400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}
