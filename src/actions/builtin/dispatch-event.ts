import { validateEventType, validateStack } from '../../events/validate.js';
import { defineAction } from '../model.js';
import { isJsonObject, jsonKind } from './values.js';

/** Publishes an event (durably) that hooks, pipelines and event-driven steps can react to. */
export const dispatchEventAction = defineAction({
  meta: {
    type: 'dispatch_event',
    version: '1.0.0',
    name: 'Dispatch Event',
    description: 'Publishes an event of a type with data (and a stack); succeeds once the event is durable and outputs its id.',
    category: 'Events',
    icon: 'send',
    color: '#0ea5e9',
    executionMode: 'sync',
    idempotent: false,
    params: [
      { name: 'type', label: 'Event type', type: 'string', required: true, description: 'A dotted type (task.failed, custom.deploy_done).', placeholder: 'custom.something_happened' },
      { name: 'data', label: 'Data', type: 'json', default: {}, description: 'The event data: an object (templates allowed in its values).' },
      { name: 'stack', label: 'Stack', type: 'string', description: 'The stack the event belongs to (only hooks of that stack, or of none, fire).' },
    ],
    outputs: [
      { name: 'event_id', type: 'string', description: 'The id of the published event' },
      { name: 'type', type: 'string', description: 'Its type' },
    ],
    examples: [{ title: 'Announce a deployment', params: { type: 'custom.deployed', data: { service: '{{ params.service }}', version: '{{ params.version }}' } } }],
  },
  validateParams(params) {
    const problems: Array<{ field: string; message: string }> = [];
    try {
      validateEventType(params.type);
    } catch (error) {
      problems.push({ field: 'type', message: `is not valid: ${(error as Error).message}` });
    }
    if (!isJsonObject(params.data)) problems.push({ field: 'data', message: `must be an object, not ${jsonKind(params.data)}` });
    if (params.stack !== undefined && params.stack !== '') {
      try {
        validateStack(params.stack);
      } catch (error) {
        problems.push({ field: 'stack', message: `is not valid: ${(error as Error).message}` });
      }
    }
    return problems;
  },
  async execute(ctx) {
    const type = String(ctx.params.type);
    const data = isJsonObject(ctx.params.data) ? ctx.params.data : {};
    const stack = typeof ctx.params.stack === 'string' && ctx.params.stack !== '' ? ctx.params.stack : null;
    const eventId = await ctx.publish(type, data, { stack });
    ctx.log.info(`published ${type} (${eventId})`);
    return { success: true, outputs: { event_id: eventId, type } };
  },
});
