import type { JsonValue } from '../../events/model.js';
import { ServiceInvocationError } from '../invoke-service.js';
import { defineAction } from '../model.js';
import { isJsonObject, jsonKind } from './values.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** BudPipeline's service invocation as a step: JSON to a service by app id (Dapr, or a configured base URL). */
export const invokeServiceAction = defineAction({
  meta: {
    type: 'invoke_service',
    version: '1.0.0',
    name: 'Invoke Service',
    description:
      'Calls a service by app id with JSON, through a Dapr sidecar ({DAPR_HTTP_ENDPOINT}/v1.0/invoke/{app_id}/method/{method_path}, with dapr-api-token when DAPR_API_TOKEN is set) or a base URL configured for the app (HOOKFLOW_SERVICE_<APP_ID>_URL). An answer of 400 or more fails the step with the detail the service gave.',
    category: 'Integration',
    icon: 'plug',
    color: '#7c3aed',
    executionMode: 'sync',
    idempotent: false,
    params: [
      { name: 'app_id', label: 'App id', type: 'string', required: true, description: 'The service’s app id.', placeholder: 'budapp', validation: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', patternMessage: 'must be an app id (letters, digits, ".", "_", "-")' } },
      { name: 'method_path', label: 'Path', type: 'string', required: true, description: 'The path on the service.', placeholder: 'endpoints/123/delete-workflow' },
      { name: 'method', label: 'HTTP method', type: 'select', description: 'POST when data is given, else GET.', options: METHODS.map((method) => ({ label: method, value: method })) },
      { name: 'data', label: 'Data', type: 'json', description: 'The JSON body.' },
      { name: 'query', label: 'Query', type: 'json', description: 'Query parameters ({name: value}).' },
      { name: 'timeout_seconds', label: 'Timeout (seconds)', type: 'number', default: 30, validation: { min: 0.1, max: 3600 } },
    ],
    outputs: [{ name: 'response', type: 'any', description: 'The answer (parsed JSON, else text; on failure the error answer, or null)' }],
    examples: [{ title: 'Start a workflow on another service', params: { app_id: 'budapp', method_path: 'endpoints/{{ params.endpoint_id }}/delete-workflow', method: 'POST', data: { callback_topic: 'pipeline-events' } } }],
  },
  validateParams(params) {
    const query = params.query;
    if (query === undefined || query === null) return [];
    if (!isJsonObject(query)) return [{ field: 'query', message: `must be an object {name: value}, not ${jsonKind(query)}` }];
    return Object.entries(query)
      .filter(([, value]) => typeof value === 'object')
      .map(([name, value]) => ({ field: `query.${name}`, message: `must be a string, number or boolean, not ${jsonKind(value)}` }));
  },
  async execute(ctx) {
    const appId = String(ctx.params.app_id);
    const methodPath = String(ctx.params.method_path);
    const query = isJsonObject(ctx.params.query) ? (ctx.params.query as Record<string, string | number | boolean>) : undefined;
    const data: JsonValue | undefined = ctx.params.data ?? undefined;
    try {
      const response = await ctx.invokeService(appId, methodPath, {
        ...(typeof ctx.params.method === 'string' ? { method: ctx.params.method } : {}),
        ...(data !== undefined ? { data } : {}),
        ...(query ? { query } : {}),
        timeoutSeconds: Number(ctx.params.timeout_seconds),
      });
      ctx.log.info(`invoked ${appId}/${methodPath.replace(/^\/+/, '')}`);
      return { success: true, outputs: { response } };
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      return { success: false, error: (error as Error).message, outputs: { response: error instanceof ServiceInvocationError ? error.body : null } };
    }
  },
});
