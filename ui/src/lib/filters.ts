/** Which events a filtered list shows: the server's own type patterns, so live rows agree with GET /events. */
import { matchesPattern } from '../../../src/events/patterns.js';

export interface EventFilters {
  type?: string;
  status?: string;
  stack?: string;
}

export function matchesFilters(event: { type: string; status: string; stack: string | null }, filters: EventFilters): boolean {
  if (filters.type && !matchesPattern(filters.type, event.type)) return false;
  if (filters.status && filters.status !== event.status) return false;
  if (filters.stack && filters.stack !== event.stack) return false;
  return true;
}
