// A TypeScript hook: runs off the main thread, with the same modules as Lua through ctx.
import { defineHook } from 'hookflow';

export default defineHook({
  name: 'audit',
  description: 'Keeps a count of task and deploy events per type',
  events: ['task.*', 'deploy.*'],
  async execute(event, ctx) {
    const total = await ctx.state.increment(`audit.${event.type}`, 1);
    ctx.log.info(`${event.type} seen ${total} time(s)`);
    return `counted ${event.type}`;
  },
});
