/**
 * Tests that need an outside service (PostgreSQL, Docker, …) skip with a visible reason when it is
 * missing, so `npm test` works on any machine; CI sets HOOKFLOW_TEST_REQUIRE_SERVICES=1 so that a
 * missing service fails the run instead of silently testing less.
 */

export function servicesRequired(): boolean {
  return process.env.HOOKFLOW_TEST_REQUIRE_SERVICES === '1';
}

/**
 * `unavailable` is why the service cannot be used (null when it can). Returns the `skip` option for
 * `describe`/`it`; throws when services are required, which fails the test file with that reason.
 */
export function requireService(name: string, unavailable: string | null): { skip: string | false } {
  if (unavailable === null) return { skip: false };
  if (servicesRequired()) {
    throw new Error(`${name} is required (HOOKFLOW_TEST_REQUIRE_SERVICES=1) but unavailable: ${unavailable}`);
  }
  return { skip: `${name} unavailable: ${unavailable}` };
}
